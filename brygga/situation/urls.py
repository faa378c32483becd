"""Pages of the lägesbild under /kommuner/<code>/lagesbild/: the dashboard (``urls_dashboard``),
the map and its layers (``urls_map``) and the priority areas (``urls_ranking``)."""

from . import urls_dashboard, urls_map, urls_ranking

app_name = "situation"

urlpatterns = [*urls_dashboard.urlpatterns, *urls_map.urlpatterns, *urls_ranking.urlpatterns]
