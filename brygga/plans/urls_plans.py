"""Page routes of the plans app's plans part (included by urls.py, namespace "plans")."""

urlpatterns: list = []
