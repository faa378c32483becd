from django.urls import path

from . import views

app_name = "core"

K = "kommuner/<str:code>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("kommuner/", views.municipality_list, name="municipality_list"),
    path(K, views.municipality_detail, name="municipality_detail"),
    path(K + "organisationer/", views.organisation_list, name="organisation_list"),
    path(K + "organisationer/ny/", views.organisation_create, name="organisation_create"),
    path(K + "organisationer/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path(K + "organisationer/<int:pk>/andra/", views.organisation_edit, name="organisation_edit"),
    path(
        K + "organisationer/<int:pk>/ta-bort/",
        views.organisation_delete,
        name="organisation_delete",
    ),
    path(K + "omraden/", views.area_list, name="area_list"),
    path(K + "omraden/lager/nytt/", views.layer_create, name="layer_create"),
    path(K + "omraden/lager/<int:pk>/andra/", views.layer_edit, name="layer_edit"),
    path(K + "omraden/lager/<int:pk>/ta-bort/", views.layer_delete, name="layer_delete"),
    path(K + "omraden/nytt/", views.area_create, name="area_create"),
    path(K + "omraden/importera/", views.area_import, name="area_import"),
    path(K + "omraden/<int:pk>/", views.area_detail, name="area_detail"),
    path(K + "omraden/<int:pk>/andra/", views.area_edit, name="area_edit"),
    path(K + "omraden/<int:pk>/ta-bort/", views.area_delete, name="area_delete"),
    path(K + "forum/", views.forum_list, name="forum_list"),
    path(K + "forum/nytt/", views.forum_create, name="forum_create"),
    path(K + "forum/<int:pk>/", views.forum_detail, name="forum_detail"),
    path(K + "forum/<int:pk>/andra/", views.forum_edit, name="forum_edit"),
    path(K + "forum/<int:pk>/ta-bort/", views.forum_delete, name="forum_delete"),
    path(K + "medlemmar/", views.member_list, name="member_list"),
    path(K + "medlemmar/ny/", views.member_create, name="member_create"),
    path(K + "medlemmar/anvandare/<int:pk>/", views.user_detail, name="user_detail"),
    path(K + "medlemmar/anvandare/<int:pk>/konto/", views.user_account, name="user_account"),
    path(
        K + "medlemmar/roller/<int:pk>/ta-bort/", views.membership_delete, name="membership_delete"
    ),
    path(K + "sakerhet/", views.security_policy, name="security_policy"),
    path(K + "gallring/", views.retention_settings, name="retention"),
]
