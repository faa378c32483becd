"""Pages of the lägesbild under /kommuner/<code>/lagesbild/: the dashboard (``urls_dashboard``),
the map and its layers (``urls_map``), the priority areas (``urls_ranking``) and the EST weekly
picture of the safety groups (``urls_weekly``); the published reports for the public, without
signing in, under /offentlig/kommuner/<code>/lagesbild/ (``urls_public``)."""

from . import urls_dashboard, urls_map, urls_public, urls_ranking, urls_reports, urls_weekly

app_name = "situation"

urlpatterns = [
    *urls_dashboard.urlpatterns,
    *urls_map.urlpatterns,
    *urls_ranking.urlpatterns,
    *urls_weekly.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_public.urlpatterns,
]
