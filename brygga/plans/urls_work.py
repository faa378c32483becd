"""Page routes of the plans app's work part (included by urls.py, namespace "plans")."""

urlpatterns: list = []
