"""Pages of the lägesbild under /kommuner/<code>/lagesbild/: the dashboard (``urls_dashboard``),
the map and its layers (``urls_map``), the priority areas (``urls_ranking``) and the EST weekly
picture of the safety groups (``urls_weekly``)."""

from . import urls_dashboard, urls_map, urls_ranking, urls_reports, urls_weekly

app_name = "situation"

urlpatterns = [
    *urls_dashboard.urlpatterns,
    *urls_map.urlpatterns,
    *urls_ranking.urlpatterns,
    *urls_weekly.urlpatterns,
    *urls_reports.urlpatterns,
]
