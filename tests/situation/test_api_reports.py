"""The published lägesbilder in the REST API: the list (id, title, period, audience, version,
published, superseded) and one report's snapshot, through the resolver — drafts never, another
municipality 404, anonymous refused like the rest of the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .test_public import make_reports

pytestmark = pytest.mark.django_db


def url(code, pk=None):
    if pk is None:
        return reverse("api:situation-report-list", kwargs={"code": code})
    return reverse("api:situation-report-detail", kwargs={"code": code, "pk": pk})


@pytest.fixture
def reports(world):
    return make_reports(world)


def test_the_list_holds_the_published_reports_only(world, reports, client_for):
    response = client_for("viewer").get(url("2281"))
    assert response.status_code == 200
    items = response.json()
    ids = [i["id"] for i in items]
    expected = {reports[k].pk for k in ("v1", "v2", "council", "partners")}
    assert set(ids) == expected
    assert reports["draft"].pk not in ids and reports["timra"].pk not in ids
    v1 = next(i for i in items if i["id"] == reports["v1"].pk)
    v2 = next(i for i in items if i["id"] == reports["v2"].pk)
    assert v1["superseded"] is True and v2["superseded"] is False
    assert v2["supersedes"] == reports["v1"].pk and v2["version"] == 2
    assert v1["audience"] == "public" and v1["period_start"] == "2025-01-01"
    assert ids.index(v2["id"]) < ids.index(v1["id"])  # newest first


def test_a_report_is_its_snapshot(world, reports, client_for):
    client = client_for("viewer")
    council = reports["council"]
    response = client.get(url("2281", council.pk))
    assert response.status_code == 200
    assert response.json() == council.snapshot


def test_drafts_other_municipalities_and_anonymous(world, reports, client_for):
    # a draft is not served even to its writer
    assert client_for("coordinator").get(url("2281", reports["draft"].pk)).status_code == 404
    # Timrå's report under Sundsvall's code, and Sundsvall for Timrå's user
    assert client_for("viewer").get(url("2281", reports["timra"].pk)).status_code == 404
    assert client_for("outsider").get(url("2281")).status_code == 404
    assert client_for("outsider").get(url("2281", reports["v1"].pk)).status_code == 404
    assert client_for("outsider").get(url("2262")).status_code == 200
    assert client_for("anon").get(url("2281")).status_code == 403


def test_the_schema_names_the_routes(client_for):
    response = client_for("viewer").get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/situation/{code}/reports/" in paths
    assert "/api/v1/situation/{code}/reports/{id}/" in paths
    item = response.json()["components"]["schemas"]["ReportItem"]
    assert {"id", "superseded", "audience", "published_at"} <= set(item["properties"])
