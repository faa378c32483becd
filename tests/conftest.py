"""Shared fixtures: a small world of two municipalities and one user per role.

``world`` builds Sundsvall (2281) with organisations, areas, an open forum and an SSPF working
group, plus Timrå (2262) with its own coordinator (the "outsider" for cross-tenant checks),
with the factories of tests/core/factories.py (each app's tests have their ``factories.py``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.core.models import County, Municipality, Role

from .core.factories import PASSWORD as PASSWORD  # every test user's password
from .core.factories import (
    AreaFactory,
    ForumFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytest.register_assert_rewrite("tests.incidents.georeport")  # its checks assert, as tests do

ROLES = ["viewer", "reporter", "analyst", "coordinator", "case_worker", "municipal_admin"]
ALL_ACTORS = ["anon", *ROLES, "system_admin", "outsider"]
# Every role reads personal data, so every role needs a second factor by default
# (BRYGGA_OTP_REQUIRED_ROLES_DEFAULT): every user of the world has an authenticator device.
OTP_ACTORS = {*ROLES, "system_admin", "outsider"}

# A small square inside Sundsvall's real boundary (near the city centre), WGS84 lon/lat.
CENTRE_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[17.29, 62.385], [17.32, 62.385], [17.32, 62.397], [17.29, 62.397], [17.29, 62.385]]
    ],
}
NACKSTA_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[17.24, 62.392], [17.27, 62.392], [17.27, 62.405], [17.24, 62.405], [17.24, 62.392]]
    ],
}
TIMRA_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[17.31, 62.48], [17.34, 62.48], [17.34, 62.495], [17.31, 62.495], [17.31, 62.48]]
    ],
}


@lru_cache(maxsize=1)
def _reference():
    from brygga.core.reference import read_counties, read_municipalities

    return read_counties(), read_municipalities()


def ensure_reference(codes=("2281", "2262")) -> None:
    """Reference rows survive ordinary tests (migration data) but not a transactional flush;
    put back the ones a test needs."""
    counties, municipalities = _reference()
    for m in municipalities:
        if m["code"] not in codes or Municipality.objects.filter(code=m["code"]).exists():
            continue
        c = next(c for c in counties if c["code"] == m["county_code"])
        county, _ = County.objects.get_or_create(
            code=c["code"], defaults={"name": c["name"], "boundary": c["boundary"]}
        )
        Municipality.objects.create(
            county=county,
            population_year=2024,
            **{k: v for k, v in m.items() if k not in ("county_code",)},
        )


@dataclass
class World:
    sundsvall: Municipality
    timra: Municipality
    users: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    areas: dict = field(default_factory=dict)
    forums: dict = field(default_factory=dict)
    memberships: dict = field(default_factory=dict)

    def user(self, actor: str):
        return self.users.get(actor)


def make_user(username: str, *, superuser: bool = False, otp: bool = False):
    return UserFactory(username=username, superuser=superuser, otp=otp)


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    from brygga.audit.context import acting_as
    from brygga.core import services
    from brygga.core.models import ForumKind

    ensure_reference()
    w = World(
        sundsvall=Municipality.objects.get(code="2281"), timra=Municipality.objects.get(code="2262")
    )
    with acting_as(label="test setup"):
        s = w.sundsvall
        o = w.orgs
        o["kommun"] = OrganisationFactory(
            municipality=s, name="Kommunledningen", kind="municipal_other"
        )
        o["police"] = OrganisationFactory(municipality=s, name="LPO Medelpad", kind="police")
        o["social"] = OrganisationFactory(
            municipality=s, name="Socialtjänsten", kind="social_services"
        )
        o["field"] = OrganisationFactory(
            municipality=s, name="Fältassistenterna", kind="field_work", parent=o["social"]
        )
        o["housing"] = OrganisationFactory(municipality=s, name="Mitthem", kind="housing")
        o["timra"] = OrganisationFactory(
            municipality=w.timra, name="Timrå trygghet", kind="municipal_other"
        )
        for key, name, geom, muni in [
            ("centrum", "Centrum", CENTRE_SQUARE, s),
            ("nacksta", "Nacksta", NACKSTA_SQUARE, s),
            ("timra", "Timrå centrum", TIMRA_SQUARE, w.timra),
        ]:
            w.areas[key] = AreaFactory(municipality=muni, name=name, geometry=geom)
        w.forums["safety"] = ForumFactory(
            municipality=s,
            name="Trygghetsgrupp Centrum",
            kind=ForumKind.SAFETY_GROUP,
            convener=o["police"],
            organisations=[o["police"], o["field"], o["housing"]],
            areas=[w.areas["centrum"]],
        )
        w.forums["sspf"] = ForumFactory(
            municipality=s,
            name="SSPF arbetsgrupp",
            kind=ForumKind.SSPF_WORKING,
            convener=o["social"],
            organisations=[o["social"], o["police"]],
        )
        w.forums["timra"] = ForumFactory(
            municipality=w.timra, name="BRÅ Timrå", kind=ForumKind.CRIME_PREVENTION_COUNCIL
        )

        placement = {
            "viewer": ("kommun", Role.VIEWER),
            "reporter": ("field", Role.REPORTER),
            "analyst": ("police", Role.ANALYST),
            "coordinator": ("kommun", Role.COORDINATOR),
            "case_worker": ("social", Role.CASE_WORKER),
            "municipal_admin": ("kommun", Role.MUNICIPAL_ADMIN),
            "outsider": ("timra", Role.COORDINATOR),
        }
        for actor, (org_key, role) in placement.items():
            user = make_user(actor, otp=actor in OTP_ACTORS)
            w.users[actor] = user
            w.memberships[actor] = MembershipFactory(user=user, organisation=o[org_key], role=role)
        w.users["system_admin"] = make_user("system_admin", superuser=True, otp=True)
    del services
    return w


def login(client, user) -> None:
    """Sign ``user`` in on a test client, second factor included when they have a device."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def client_for(client, world):
    """``client_for("coordinator")`` → a Django test client signed in as that role."""
    from django.test import Client

    def make(actor: str):
        c = Client()
        if actor != "anon":
            login(c, world.users[actor])
        return c

    return make


def geojson(obj) -> str:
    return json.dumps(obj)


def pytest_terminal_summary(terminalreporter):
    """Say how many browser tests ran, so a run that skipped them cannot pass unnoticed."""
    counts = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        reports = terminalreporter.stats.get(outcome, [])
        counts[outcome] = sum(
            1
            for r in reports
            if "browser" in getattr(r, "keywords", {})
            and getattr(r, "when", "call") in ("call", "setup")
            and not (outcome == "passed" and r.when == "setup")
        )
    terminalreporter.write_line(
        "browser tests (Playwright + Chromium + axe-core): "
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped, "
        f"{counts['error']} errors"
    )


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes(request, django_db_setup, django_db_blocker):
    """Transactional tests (the browser tests) end with a flush that also empties the reference
    tables the migrations filled (municipalities, categories). xdist may run other tests after
    them on the same worker, so put the reference data back, committed, before the next test
    opens its transaction. Costs one query per test; the reload happens only after a flush."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and not {
        "db",
        "transactional_db",
        "world",
        "client_for",
        "live_server",
    } & set(request.fixturenames):
        yield
        return
    with django_db_blocker.unblock():
        from brygga.audit.tracking import untracked
        from brygga.incidents.models import Category, PoliceTypeMapping
        from brygga.incidents.reference import load_default_categories

        if not Municipality.objects.exists():
            from brygga.core.reference import load_reference_geography

            load_reference_geography(County, Municipality)
        if not Category.objects.exists():
            # Committed outside any test's transaction: without change history, or its audit
            # rows would outlive the flush and show up in the next test's trail.
            with untracked(Category, PoliceTypeMapping):
                load_default_categories(Category, PoliceTypeMapping)
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On a Citus coordinator (the CI's Citus stage, scripts/citus-cluster), give each test
    database the cluster's workers and the distributed layout, as `brygga citus distribute`
    does for an installation. The test databases reach the workers because the coordinator
    propagates CREATE DATABASE (citus.enable_create_database_propagation, set by the script).
    Elsewhere nothing happens."""
    workers = os.environ.get("BRYGGA_CITUS_WORKERS", "")
    if workers:
        from django.core.management import call_command
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_dist_node WHERE groupid <> 0")
            if cursor.fetchone()[0] == 0:
                host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
                cursor.execute("SELECT citus_set_coordinator_host(%s, %s)", [host, int(port)])
                for worker in workers.split(","):
                    whost, wport = worker.rsplit(":", 1)
                    cursor.execute("SELECT citus_add_node(%s, %s)", [whost, int(wport)])
            call_command("citus", "distribute", verbosity=0)
    yield
    if workers:
        # Citus keeps connections to the test database open (its maintenance daemon, cached
        # connections of the coordinator to itself); end them so that it can be dropped.
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
