"""Writes of the lägesbild document (keyword-only, the permission check first, one transaction,
audit through the change tracker and ``log_action``): the one writer of ``SituationReport`` and
``ReportComment``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Forum, Municipality

from ..access import can_comment
from ..models import SECTION_KEYS, Audience, ReportComment, SituationReport

TEXT_MAX = 20_000  # characters per section


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError(
            {
                "period_end": _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            }
        )


def _check_texts(texts: dict) -> dict:
    unknown = set(texts) - set(SECTION_KEYS)
    if unknown:
        raise ValidationError(_("Unknown sections: %(s)s") % {"s": ", ".join(sorted(unknown))})
    clean = {}
    for key, value in texts.items():
        value = (value or "").strip()
        if len(value) > TEXT_MAX:
            raise ValidationError(
                {key: _("The text is too long (at most %(n)s characters).") % {"n": TEXT_MAX}}
            )
        clean[key] = value
    return clean


def _check_forum(actor, municipality: Municipality, forum: Forum | None) -> None:
    if forum is None:
        return
    from brygga.core.selectors import forums_for

    if (
        forum.municipality_id != municipality.pk
        or not forums_for(actor, municipality).filter(pk=forum.pk).exists()
    ):
        raise ValidationError({"forum": _("Choose a forum of the municipality that you can see.")})


@transaction.atomic
def report_create(
    *,
    actor,
    municipality: Municipality,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    scope: dict | None = None,
    forum: Forum | None = None,
    audience: str = Audience.PARTNERS,
    texts: dict | None = None,
    ranking_weights: dict | None = None,
) -> SituationReport:
    """A new draft."""
    if not resolver_for(actor).can_create_in(SituationReport, municipality):
        raise PermissionDenied
    _check_period(period_start, period_end)
    _check_forum(actor, municipality, forum)
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    report = SituationReport(
        municipality=municipality,
        forum=forum,
        title=title.strip(),
        period_start=period_start,
        period_end=period_end,
        scope=dict(scope or {}),
        audience=audience,
        texts=_check_texts(texts or {}),
        ranking_weights=dict(ranking_weights or {}),
        created_by=_user(actor),
    )
    report.full_clean(exclude=["snapshot"])
    report.save()
    return report


@transaction.atomic
def report_update(*, actor, report: SituationReport, **fields) -> SituationReport:
    """Change a draft: its title, period, scope, forum, audience, texts (merged per section)
    or ranking weights. A published report is never changed."""
    report = SituationReport.objects.select_for_update().get(
        municipality_id=report.municipality_id, pk=report.pk
    )
    if not resolver_for(actor).can(CHANGE, report):
        raise PermissionDenied
    allowed = {
        "title",
        "period_start",
        "period_end",
        "scope",
        "forum",
        "audience",
        "texts",
        "ranking_weights",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    if "texts" in fields:
        fields["texts"] = {**report.texts, **_check_texts(fields["texts"])}
    if "forum" in fields:
        _check_forum(actor, report.municipality, fields["forum"])
    if "audience" in fields and fields["audience"] not in Audience.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    for k, v in fields.items():
        setattr(report, k, v.strip() if k == "title" else v)
    _check_period(report.period_start, report.period_end)
    report.full_clean(exclude=["snapshot"])
    report.save()
    return report


@transaction.atomic
def report_delete(*, actor, report: SituationReport) -> None:
    """Remove a draft (with its comments). Published reports stay for ever."""
    if not resolver_for(actor).can(CHANGE, report):
        raise PermissionDenied
    report.comments.all().delete()
    report.delete()


def snapshot_digest(snapshot: dict) -> str:
    """The SHA-256 of the snapshot's canonical JSON (recorded in the audit trail)."""
    data = json.dumps(snapshot, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@transaction.atomic
def report_publish(*, actor, report: SituationReport, snapshot: dict) -> SituationReport:
    """Publish a draft with its ``snapshot`` (everything it shows, built by
    ``snapshot.build_snapshot`` for this report): from now on it is rendered from the snapshot
    only. One audit action records the publication and the snapshot's hash."""
    report = SituationReport.objects.select_for_update().get(
        municipality_id=report.municipality_id, pk=report.pk
    )
    if not resolver_for(actor).can(CHANGE, report):
        raise PermissionDenied
    # round-trip through JSON so what is stored is exactly what is rendered later
    frozen = json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder, ensure_ascii=False))
    report.snapshot = frozen
    report.snapshot_sha256 = snapshot_digest(frozen)
    report.state = SituationReport.State.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = _user(actor)
    report.save()
    log_action(
        event_type="situation_report_published",
        subject=report,
        details={
            "version": report.version,
            "audience": report.audience,
            "sha256": report.snapshot_sha256,
        },
    )
    return report


@transaction.atomic
def report_new_version(*, actor, report: SituationReport) -> SituationReport:
    """A new draft from a published report: the same scope, texts and weights, version + 1."""
    if not report.is_published or not resolver_for(actor).can(VIEW, report):
        raise PermissionDenied
    draft = report_create(
        actor=actor,
        municipality=report.municipality,
        title=report.title,
        period_start=report.period_start,
        period_end=report.period_end,
        scope=report.scope,
        forum=report.forum,
        audience=report.audience,
        texts=report.texts,
        ranking_weights=report.ranking_weights,
    )
    latest = (
        SituationReport.objects.filter(municipality_id=report.municipality_id)
        .filter(pk__in=_lineage_ids(report))
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    draft.version = (latest or report.version) + 1
    draft.supersedes = report
    draft.save(update_fields=["version", "supersedes", "updated_at"])
    return draft


def _lineage_ids(report: SituationReport) -> set[int]:
    """The ids of the report's earlier versions and the drafts that supersede them."""
    ids = {report.pk}
    current = report
    while current.supersedes_id is not None:
        ids.add(current.supersedes_id)
        current = SituationReport.objects.get(
            municipality_id=current.municipality_id, pk=current.supersedes_id
        )
    ids |= set(
        SituationReport.objects.filter(
            municipality_id=report.municipality_id, supersedes_id__in=ids
        ).values_list("pk", flat=True)
    )
    return ids


@transaction.atomic
def comment_add(*, actor, report: SituationReport, section: str, text: str) -> ReportComment:
    """A comment on one section of a draft, by a writer or a member of the report's forum."""
    if not can_comment(resolver_for(actor), report):
        raise PermissionDenied
    if section not in SECTION_KEYS:
        raise ValidationError({"section": _("Unknown section.")})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {"text": _("The text is too long (at most %(n)s characters).") % {"n": TEXT_MAX}}
        )
    comment = ReportComment(
        municipality_id=report.municipality_id,
        report=report,
        section=section,
        author=_user(actor),
        text=text,
    )
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def comment_resolve(*, actor, comment: ReportComment, resolved: bool = True) -> ReportComment:
    """Mark a comment as dealt with (or not), by the report's writers."""
    if not resolver_for(actor).can(CHANGE, comment):
        raise PermissionDenied
    comment.resolved = resolved
    comment.save(update_fields=["resolved", "updated_at"])
    return comment
