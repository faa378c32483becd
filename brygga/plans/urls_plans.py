"""Page routes of the plans app's plans part (included by urls.py, namespace "plans"): the
module's landing page, action plans, their problems and measures."""

from django.urls import path

from .views import plans, plans_measures

P = "kommuner/<str:code>/planer/"

urlpatterns: list = [
    path(P, plans.index, name="index"),
    path(f"{P}ny/", plans.plan_new, name="plan_new"),
    path(f"{P}<int:pk>/", plans.plan_detail, name="plan_detail"),
    path(f"{P}<int:pk>/andra/", plans.plan_edit, name="plan_edit"),
    path(f"{P}<int:pk>/faststall/", plans.plan_adopt, name="plan_adopt"),
    path(f"{P}<int:pk>/problem/nytt/", plans_measures.problem_new, name="problem_new"),
    path(f"{P}problem/<int:pk>/andra/", plans_measures.problem_edit, name="problem_edit"),
    path(f"{P}<int:pk>/atgarder/ny/", plans_measures.measure_new, name="measure_new"),
    path(f"{P}atgarder/<int:pk>/", plans_measures.measure_detail, name="measure_detail"),
    path(f"{P}atgarder/<int:pk>/andra/", plans_measures.measure_edit, name="measure_edit"),
]
