"""Navigation for every page: the installed modules, the current municipality, the user's roles.

The current municipality is the one the page is about (``request.municipality``, set by
:func:`brygga.core.views.decorators.resolve_municipality`). A page that is about none (the
municipality list, the account pages, the API reference, an error page) shows the municipality
the user last opened, remembered in the session, or else the user's only municipality, so the
menu stays the same wherever the user goes.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import selectors
from .access import resolver_for

# The modules of the cycle, in the order of the menu. Only those whose pages are installed in
# this version appear; the others are left out, not shown as unavailable.
MODULES = [
    ("situation", _("Situation report"), "situation:index"),
    ("incidents", _("Incidents"), "incidents:index"),
    ("areastats", _("Area statistics"), "areastats:index"),
    ("surveys", _("Safety survey"), "surveys:index"),
    ("plans", _("Plans and follow-up"), "plans:index"),
    ("cases", _("SSPF"), "cases:index"),
    ("knowledge", _("Knowledge bank"), "knowledge:index"),
]

# The session key of the municipality the user last opened (its kommunkod).
CURRENT_MUNICIPALITY_KEY = "brygga_current_municipality"


def remember_municipality(request, municipality) -> None:
    """Remember ``municipality`` as the user's current one (pages without a municipality show
    its menu). Writes the session only when the municipality changes."""
    session = getattr(request, "session", None)
    if session is not None and session.get(CURRENT_MUNICIPALITY_KEY) != municipality.code:
        session[CURRENT_MUNICIPALITY_KEY] = municipality.code


def current_municipality(request):
    """The municipality the navigation shows: the page's, else the remembered one if the user
    may still see it, else the user's only municipality, else ``None``."""
    municipality = getattr(request, "municipality", None)
    if municipality is not None:
        return municipality
    visible = selectors.municipalities_for(request.user)
    code = getattr(request, "session", {}).get(CURRENT_MUNICIPALITY_KEY)
    if code:
        remembered = visible.filter(code=code).first()
        if remembered is not None:
            return remembered
    only = list(visible[:2])
    return only[0] if len(only) == 1 else None


def module_items(code: str) -> list[dict]:
    """The installed modules with their page in municipality ``code``."""
    items = []
    for key, label, url_name in MODULES:
        try:
            url = reverse(url_name, kwargs={"code": code})
        except NoReverseMatch:  # not installed in this version
            continue
        items.append({"key": key, "label": label, "url": url})
    return items


def sign_in_unfinished(user) -> bool:
    """Whether ``user`` still has to pass the second factor or change their password: every
    other page sends them back there, so the menu would lead nowhere."""
    verified = getattr(user, "is_verified", None)
    if verified is not None and not verified() and selectors.otp_required_for(user):
        return True
    return selectors.password_change_required(user)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or sign_in_unfinished(user):
        return {}
    resolver = resolver_for(user)
    municipality = current_municipality(request)
    can_manage = municipality is not None and resolver.has_ability("manage", municipality)
    can_audit = municipality is not None and resolver.can_view_audit(municipality)
    can_administer = municipality is not None and resolver.has_ability("administer", municipality)
    return {
        "nav_shown": True,
        "nav_modules": module_items(municipality.code) if municipality is not None else [],
        "nav_municipality": municipality,
        "nav_can_manage": can_manage,
        "nav_can_audit": can_audit,
        "nav_can_administer": can_administer,
        "nav_is_system_admin": resolver.is_system_admin,
    }
