"""API routes of the plans app's work part (included by api_routes.py in the "api" namespace,
under /api/v1/plans/)."""

urlpatterns: list = []
