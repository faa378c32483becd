"""Page routes of the report-back (views/followup.py), included by urls.py."""

from django.urls import path

from .views import followup

P = "kommuner/<str:code>/aterrapporter/"

urlpatterns: list = [
    path(P, followup.follow_up_list, name="follow_ups"),
    path(
        "kommuner/<str:code>/planer/<int:followup_plan>/aterrapporter/ny/",
        followup.follow_up_new,
        name="follow_up_new",
    ),
    path(P + "<int:pk>/", followup.follow_up_detail, name="follow_up_detail"),
    path(P + "<int:pk>/utfarda/", followup.follow_up_issue, name="follow_up_issue"),
    path(P + "<int:pk>/aterrapport.pdf", followup.follow_up_pdf, name="follow_up_pdf"),
]
