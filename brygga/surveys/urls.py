"""Pages of the safety survey under /kommuner/<code>/trygghetsmatning/: the waves and their
questionnaires (``urls_waves``), the import of responses (``urls_imports``) and the results
(``urls_results``)."""

from . import urls_imports, urls_results, urls_waves

app_name = "surveys"

urlpatterns = [*urls_results.urlpatterns, *urls_waves.urlpatterns, *urls_imports.urlpatterns]
