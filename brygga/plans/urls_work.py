"""Page routes of the plans app's work part (included by urls.py, namespace "plans"): the
work log under kommuner/<code>/insatser/, indicators and evaluations of a measure."""

from django.urls import path

from .views import work, work_indicators

P = "kommuner/<str:code>/"

urlpatterns = [
    path(f"{P}insatser/", work.operations, name="operations"),
    path(f"{P}insatser/export.csv", work.operation_export_csv, name="operation_export_csv"),
    path(f"{P}insatser/ny/", work.operation_new, name="operation_new"),
    path(f"{P}insatser/<int:pk>/", work.operation_detail, name="operation_detail"),
    path(f"{P}insatser/<int:pk>/andra/", work.operation_edit, name="operation_edit"),
    path(
        f"{P}insatser/<int:pk>/observationer/ny/",
        work.observation_new,
        name="observation_new",
    ),
    path(
        f"{P}insatser/observationer/<int:pk>/handelserapport/",
        work.observation_to_incident,
        name="observation_to_incident",
    ),
    path(
        f"{P}atgarder/<int:measure>/indikatorer/ny/",
        work_indicators.indicator_new,
        name="indicator_new",
    ),
    path(f"{P}indikatorer/<int:pk>/", work_indicators.indicator_detail, name="indicator_detail"),
    path(f"{P}indikatorer/<int:pk>/andra/", work_indicators.indicator_edit, name="indicator_edit"),
    path(
        f"{P}indikatorer/<int:pk>/varden/ny/",
        work_indicators.indicator_value_new,
        name="indicator_value_new",
    ),
    path(
        f"{P}atgarder/<int:measure>/utvarderingar/ny/",
        work_indicators.evaluation_new,
        name="evaluation_new",
    ),
    path(
        f"{P}utvarderingar/<int:pk>/", work_indicators.evaluation_detail, name="evaluation_detail"
    ),
    path(
        f"{P}utvarderingar/<int:pk>/berakna/",
        work_indicators.evaluation_recompute,
        name="evaluation_recompute",
    ),
    path(
        f"{P}utvarderingar/<int:pk>/slutsats/",
        work_indicators.evaluation_conclusion,
        name="evaluation_conclusion",
    ),
]
