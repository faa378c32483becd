from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from brygga.core import api as core_api
from brygga.incidents import api as incidents_api
from brygga.situation import api as situation_api
from brygga.situation import api_map as situation_map_api
from brygga.situation import api_reports as situation_reports_api
from brygga.surveys import api as surveys_api

from . import views

app_name = "api"

router = SimpleRouter()
router.register("municipalities", core_api.MunicipalityViewSet, basename="municipality")
router.register("police-areas", core_api.PoliceAreaViewSet, basename="policearea")
router.register("organisations", core_api.OrganisationViewSet, basename="organisation")
router.register("areas", core_api.AreaViewSet, basename="area")
router.register("forums", core_api.ForumViewSet, basename="forum")
router.register("memberships", core_api.MembershipViewSet, basename="membership")
router.register("incidents", incidents_api.IncidentViewSet, basename="incident")
router.register("categories", incidents_api.CategoryViewSet, basename="category")
router.register("import-profiles", incidents_api.ImportProfileViewSet, basename="importprofile")
router.register("survey-waves", surveys_api.SurveyWaveViewSet, basename="surveywave")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.api_docs, name="docs"),
    path(
        "situation/<str:code>/dashboard/",
        situation_api.DashboardView.as_view(),
        name="situation-dashboard",
    ),
    # the lägesbild's map layers (situation/api_map.py)
    path(
        "situation/<str:code>/hotspots/",
        situation_map_api.HotspotsView.as_view(),
        name="situation-hotspots",
    ),
    path(
        "situation/<str:code>/areas/", situation_map_api.AreasView.as_view(), name="situation-areas"
    ),
    # the published lägesbilder (situation/api_reports.py)
    path(
        "situation/<str:code>/reports/",
        situation_reports_api.ReportListView.as_view(),
        name="situation-report-list",
    ),
    path(
        "situation/<str:code>/reports/<int:pk>/",
        situation_reports_api.ReportDetailView.as_view(),
        name="situation-report-detail",
    ),
    # the plans app (brygga/plans/api_*.py)
    path("plans/", include("brygga.plans.api_routes")),
    path("", include(router.urls)),
]
