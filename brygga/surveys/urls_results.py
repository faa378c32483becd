"""Survey pages: results (see urls.py)."""

urlpatterns: list = []
