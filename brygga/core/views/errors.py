"""Error pages (``handler400`` … ``handler500`` in config/urls.py); JSON under /api/."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _error(request, template: str, status: int):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": {
                    400: _("Bad request."),
                    403: _("Permission denied."),
                    404: _("Not found."),
                    500: _("Server error."),
                }[status]
            },
            status=status,
        )
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _error(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _error(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _error(request, "404.html", 404)


def server_error(request):
    try:
        return _error(request, "500.html", 500)
    except Exception:  # never fail while reporting a failure
        return HttpResponse(_("Server error."), status=500, content_type="text/plain")
