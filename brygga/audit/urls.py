from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("kommuner/<str:code>/logg/", views.audit_log, name="log"),
]
