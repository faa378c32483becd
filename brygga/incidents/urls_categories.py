"""URL patterns of the category pages (included into the incidents namespace by
brygga/incidents/urls.py at /kommuner/<code>/handelser/)."""

from django.urls import path

from . import views_categories as views

urlpatterns = [
    path("kategorier/", views.category_list, name="category_list"),
    path("kategorier/ny/", views.category_create, name="category_create"),
    path("kategorier/<int:pk>/andra/", views.category_edit, name="category_edit"),
    path("kategorier/<int:pk>/aktivering/", views.category_status, name="category_status"),
]
