"""Survey pages: imports (see urls.py)."""

urlpatterns: list = []
