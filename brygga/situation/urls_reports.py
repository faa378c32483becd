"""Lägesbild pages: the document (see urls.py and views/reports.py)."""

from django.urls import path

from .views import report_files, reports

P = "kommuner/<str:code>/lagesbild/rapporter/"

urlpatterns: list = [
    path(P, reports.report_list, name="reports"),
    path(P + "ny/", reports.report_new, name="report_new"),
    path(P + "jamfor/", reports.report_compare, name="report_compare"),
    path(P + "<int:pk>/", reports.report_detail, name="report_detail"),
    path(P + "<int:pk>/text/", reports.report_texts, name="report_texts"),
    path(P + "<int:pk>/kommentar/", reports.report_comment, name="report_comment"),
    path(P + "<int:pk>/publicera/", reports.report_publish, name="report_publish"),
    path(P + "<int:pk>/ny-version/", reports.report_new_version, name="report_new_version"),
    path(P + "<int:pk>/lagesbild.json", reports.report_json, name="report_json"),
    path(P + "<int:pk>/lagesbild.pdf", report_files.report_pdf, name="report_pdf"),
    path(
        P + "kommentarer/<int:pk>/hanterad/", reports.comment_resolve, name="report_comment_resolve"
    ),
]
