"""Authorization expectations, one module per app: each defines ``EXPECTED`` (URL name →
{actor: status}) and ``objects(world)`` (URL-name prefix → the pk to use for ``<pk>``).

The matrix test (tests/test_authz_matrix.py) merges every module in this package and fails on
any URL pattern that no module covers.
"""

from ..conftest import ALL_ACTORS as ALL_ACTORS

LOGIN = "login"  # 302 to the sign-in page
MEMBERS = [
    "viewer",
    "reporter",
    "analyst",
    "coordinator",
    "case_worker",
    "municipal_admin",
    "system_admin",
]
MANAGERS = ["coordinator", "municipal_admin", "system_admin"]
ADMINS = ["municipal_admin", "system_admin"]
SIGNED_IN = [*MEMBERS, "outsider"]


def _m(anon=LOGIN, default=None, **by_actor):
    """Build an expectation: ``by_actor`` values are applied to lists of actors."""
    out = {"anon": anon}
    for a in SIGNED_IN:
        out[a] = default
    for status, actors in by_actor.items():
        code = int(status[1:])
        for a in actors:
            out[a] = code
    return out


# Routes with ``<year>`` (the survey pages) take this year; ``survey_wave`` gives the wave.
SURVEY_YEAR = 2025


def survey_wave(municipality):
    """``municipality``'s survey wave of ``SURVEY_YEAR`` (made once, shared by the survey
    modules)."""
    from brygga.core.access import SystemActor
    from brygga.surveys.models import SurveyWave
    from brygga.surveys.services import wave_create

    wave = SurveyWave.objects.filter(municipality=municipality, year=SURVEY_YEAR).first()
    return wave or wave_create(
        actor=SystemActor("test setup"), municipality=municipality, year=SURVEY_YEAR
    )


def members_page():
    """A page of Sundsvall's shared data: members 200, the outsider 404."""
    return _m(s200=MEMBERS, s404=["outsider"])


def manage_page():
    return _m(
        s200=MANAGERS, s403=["viewer", "reporter", "analyst", "case_worker"], s404=["outsider"]
    )


def admin_page():
    return _m(
        s200=ADMINS,
        s403=["viewer", "reporter", "analyst", "case_worker", "coordinator"],
        s404=["outsider"],
    )


def sspf_forum_page(ok_status=200):
    return _m(
        **{f"s{ok_status}": ["case_worker", *MANAGERS]},
        s404=["viewer", "reporter", "analyst", "outsider"],
    )


def api(default=200, anon=403, **kw):
    base = _m(anon=anon, **{f"s{default}": SIGNED_IN})
    for status, actors in kw.items():
        for a in actors:
            base[a] = int(status[1:])
    return base


# --- tenancy hints (tests/test_authz_tenancy.py) -------------------------------------------
# Besides ``EXPECTED`` and ``objects(world)``, a module may define:
#
# ``tenant_objects(world, municipality, marker) -> dict``
#     seeds rows of ``municipality`` whose visible texts carry ``marker`` and returns them as
#     ``objects`` does (URL-name prefix → pk). The tenancy tests seed Timrå's (marker
#     ``FOREIGN_MARKER``) and Sundsvall's (``OWN_MARKER``): they are the "another
#     municipality's id" of every ``<pk>`` route, and the rows that must never show up in
#     another municipality's lists, exports and API answers.
# ``NO_TENANT_OBJECT = {url name: reason}``
#     ``<pk>`` routes whose objects belong to no municipality (national reference data).
# ``NOT_A_MUNICIPALITY_CODE = {url name, ...}``
#     routes whose ``<code>`` is not a kommunkod (Open311's service code).
# ``JURISDICTION_PARAM = {url-name prefix: query parameter}``
#     routes that take the municipality from a query parameter instead of the path.
# ``api_writes(world, objs) -> {(url name, method): (writers, payload)}``
#     the API writes some actors may make, with a payload valid for Sundsvall's objects
#     ``objs`` (a third item, {key: pk}, replaces objects in the URL); every other
#     (route, method) is a write nobody may make.
# ``FILTER_PARAMS = {query parameter: key of tenant_objects (or "code")}``
#     parameters that select a municipality, forum, area, …; the tests feed them another
#     municipality's ids.
FOREIGN_MARKER = "TIMRAMARKOR"
OWN_MARKER = "SUNDSVALLMARKOR"
MARKERS = {"2262": FOREIGN_MARKER, "2281": OWN_MARKER}
