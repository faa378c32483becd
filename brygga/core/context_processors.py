"""Navigation for every page: the modules, the current municipality, the user's roles."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .access import resolver_for

# The modules of the cycle. A module whose pages are not yet installed shows as unavailable
# (not a link) so users see the whole product and nothing leads to an empty page.
MODULES = [
    ("situation", _("Situation report"), "situation:index"),
    ("incidents", _("Incidents"), "incidents:index"),
    ("surveys", _("Safety survey"), "surveys:index"),
    ("plans", _("Plans and follow-up"), "plans:index"),
    ("cases", _("SSPF"), "cases:index"),
    ("knowledge", _("Knowledge bank"), "knowledge:index"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    resolver = resolver_for(user)
    municipality = getattr(request, "municipality", None)
    code = municipality.code if municipality is not None else None
    items = []
    for key, label, url_name in MODULES:
        try:
            url = reverse(url_name, kwargs={"code": code}) if code else None
        except NoReverseMatch:
            url = None
        items.append({"key": key, "label": label, "url": url})
    can_manage = municipality is not None and resolver.has_ability("manage", municipality)
    can_audit = municipality is not None and resolver.can_view_audit(municipality)
    can_administer = municipality is not None and resolver.has_ability("administer", municipality)
    return {
        "nav_modules": items,
        "nav_municipality": municipality,
        "nav_can_manage": can_manage,
        "nav_can_audit": can_audit,
        "nav_can_administer": can_administer,
        "nav_is_system_admin": resolver.is_system_admin,
    }
