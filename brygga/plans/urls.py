"""Pages of the plans app under /kommuner/<code>/: agreements and citizen promises
(``urls_agreements``, with the public page of promises under /offentlig/), action plans,
problems and measures (``urls_plans``), the work log, indicators and evaluations
(``urls_work``), forum meetings, the yearly cycle, dialogues and the process tracker
(``urls_meetings``), and the report-back (``urls_followup``)."""

from . import urls_agreements, urls_followup, urls_meetings, urls_plans, urls_work

app_name = "plans"

urlpatterns = [
    *urls_plans.urlpatterns,
    *urls_agreements.urlpatterns,
    *urls_work.urlpatterns,
    *urls_meetings.urlpatterns,
    *urls_followup.urlpatterns,
]
