"""Survey pages: defining waves, their questionnaires and codebooks (see urls.py)."""

from django.urls import path

from .views import waves

S = "kommuner/<str:code>/trygghetsmatning/"

urlpatterns: list = [
    path(S + "ny/", waves.wave_new, name="wave_new"),
    path(S + "<int:year>/andra/", waves.wave_edit, name="wave_edit"),
    path(S + "<int:year>/ta-bort/", waves.wave_delete_view, name="wave_delete"),
    path(S + "<int:year>/fragor/", waves.questionnaire, name="questionnaire"),
    path(S + "<int:year>/kodbok/", waves.codebook, name="codebook"),
    path(S + "<int:year>/kodbok/export/", waves.codebook_export, name="codebook_export"),
]
