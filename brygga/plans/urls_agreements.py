"""Page routes of the plans app's agreements part (included by urls.py, namespace "plans")."""

urlpatterns: list = []
