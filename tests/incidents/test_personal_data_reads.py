"""Every response that carries personal data logs exactly one access row; a response without
any logs none (issue #10, item 3).

The walk covers every route of the incidents app (web pages under /kommuner/<code>/handelser/,
/api/v1/incidents/ and /open311/v2/), with each method that returns a body. Personal data is
planted as marker texts: the text of an incident marked as containing personal data, a public
tip (personal data by default), a tip's contact details and the raw rows of a colleague's
CSV upload (previews and error messages quote its cells). A response "carries personal data"
when a marker is in its body; then exactly one ``access`` row must have been written for it.
A route that the walk does not know fails the test, so a new view is covered the day it is
added.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from brygga.audit.models import AuditEvent, EventKind
from brygga.incidents.imports.storage import upload_storage
from brygga.incidents.models import ImportJob, Incident, PoliceTypeMapping

from .factories import (
    HEADER,
    P1,
    CategoryFactory,
    ImportProfileFactory,
    csv_bytes,
    field_key,
    form_data,
    make_incident,
    submitted,
    tip,
)
from .georeport import post
from .importing import start, upload

MARK = "Tolvan Tolvansson 19121212-1212"  # an incident's text (personal data)
TIP_MARK = "Grannen Ylva Zetterqvist"  # a public tip's text
CONTACT_MARK = "Zetterqvistsson"  # a tip's contact details
ROW_MARK = "Kalle Radsson"  # a cell of an uploaded file
MARKS = (MARK, TIP_MARK, CONTACT_MARK, ROW_MARK)
H = "/kommuner/2281/handelser/"

# Routes by URL name; each entry says how to fill in its pk (or other) arguments.
INCIDENT_PK = {"incident_detail", "incident_receipt", "incident_edit", "incident_delete"}
POST_ONLY = {"incident_status", "weekly_nil", "open311_tip_publication", "category_status"}
OTHER_PK = {
    "police_job",
    "police_job_status",
    "police_mapping_edit",
    "import_detail",
    "import_mapping",
    "import_progress",
    "import_errors",
    "import_profile_delete",
    "import_profile_file",
    "open311_key_edit",
    "open311_key_revoke",
    "open311_contact",
    "category_edit",
}
NO_ARGS = {
    "index",
    "report",
    "map",
    "export_csv",
    "export_xlsx",
    "export_geojson",
    "weekly",
    "police_summary",
    "police_upload",
    "police_mapping_list",
    "import_list",
    "import_upload",
    "import_profile_list",
    "open311_key_list",
    "open311_key_create",
    "category_list",
    "category_create",
}


def _body(response) -> str:
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if raw[:2] == b"PK":  # xlsx: the text is in the zipped XML parts
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return raw.decode("utf-8", "replace")


def _access_rows() -> int:
    return AuditEvent.objects.filter(kind=EventKind.ACCESS).count()


def _check(label: str, send) -> str:
    """Send one request; the number of access rows written must match the markers in the
    body: one if any marker is there, none otherwise."""
    before = _access_rows()
    response = send()
    body = _body(response)
    written = _access_rows() - before
    carries = [m for m in MARKS if m in body]
    expected = 1 if carries else 0
    assert written == expected, (
        f"{label} → {response.status_code}: carries {carries or 'no personal data'}, "
        f"wrote {written} access rows (expected {expected})"
    )
    return body


def _incident_routes():
    """(name, route) of every incidents page, the incidents API and Open311."""
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and (
                route.startswith(("kommuner/<str:code>/handelser/", "open311/v2/"))
                or (route.startswith("api/v1/") and "incident" in route)
            ):
                out.append((p.name, route))

    walk(get_resolver().url_patterns)
    return out


@pytest.fixture
def planted(world, client, client_for, default_categories):
    """Incidents with and without personal data, a public tip with contact details, and two
    CSV uploads by an analyst (one whose validation failed, quoting a cell, one waiting for
    its mapping)."""
    pd = make_incident(world, description=MARK, place_description=MARK, has_personal_data=True)
    plain = make_incident(world, description="Krossad ruta", place_description="Torget")
    _key, secret = field_key(world)
    r = post(client, "json", tip(secret, description=TIP_MARK, last_name=CONTACT_MARK))
    assert r.status_code == 201, r.content
    tip_incident = submitted(r)
    analyst = client_for("analyst")
    data = csv_bytes([["A1", "2024-03-05 21:30", ROW_MARK, P1[0], P1[1], ROW_MARK]], header=HEADER)
    assert upload(analyst, data).status_code == 302
    failed = ImportJob.objects.latest("pk")
    start(analyst, failed)
    failed.refresh_from_db()
    assert failed.state == ImportJob.State.FAILED and ROW_MARK in json.dumps(failed.errors)
    assert upload(analyst, data, name="andra.csv").status_code == 302
    waiting = ImportJob.objects.latest("pk")
    yield {
        "pd": pd,
        "plain": plain,
        "tip": tip_incident,
        "failed": failed,
        "waiting": waiting,
        "secret": secret,
        "police_job": ImportJob.objects.create(
            municipality=world.sundsvall, kind=ImportJob.Kind.POLICE, file_name="p.jsonl"
        ),
        "mapping": PoliceTypeMapping.objects.first(),
        "profile": ImportProfileFactory(municipality=world.sundsvall),
        "category": CategoryFactory(municipality=world.sundsvall),
        "key": _key,
    }
    # the uploads stay stored (a failed validation keeps its file): remove them, as other
    # tests expect an empty upload directory
    for job in ImportJob.objects.exclude(stored_file=""):
        upload_storage().delete(job.stored_file)


def _urls_for(name: str, route: str, p: dict) -> list[str]:
    """The concrete URLs to GET for one route."""
    path = "/" + route.replace("<str:code>", "2281")
    if route.startswith("open311/v2/"):
        if "<str:pk>" in path:
            return [path.replace("<str:pk>", p["tip"].open311_request.token)]
        return [path.replace("<str:code>", "klotter")]
    if route.startswith("api/v1/"):
        if "<pk>" in route or "(?P<pk>" in route:
            return []  # the detail is walked explicitly below (its regex route has a format)
        return ["/api/v1/incidents/", "/api/v1/incidents/?format=geojson"]
    if name in INCIDENT_PK:
        return [path.replace("<int:pk>", str(p[k].pk)) for k in ("pd", "plain", "tip")]
    pks = {
        "police_job": [p["police_job"]],
        "police_job_status": [p["police_job"]],
        "police_mapping_edit": [p["mapping"]],
        "import_detail": [p["failed"], p["waiting"]],
        "import_mapping": [p["failed"], p["waiting"]],
        "import_progress": [p["failed"]],
        "import_errors": [p["failed"]],
        "import_profile_delete": [p["profile"]],
        "import_profile_file": [p["profile"]],
        "open311_key_edit": [p["key"]],
        "open311_key_revoke": [p["key"]],
        "open311_contact": [p["tip"]],
        "category_edit": [p["category"]],
    }
    if name in OTHER_PK:
        return [path.replace("<int:pk>", str(o.pk)) for o in pks[name]]
    return [path]


def test_every_route_logs_one_access_row_per_response_with_personal_data(
    world, planted, client_for
):
    p = planted
    routes = _incident_routes()
    known = INCIDENT_PK | POST_ONLY | OTHER_PK | NO_ARGS
    unknown = [
        (name, route)
        for name, route in routes
        if not route.startswith(("open311/v2/", "api/v1/")) and name not in known
    ]
    assert not unknown, f"routes the walk does not know (add them): {unknown}"

    # Every GET, as a municipal administrator and as a coordinator (privileged: they see the
    # restricted incidents and may open every page the others may) ...
    seen_marks = set()
    for actor in ("coordinator", "municipal_admin"):
        c = client_for(actor)
        for name, route in routes:
            if name in POST_ONLY:
                continue
            for url in _urls_for(name, route, p):
                body = _check(f"{actor} GET {url}", lambda c=c, url=url: c.get(url))
                seen_marks.update(m for m in MARKS if m in body)
        for incident in (p["pd"], p["plain"], p["tip"]):
            url = f"/api/v1/incidents/{incident.pk}/"
            body = _check(f"{actor} GET {url}", lambda c=c, url=url: c.get(url))
            seen_marks.update(m for m in MARKS if m in body)
    # ... so each kind of personal data was met and logged somewhere
    assert seen_marks == set(MARKS)

    c = client_for("coordinator")
    api = "/api/v1/incidents/"
    # PATCH and PUT on the API: the PATCH body returns the texts
    for incident in (p["pd"], p["plain"], p["tip"]):
        url = f"{api}{incident.pk}/"
        body = _check(
            f"PATCH {url}",
            lambda url=url: c.patch(url, {"count": 2}, content_type="application/json"),
        )
        assert (MARK in body or TIP_MARK in body) == incident.has_personal_data
        _check(
            f"PUT {url}",
            lambda url=url: c.put(url, {"count": 3}, content_type="application/json"),
        )
    # a PATCH refused by validation returns no text
    _check(
        "PATCH invalid",
        lambda: c.patch(f"{api}{p['pd'].pk}/", {"count": 0}, content_type="application/json"),
    )
    # POST on the API returns the created incident's texts
    payload = {
        "municipality": "2281",
        "category": p["pd"].category_id,
        "occurred_from": "2025-01-01T10:00:00+01:00",
        "lat": 62.39,
        "lon": 17.305,
        "description": MARK,
    }
    body = _check(
        "POST api (personal data)",
        lambda: c.post(
            api, {**payload, "has_personal_data": True}, content_type="application/json"
        ),
    )
    assert MARK in body
    _check(
        "POST api (no personal data)",
        lambda: c.post(api, {**payload, "description": "Klotter"}, content_type="application/json"),
    )
    # the edit page: a refused form shows the page again (logged), a saved one redirects
    edit = f"{H}{p['pd'].pk}/andra/"
    r_body = _check(
        "POST edit invalid", lambda: c.post(edit, form_data(description=MARK, count="0"))
    )
    assert MARK in r_body
    _check(
        "POST edit saved", lambda: c.post(edit, form_data(description=MARK, has_personal_data="on"))
    )
    # the mapping page of a colleague's upload, redrawn after a change (POST)
    mapping = f"{H}importer/{p['waiting'].pk}/kolumner/"
    _check(
        "POST mapping refresh", lambda: c.post(mapping, {"has_header": "on", "category_column": ""})
    )
    # status and publication (POST → redirect), the public Open311 POST
    _check("POST status", lambda: c.post(f"{H}{p['tip'].pk}/status/", {"status": "reviewed"}))
    body = _check(
        "Open311 POST",
        lambda: post(client_for("anon"), "json", tip(p["secret"], description=TIP_MARK)),
    )
    assert TIP_MARK not in body


def test_reads_of_incident_texts_name_the_fields_and_purpose(world, planted, client_for):
    c = client_for("coordinator")
    url = f"/api/v1/incidents/{planted['pd'].pk}/"
    r = c.patch(url, {"count": 2}, content_type="application/json")
    assert r.status_code == 200
    row = AuditEvent.objects.filter(kind=EventKind.ACCESS).latest("seq")
    assert row.object_id == str(planted["pd"].pk) and row.object_type == "incidents.incident"
    assert row.changes == {"fields": ["description", "place_description", "attributes"]}
    assert row.purpose == "API: incident changed" and row.actor_label == "coordinator"


def test_preview_of_a_colleagues_upload_is_logged_against_the_job(world, planted, client_for):
    job = planted["waiting"]
    r = client_for("coordinator").get(f"{H}importer/{job.pk}/kolumner/")
    assert r.status_code == 200 and ROW_MARK in r.content.decode()
    row = AuditEvent.objects.filter(kind=EventKind.ACCESS).latest("seq")
    assert row.object_type == "incidents.importjob" and row.object_id == str(job.pk)
    assert row.municipality_id == world.sundsvall.pk
    assert Incident.objects.filter(description=ROW_MARK).count() == 0
