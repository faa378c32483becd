"""URL patterns of the Open311 administration pages: API keys for municipal administrators
the contact details of a public tip and the publication of its text. Included into the incidents namespace by
brygga/incidents/urls.py at /kommuner/<code>/handelser/."""

from django.urls import path

from . import admin_views as views

urlpatterns = [
    path("open311/nycklar/", views.open311_key_list, name="open311_key_list"),
    path("open311/nycklar/ny/", views.open311_key_create, name="open311_key_create"),
    path("open311/nycklar/<int:pk>/andra/", views.open311_key_edit, name="open311_key_edit"),
    path(
        "open311/nycklar/<int:pk>/aterkalla/",
        views.open311_key_revoke,
        name="open311_key_revoke",
    ),
    path("open311/tips/<int:pk>/kontakt/", views.open311_contact, name="open311_contact"),
    path(
        "open311/tips/<int:pk>/publicering/",
        views.open311_tip_publication,
        name="open311_tip_publication",
    ),
]
