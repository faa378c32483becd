"""Open311 GeoReport v2 (mounted at /open311/v2/).

One route per format, so the format never has to be guessed and an unknown suffix is a plain
404. ``jurisdiction_id`` (the kommunkod) is a query or form parameter.
"""

from django.urls import path

from . import views

app_name = "open311"

urlpatterns = []
for fmt in ("json", "xml"):
    urlpatterns += [
        path(f"services.{fmt}", views.service_list, {"fmt": fmt}, name=f"service_list_{fmt}"),
        path(
            f"services/<str:code>.{fmt}",
            views.service_definition,
            {"fmt": fmt},
            name=f"service_definition_{fmt}",
        ),
        path(f"requests.{fmt}", views.request_list, {"fmt": fmt}, name=f"request_list_{fmt}"),
        path(
            f"requests/<str:pk>.{fmt}",
            views.request_detail,
            {"fmt": fmt},
            name=f"request_detail_{fmt}",
        ),
    ]
