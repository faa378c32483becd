"""The lägesbild document's pages: a coordinator drafts from a dashboard view and writes text, a
forum member comments, the coordinator marks it dealt with and publishes (the published page
comes from the snapshot), a new version, two versions side by side, the JSON download; who sees
and does what (404 for what one may not see, 403 for what one may not do)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation.models import ReportComment, SituationReport
from brygga.situation.scope import Period

from ..incidents.factories import IncidentFactory, category
from .test_figures import counted, events, make_incidents

pytestmark = pytest.mark.django_db

YEAR = Period.parse("2025")


def url(name, world, pk=None):
    kwargs = {"code": world.sundsvall.code}
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"situation:{name}", kwargs=kwargs)


@pytest.fixture
def data(world):
    make_incidents(world)
    return world


def _create(client, world, **extra):
    layer = world.areas["centrum"].layer_id
    response = client.post(
        url("report_new", world) + f"?period=2025&lager={layer}",
        {
            "report-title": "Lägesbild 2025",
            "report-period_start": "2025-01-01",
            "report-period_end": "2025-12-31",
            "report-forum": world.forums["safety"].pk,
            "report-audience": "partners",
            "lager": layer,
            **extra,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SituationReport.objects.latest("id")


def test_draft_comment_publish_and_the_frozen_page(data, client_for):
    world = data
    coordinator = client_for("coordinator")
    # the form starts from the dashboard view in the query
    layer = world.areas["centrum"].layer_id
    page = coordinator.get(url("report_new", world) + f"?period=2025-K2&lager={layer}")
    assert page.status_code == 200
    assert 'value="2025-04-01"' in page.content.decode()
    report = _create(coordinator, world)
    assert report.scope == {"lager": [str(layer)]} and report.state == "draft"
    direct = events(counted(world, YEAR))

    draft = coordinator.get(url("report_detail", world, report.pk)).content.decode()
    assert f"{direct} " in draft.replace("\u00a0", " ")  # the generated paragraph
    assert 'name="text_summary"' in draft and 'role="img"' in draft

    coordinator.post(url("report_texts", world, report.pk), {"text_summary": "Ett lugnt år."})
    report.refresh_from_db()
    assert report.texts["summary"] == "Ett lugnt år."

    # a forum member (the reporter's organisation is in the safety group) comments
    reporter = client_for("reporter")
    page = reporter.get(url("report_detail", world, report.pk)).content.decode()
    assert 'name="text_summary"' not in page and 'id="comment-crime"' in page
    reporter.post(
        url("report_comment", world, report.pk), {"section": "crime", "text": "Mer klotter."}
    )
    comment = ReportComment.objects.get(report=report)
    assert comment.section == "crime"
    assert (
        "Mer klotter." in coordinator.get(url("report_detail", world, report.pk)).content.decode()
    )
    # the reporter may not mark it dealt with; the coordinator may
    assert reporter.post(url("report_comment_resolve", world, comment.pk)).status_code == 403
    coordinator.post(url("report_comment_resolve", world, comment.pk), {"resolved": "1"})
    comment.refresh_from_db()
    assert comment.resolved

    # publishing: a confirmation that says the figures are frozen, then the POST
    confirm = coordinator.get(url("report_publish", world, report.pk)).content.decode()
    assert "frozen" in confirm or "låses" in confirm
    assert reporter.post(url("report_publish", world, report.pk)).status_code == 403
    coordinator.post(url("report_publish", world, report.pk))
    report.refresh_from_db()
    assert report.is_published and report.snapshot["meta"]["headline"]["events"] == direct
    assert AuditEvent.objects.filter(event_type="situation_report_published").exists()

    # new incidents: the published page still shows the frozen figures
    with acting_as(label="test setup"):
        for i in range(9):
            IncidentFactory(
                municipality=world.sundsvall,
                category=category("klotter"),
                occurred_from=dt.datetime(2025, 6, 1 + i, 12, tzinfo=dt.UTC),
                reporting_organisation=world.orgs["field"],
            )
    rebuild_counts(municipality_id=world.sundsvall.pk)
    page = coordinator.get(url("report_detail", world, report.pk)).content.decode()
    assert "Ett lugnt år." in page and 'id="report-frozen"' in page
    assert f"<td>{direct}</td>" in page and f"<td>{direct + 9}</td>" not in page
    assert 'name="text_summary"' not in page

    # JSON: the snapshot keyed by section
    body = json.loads(coordinator.get(url("report_json", world, report.pk)).content)
    assert body == report.snapshot and "crime" in body

    # a new version: a draft with the same texts, version 2; it sees the new incidents
    coordinator.post(url("report_new_version", world, report.pk))
    v2 = SituationReport.objects.latest("id")
    assert (v2.version, v2.supersedes_id, v2.state) == (2, report.pk, "draft")
    coordinator.post(url("report_publish", world, v2.pk))
    v2.refresh_from_db()
    assert v2.snapshot["meta"]["headline"]["events"] == direct + 9

    # compare side by side
    compare = coordinator.get(url("report_compare", world) + f"?a={report.pk}&b={v2.pk}")
    text = compare.content.decode()
    assert compare.status_code == 200
    assert f"<td>{direct}</td>" in text and f"<td>{direct + 9}</td>" in text
    assert 'id="table-a-kategorier"' in text and 'id="table-b-kategorier"' in text

    # the list shows both published versions
    listing = coordinator.get(url("reports", world)).content.decode()
    assert listing.count("Lägesbild 2025") >= 2


def test_who_sees_and_does_what(data, client_for):
    world = data
    report = _create(client_for("coordinator"), world)
    # the viewer is not in the forum and writes no reports: the draft does not exist for them
    viewer = client_for("viewer")
    assert viewer.get(url("report_detail", world, report.pk)).status_code == 404
    assert "Lägesbild 2025" not in viewer.get(url("reports", world)).content.decode()
    # the outsider (another municipality) sees nothing of Sundsvall
    outsider = client_for("outsider")
    assert outsider.get(url("reports", world)).status_code == 404
    assert outsider.get(url("report_detail", world, report.pk)).status_code == 404
    # a forum member reads the draft but may not publish or write a new draft
    reporter = client_for("reporter")
    assert reporter.get(url("report_detail", world, report.pk)).status_code == 200
    assert reporter.get(url("report_publish", world, report.pk)).status_code == 403
    assert reporter.get(url("report_new", world)).status_code == 403
    # a draft has no JSON download; a bad dashboard parameter is a 400 with the message
    coordinator = client_for("coordinator")
    assert coordinator.get(url("report_json", world, report.pk)).status_code == 404
    bad = coordinator.get(url("report_new", world) + "?period=igår")
    assert bad.status_code == 400 and "igår" in bad.content.decode()
    # once published, every member of the municipality reads it
    coordinator.post(url("report_publish", world, report.pk))
    assert viewer.get(url("report_detail", world, report.pk)).status_code == 200
    assert viewer.post(url("report_new_version", world, report.pk)).status_code == 403
    assert coordinator.post(url("report_texts", world, report.pk), {}).status_code == 403


def test_the_tables_have_readable_headings_not_field_names(data, client_for):
    """The JSON keeps its field names (other programs read them); the page shows headings in
    the interface's language."""
    import re

    coordinator = client_for("coordinator")
    report = _create(coordinator, data)
    page = coordinator.get(url("report_detail", data, report.pk)).content.decode()
    headings = re.findall(r"<th scope=\"col\"[^>]*>([^<]*)</th>", page)
    assert headings and "Händelser" in headings and "Föregående period" in headings
    assert not [h for h in headings if "_" in h or h in ("events", "name", "key")]
