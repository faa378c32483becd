"""The lägesbild document's writer: drafts, comments from the forum's members, publication with
a frozen snapshot (recorded with its hash), new versions; who may do what."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from brygga.audit.models import AuditEvent
from brygga.core.access import resolver_for
from brygga.situation import services
from brygga.situation.models import ReportComment, SituationReport

pytestmark = pytest.mark.django_db

JAN, DEC = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _draft(world, actor="analyst", **kw):
    return services.report_create(
        actor=world.users[actor],
        municipality=world.sundsvall,
        title="Lägesbild 2025",
        period_start=JAN,
        period_end=DEC,
        forum=kw.pop("forum", world.forums["safety"]),
        **kw,
    )


def test_analysts_and_coordinators_write_drafts_others_may_not(world):
    assert _draft(world, "analyst").state == "draft"
    assert _draft(world, "coordinator").version == 1
    for actor in ("viewer", "reporter", "case_worker", "outsider"):
        with pytest.raises(PermissionDenied):
            _draft(world, actor)


def test_a_period_that_ends_before_it_starts_is_refused_in_swedish_terms(world):
    with pytest.raises(ValidationError) as exc:
        services.report_create(
            actor=world.users["analyst"],
            municipality=world.sundsvall,
            title="Fel",
            period_start=DEC,
            period_end=JAN,
        )
    assert "period_end" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        SituationReport.objects.create(
            municipality=world.sundsvall, title="x", period_start=DEC, period_end=JAN
        )


def test_texts_merge_per_section_and_unknown_sections_are_refused(world):
    report = _draft(world, texts={"summary": " Kort. "})
    services.report_update(
        actor=world.users["analyst"], report=report, texts={"analysis": "Analys."}
    )
    report.refresh_from_db()
    assert report.texts == {"summary": "Kort.", "analysis": "Analys."}
    with pytest.raises(ValidationError):
        services.report_update(actor=world.users["analyst"], report=report, texts={"x": "y"})


def test_forum_members_read_and_comment_on_a_draft_others_do_not(world):
    report = _draft(world)
    # the reporter is a member of Fältassistenterna, a member organisation of the safety group
    reporter = world.users["reporter"]
    assert resolver_for(reporter).can("view", report)
    comment = services.comment_add(
        actor=reporter, report=report, section="crime", text="Mer klotter vid stationen."
    )
    assert comment.author == reporter
    # the viewer (Kommunledningen) is not in the forum and writes no reports
    viewer = world.users["viewer"]
    assert not resolver_for(viewer).can("view", report)
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=viewer, report=report, section="crime", text="x")
    with pytest.raises(PermissionDenied):  # another municipality
        services.comment_add(
            actor=world.users["outsider"], report=report, section="crime", text="x"
        )
    # the writers mark it dealt with; the commenter cannot
    with pytest.raises(PermissionDenied):
        services.comment_resolve(actor=reporter, comment=comment)
    services.comment_resolve(actor=world.users["analyst"], comment=comment)
    assert ReportComment.objects.get(pk=comment.pk).resolved


def test_an_empty_comment_or_an_unknown_section_is_refused(world):
    report = _draft(world)
    with pytest.raises(ValidationError):
        services.comment_add(actor=world.users["analyst"], report=report, section="crime", text=" ")
    with pytest.raises(ValidationError):
        services.comment_add(actor=world.users["analyst"], report=report, section="nope", text="x")


def test_publishing_freezes_the_snapshot_and_records_its_hash(world):
    report = _draft(world)
    snapshot = {"sections": {"crime": {"total": 123}}, "generated": dt.date(2026, 1, 2)}
    published = services.report_publish(
        actor=world.users["coordinator"], report=report, snapshot=snapshot
    )
    assert published.state == "published" and published.published_at is not None
    stored = SituationReport.objects.get(pk=report.pk)
    assert stored.snapshot == {"sections": {"crime": {"total": 123}}, "generated": "2026-01-02"}
    assert stored.snapshot_sha256 == services.snapshot_digest(stored.snapshot)
    event = AuditEvent.objects.filter(event_type="situation_report_published").get()
    assert event.changes["sha256"] == stored.snapshot_sha256
    # everyone in the municipality reads it now; nobody changes it
    assert resolver_for(world.users["viewer"]).can("view", stored)
    for actor in ("analyst", "coordinator"):
        with pytest.raises(PermissionDenied):
            services.report_update(actor=world.users[actor], report=stored, title="Ändrad")
        with pytest.raises(PermissionDenied):
            services.comment_add(actor=world.users[actor], report=stored, section="crime", text="x")
        with pytest.raises(PermissionDenied):
            services.report_delete(actor=world.users[actor], report=stored)


def test_a_new_version_supersedes_the_published_one(world):
    first = services.report_publish(
        actor=world.users["analyst"], report=_draft(world, texts={"summary": "A"}), snapshot={}
    )
    second = services.report_new_version(actor=world.users["analyst"], report=first)
    assert (second.version, second.supersedes_id, second.state) == (2, first.pk, "draft")
    assert second.texts == {"summary": "A"}
    services.report_publish(actor=world.users["analyst"], report=second, snapshot={"x": 1})
    third = services.report_new_version(actor=world.users["analyst"], report=first)
    assert third.version == 3
    with pytest.raises(PermissionDenied):
        services.report_new_version(actor=world.users["viewer"], report=first)


def test_a_draft_can_be_removed_with_its_comments(world):
    report = _draft(world)
    services.comment_add(actor=world.users["reporter"], report=report, section="other", text="x")
    with pytest.raises(PermissionDenied):
        services.report_delete(actor=world.users["reporter"], report=report)
    services.report_delete(actor=world.users["analyst"], report=report)
    assert not SituationReport.objects.filter(pk=report.pk).exists()
    assert not ReportComment.objects.exists()
