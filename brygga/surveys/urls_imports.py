"""The import of survey responses: /kommuner/<code>/trygghetsmatning/<year>/importera/…"""

from django.urls import path

from .views import imports

P = "kommuner/<str:code>/trygghetsmatning/<int:year>/importera/"

urlpatterns: list = [
    path(P, imports.upload, name="survey_import_upload"),
    path(P + "postnummer/", imports.postcodes, name="survey_postcodes"),
    path(P + "<int:pk>/kolumner/", imports.mapping, name="survey_import_mapping"),
    path(P + "<int:pk>/", imports.preview, name="survey_import"),
]
