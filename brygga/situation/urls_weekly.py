"""Lägesbild pages: the EST weekly picture of the safety groups (see urls.py)."""

from django.urls import path

from .views import weekly

W = "kommuner/<str:code>/lagesbild/veckobild/"

urlpatterns: list = [
    path(W, weekly.weekly, name="weekly"),
    path(W + "bedomning/", weekly.assess, name="weekly_assess"),
    path(W + "prenumeration/", weekly.subscribe, name="weekly_subscribe"),
]
