"""Survey pages: waves (see urls.py)."""

urlpatterns: list = []
