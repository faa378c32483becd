"""Page routes of the plans app's agreements part (included by urls.py, namespace "plans"):
cooperation agreements (views/agreements.py), citizen promises (views/promises.py) and the
public page of promises, without signing in, under /offentlig/ (views/public.py)."""

from django.urls import path

from .views import agreements, promises, public

A = "kommuner/<str:code>/overenskommelser/"
P = "kommuner/<str:code>/medborgarloften/"

urlpatterns: list = [
    path(A, agreements.agreement_list, name="agreements"),
    path(A + "ny/", agreements.agreement_new, name="agreement_new"),
    path(A + "<int:pk>/", agreements.agreement_detail, name="agreement_detail"),
    path(A + "<int:pk>/andra/", agreements.agreement_edit, name="agreement_edit"),
    path(A + "<int:pk>/dokument/", agreements.agreement_document, name="agreement_document"),
    path(A + "<int:pk>/fornya/", agreements.agreement_renew, name="agreement_renew"),
    path(P, promises.promise_list, name="promises"),
    path(P + "ny/", promises.promise_new, name="promise_new"),
    path(P + "<int:pk>/", promises.promise_detail, name="promise_detail"),
    path(P + "<int:pk>/andra/", promises.promise_edit, name="promise_edit"),
    path(P + "<int:pk>/status/", promises.promise_status, name="promise_status"),
    path(P + "<int:pk>/forlang/", promises.promise_extend, name="promise_extend"),
    path(P + "<int:pk>/publicera/", promises.promise_publish, name="promise_publish"),
    path(
        "offentlig/kommuner/<str:code>/medborgarloften/",
        public.public_promise_list,
        name="public_promises",
    ),
]
