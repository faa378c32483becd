"""The lägesbild for the public, without signing in (views/public.py), outside /kommuner/
(whose pages are for the members of a municipality)."""

from django.urls import path

from .views import public

P = "offentlig/kommuner/<str:code>/lagesbild/"

urlpatterns: list = [
    path(P, public.public_report_list, name="public_reports"),
    path(P + "<int:pk>/", public.public_report_detail, name="public_report_detail"),
    path(P + "<int:pk>/lagesbild.json", public.public_report_json, name="public_report_json"),
    path(P + "<int:pk>/lagesbild.pdf", public.public_report_pdf, name="public_report_pdf"),
]
