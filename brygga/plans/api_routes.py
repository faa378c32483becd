"""The plans app's API routes, included by ``brygga/api/urls.py`` under /api/v1/ (the names
are in the "api" namespace, e.g. ``api:plans-measure-list``)."""

from . import api_agreements, api_followup, api_meetings, api_plans, api_work

urlpatterns = [
    *api_plans.urlpatterns,
    *api_agreements.urlpatterns,
    *api_work.urlpatterns,
    *api_meetings.urlpatterns,
    *api_followup.urlpatterns,
]
