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
