"""Page routes of the plans app's meetings part (included by urls.py, namespace "plans")."""

urlpatterns: list = []
