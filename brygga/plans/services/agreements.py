"""Writes of cooperation agreements and citizen promises (the one writer of ``Agreement``,
``AgreementParty``, ``AgreementPriority``, ``CitizenPromise`` and ``PromiseProblem``).

Developer note:

* Every service is keyword-only, runs in one transaction and asks the resolver first:
  ``can_create_in`` for a new row, ``can(CHANGE, obj)`` for a change (coordinators, ``manage``,
  per ``plans/access.py``). Bad input is a ``ValidationError`` keyed by the form's field names.
* An agreement's parties are organisations of its municipality (one row each, with mandate,
  commitments and signatory); its priority areas are an ordered list of titles (``position``
  follows the list). Saving replaces both lists.
* The signed document is checked by its content, not its name (``check_signed_document``):
  a PDF starts with ``%PDF-``; a DOCX is a zip that holds ``word/document.xml``. At most
  ``SIGNED_DOCUMENT_MAX_BYTES``. The bytes, the uploader's file name and the content type are
  kept in the row.
* A renewal is a new agreement that ``renews`` the old one, with its parties and priorities
  copied and a new period (it must start after the old one started).
* A promise's problems are ``PlanProblem`` rows of plans of its municipality that the actor
  reads. An extension must end after ``period_end``. A closed status (fulfilled, partly, not
  fulfilled) needs a justification; ``status_changed_on`` is set here. Publishing sets
  ``published_on`` (today by default): the public page lists it from that day.
* Domain events (``agreement_renewed``, ``agreement_document_attached``,
  ``promise_status_set``, ``promise_extended``, ``promise_published``) add a ``log_action``
  row; every save is also in the change history (the change tracker).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Municipality, Organisation, PoliceArea

from ..models import (
    CLOSED_PROMISE_STATUSES,
    SIGNED_DOCUMENT_MAX_BYTES,
    Agreement,
    AgreementParty,
    AgreementPriority,
    CitizenPromise,
    PlanProblem,
    PromiseStatus,
    link_defaults,
)
from ..selectors.agreements import problems_for

__all__ = [
    "PDF_TYPE",
    "DOCX_TYPE",
    "agreement_create",
    "agreement_renew",
    "agreement_update",
    "check_signed_document",
    "promise_create",
    "promise_extend",
    "promise_publish",
    "promise_set_status",
    "promise_update",
]

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PRIORITY_MAX = 200


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_period(start: dt.date, end: dt.date) -> None:
    if start and end and end < start:
        raise ValidationError(
            {
                "period_end": _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            }
        )


def _check_create(actor, model, municipality: Municipality) -> None:
    if not resolver_for(actor).can_create_in(model, municipality):
        raise PermissionDenied


def _check_change(actor, obj) -> None:
    if not resolver_for(actor).can(CHANGE, obj):
        raise PermissionDenied


# --- the signed document ---------------------------------------------------------------------
def _too_large(name: str) -> ValidationError:
    return ValidationError(
        {
            "signed_document": _(
                "The file “%(name)s” is too large: at most %(mb)s MB can be attached."
            )
            % {"name": name, "mb": SIGNED_DOCUMENT_MAX_BYTES // (1024 * 1024)}
        }
    )


def check_signed_document(*, name: str, content: bytes) -> str:
    """The content type of an uploaded signed agreement (PDF or DOCX, told by the content);
    a ``ValidationError`` on ``signed_document`` naming the file otherwise."""
    if len(content) > SIGNED_DOCUMENT_MAX_BYTES:
        raise _too_large(name)
    if content.startswith(b"%PDF-"):
        return PDF_TYPE
    if content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                if "word/document.xml" in zf.namelist():
                    return DOCX_TYPE
        except (zipfile.BadZipFile, ValueError, OSError):
            pass
    raise ValidationError(
        {
            "signed_document": _(
                "The file “%(name)s” is neither a PDF nor a Word document (DOCX). Attach the "
                "signed agreement as PDF or DOCX."
            )
            % {"name": name}
        }
    )


def _attach(agreement: Agreement, document) -> None:
    """``document``: an uploaded file (name + read()) or a (name, bytes) pair."""
    if isinstance(document, tuple):
        name, content = document
    else:
        if (getattr(document, "size", 0) or 0) > SIGNED_DOCUMENT_MAX_BYTES:
            raise _too_large(document.name)
        name, content = document.name, document.read()
    name = (name or "dokument").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    agreement.signed_document_type = check_signed_document(name=name, content=content)
    agreement.signed_document = content
    agreement.signed_document_name = name


# --- agreements ------------------------------------------------------------------------------
def _check_police_area(municipality: Municipality, police_area: PoliceArea | None) -> None:
    if (
        police_area is not None
        and not police_area.municipalities.filter(pk=municipality.pk).exists()
    ):
        raise ValidationError(
            {"police_area": _("Choose a local police area that covers the municipality.")}
        )


def _clean_priorities(priorities: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in priorities:
        title = (raw or "").strip()
        if not title:
            continue
        if len(title) > PRIORITY_MAX:
            raise ValidationError(
                {
                    "priorities": _("A priority area is at most %(n)s characters: “%(t)s…”")
                    % {"n": PRIORITY_MAX, "t": title[:40]}
                }
            )
        if title.casefold() in {t.casefold() for t in out}:
            raise ValidationError(
                {"priorities": _("The priority area “%(t)s” is listed twice.") % {"t": title}}
            )
        out.append(title)
    return out


def _clean_parties(municipality: Municipality, parties: Iterable[dict]) -> list[dict]:
    out: list[dict] = []
    seen: set[int] = set()
    for p in parties:
        org = p.get("organisation")
        if org is None:
            continue
        if not isinstance(org, Organisation) or org.municipality_id != municipality.pk:
            raise ValidationError(
                {"parties": _("A party must be an organisation of the municipality.")}
            )
        if org.pk in seen:
            raise ValidationError(
                {"parties": _("“%(org)s” is listed twice as a party.") % {"org": org}}
            )
        seen.add(org.pk)
        out.append(
            {
                "organisation": org,
                **{
                    k: (p.get(k) or "").strip()
                    for k in ("mandate", "commitments", "signatory", "signatory_title")
                },
            }
        )
    return out


def _set_lists(agreement: Agreement, parties: list[dict], priorities: list[str]) -> None:
    agreement.parties.all().delete()
    for p in parties:
        AgreementParty.objects.create(agreement=agreement, **p)
    keep = {t.casefold() for t in priorities}
    # priorities that measures point at stay (their measures keep the link), renumbered
    existing = {p.title.casefold(): p for p in agreement.priorities.all()}
    for key, row in existing.items():
        if key not in keep:
            row.delete()
    for position, title in enumerate(priorities, start=1):
        row = existing.get(title.casefold())
        if row is None:
            AgreementPriority.objects.create(agreement=agreement, title=title, position=position)
        elif row.position != position or row.title != title:
            row.position, row.title = position, title
            row.save()


@transaction.atomic
def agreement_create(
    *,
    actor,
    municipality: Municipality,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    police_area: PoliceArea | None = None,
    summary: str = "",
    signed_on: dt.date | None = None,
    parties: Iterable[dict] = (),
    priorities: Iterable[str] = (),
    signed_document=None,
    renews: Agreement | None = None,
) -> Agreement:
    """A new agreement with its parties (dicts: organisation, mandate, commitments, signatory,
    signatory_title) and priority areas (titles, in order)."""
    _check_create(actor, Agreement, municipality)
    _check_period(period_start, period_end)
    _check_police_area(municipality, police_area)
    clean_parties = _clean_parties(municipality, parties)
    clean_priorities = _clean_priorities(priorities)
    agreement = Agreement(
        municipality=municipality,
        title=(title or "").strip(),
        police_area=police_area,
        period_start=period_start,
        period_end=period_end,
        summary=(summary or "").strip(),
        signed_on=signed_on,
        renews=renews,
        created_by=_user(actor),
    )
    if signed_document:
        _attach(agreement, signed_document)
    agreement.full_clean(exclude=["signed_document", "renews", "created_by"])
    agreement.save()
    _set_lists(agreement, clean_parties, clean_priorities)
    if signed_document:
        _log_document(agreement)
    return agreement


def _log_document(agreement: Agreement) -> None:
    log_action(
        event_type="agreement_document_attached",
        subject=agreement,
        details={
            "name": agreement.signed_document_name,
            "type": agreement.signed_document_type,
            "bytes": len(agreement.signed_document or b""),
        },
    )


@transaction.atomic
def agreement_update(
    *,
    actor,
    municipality: Municipality,
    instance: Agreement,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    police_area: PoliceArea | None = None,
    summary: str = "",
    signed_on: dt.date | None = None,
    parties: Iterable[dict] | None = None,
    priorities: Iterable[str] | None = None,
    signed_document=None,
) -> Agreement:
    """Change an agreement; ``parties`` / ``priorities`` of ``None`` keep the lists, and a
    new ``signed_document`` replaces the old one (none keeps it)."""
    _check_change(actor, instance)
    if instance.municipality_id != municipality.pk:
        raise PermissionDenied
    _check_period(period_start, period_end)
    _check_police_area(municipality, police_area)
    clean_parties = _clean_parties(municipality, parties) if parties is not None else None
    clean_priorities = _clean_priorities(priorities) if priorities is not None else None
    instance.title = (title or "").strip()
    instance.police_area = police_area
    instance.period_start, instance.period_end = period_start, period_end
    instance.summary = (summary or "").strip()
    instance.signed_on = signed_on
    if signed_document:
        _attach(instance, signed_document)
    instance.full_clean(exclude=["signed_document", "renews", "created_by"])
    instance.save()
    if clean_parties is not None or clean_priorities is not None:
        _set_lists(
            instance,
            clean_parties
            if clean_parties is not None
            else [
                {
                    "organisation": p.organisation,
                    "mandate": p.mandate,
                    "commitments": p.commitments,
                    "signatory": p.signatory,
                    "signatory_title": p.signatory_title,
                }
                for p in instance.parties.all()
            ],
            clean_priorities
            if clean_priorities is not None
            else [p.title for p in instance.priorities.all()],
        )
    if signed_document:
        _log_document(instance)
    return instance


@transaction.atomic
def agreement_renew(
    *,
    actor,
    agreement: Agreement,
    period_start: dt.date,
    period_end: dt.date,
    title: str = "",
) -> Agreement:
    """A new agreement that renews ``agreement``: its parties (mandates and commitments, not
    the signatures) and priority areas copied, a new period, not yet signed."""
    _check_change(actor, agreement)
    _check_period(period_start, period_end)
    if period_start <= agreement.period_start:
        raise ValidationError(
            {
                "period_start": _(
                    "The renewed agreement must start after the one it renews started (%(start)s)."
                )
                % {"start": agreement.period_start.isoformat()}
            }
        )
    new = agreement_create(
        actor=actor,
        municipality=agreement.municipality,
        title=(title or "").strip() or agreement.title,
        period_start=period_start,
        period_end=period_end,
        police_area=agreement.police_area,
        summary=agreement.summary,
        parties=[
            {"organisation": p.organisation, "mandate": p.mandate, "commitments": p.commitments}
            for p in agreement.parties.select_related("organisation")
        ],
        priorities=[p.title for p in agreement.priorities.all()],
        renews=agreement,
    )
    log_action(event_type="agreement_renewed", subject=new, details={"renews": agreement.pk})
    return new


# --- citizen promises ------------------------------------------------------------------------
def _clean_problems(actor, municipality: Municipality, problems) -> list[PlanProblem]:
    problems = list(problems or [])
    if not problems:
        return []
    allowed = set(
        problems_for(actor, municipality)
        .filter(pk__in=[p.pk for p in problems])
        .values_list("pk", flat=True)
    )
    if any(p.pk not in allowed or p.municipality_id != municipality.pk for p in problems):
        raise ValidationError(
            {"problems": _("Choose problems of the municipality's plans that you can see.")}
        )
    return problems


def _check_agreement(actor, municipality: Municipality, agreement: Agreement | None) -> None:
    if agreement is None:
        return
    if (
        agreement.municipality_id != municipality.pk
        or not Agreement.objects.visible_to(actor, VIEW).filter(pk=agreement.pk).exists()
    ):
        raise ValidationError(
            {"agreement": _("Choose a cooperation agreement of the municipality.")}
        )


PROMISE_TEXT_FIELDS = ("title", "text", "police_commitments", "municipality_commitments")


@transaction.atomic
def promise_create(
    *,
    actor,
    municipality: Municipality,
    title: str,
    text: str,
    period_start: dt.date,
    period_end: dt.date,
    police_commitments: str = "",
    municipality_commitments: str = "",
    agreement: Agreement | None = None,
    problems: Iterable[PlanProblem] = (),
) -> CitizenPromise:
    """A new citizen promise (active, not published)."""
    _check_create(actor, CitizenPromise, municipality)
    _check_period(period_start, period_end)
    _check_agreement(actor, municipality, agreement)
    clean = _clean_problems(actor, municipality, problems)
    promise = CitizenPromise(
        municipality=municipality,
        period_start=period_start,
        period_end=period_end,
        agreement=agreement,
        created_by=_user(actor),
        **{
            k: (v or "").strip()
            for k, v in zip(
                PROMISE_TEXT_FIELDS,
                (title, text, police_commitments, municipality_commitments),
                strict=True,
            )
        },
    )
    promise.full_clean(exclude=["agreement", "created_by"])
    promise.save()
    promise.problems.set(clean, through_defaults=link_defaults(promise))
    return promise


@transaction.atomic
def promise_update(
    *,
    actor,
    municipality: Municipality,
    instance: CitizenPromise,
    title: str,
    text: str,
    period_start: dt.date,
    period_end: dt.date,
    police_commitments: str = "",
    municipality_commitments: str = "",
    agreement: Agreement | None = None,
    problems: Iterable[PlanProblem] | None = None,
) -> CitizenPromise:
    """Change a promise's text, period, commitments, agreement and problems (``None`` keeps
    them). The status, the extension and publication have services of their own."""
    _check_change(actor, instance)
    if instance.municipality_id != municipality.pk:
        raise PermissionDenied
    _check_period(period_start, period_end)
    if instance.extended_to and instance.extended_to <= period_end:
        raise ValidationError(
            {
                "period_end": _(
                    "The promise is extended to %(ext)s: its period must end before that."
                )
                % {"ext": instance.extended_to.isoformat()}
            }
        )
    _check_agreement(actor, municipality, agreement)
    clean = _clean_problems(actor, municipality, problems) if problems is not None else None
    for k, v in zip(
        PROMISE_TEXT_FIELDS,
        (title, text, police_commitments, municipality_commitments),
        strict=True,
    ):
        setattr(instance, k, (v or "").strip())
    instance.period_start, instance.period_end = period_start, period_end
    instance.agreement = agreement
    instance.full_clean(exclude=["agreement", "created_by"])
    instance.save()
    if clean is not None:
        instance.problems.set(clean, through_defaults=link_defaults(instance))
    return instance


@transaction.atomic
def promise_set_status(
    *, actor, promise: CitizenPromise, status: str, justification: str = ""
) -> CitizenPromise:
    """Set the status; a closed status (fulfilled, partly, not fulfilled) needs its
    justification."""
    _check_change(actor, promise)
    if status not in PromiseStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    justification = (justification or "").strip()
    if status in CLOSED_PROMISE_STATUSES and not justification:
        raise ValidationError(
            {
                "status_justification": _(
                    "Say why the promise is “%(status)s”: a closed status needs a "
                    "justification, which is shown with it."
                )
                % {"status": PromiseStatus(status).label}
            }
        )
    before = promise.status
    promise.status = status
    promise.status_justification = justification
    promise.status_changed_on = timezone.localdate()
    promise.save()
    log_action(
        event_type="promise_status_set",
        subject=promise,
        details={"from": before, "to": status},
    )
    return promise


@transaction.atomic
def promise_extend(*, actor, promise: CitizenPromise, extended_to: dt.date) -> CitizenPromise:
    """Extend the promise to ``extended_to``, which must be after its period's end."""
    _check_change(actor, promise)
    if extended_to is None or extended_to <= promise.period_end:
        raise ValidationError(
            {
                "extended_to": _("An extension must end after the promise's period ends (%(end)s).")
                % {"end": promise.period_end.isoformat()}
            }
        )
    before = promise.extended_to
    promise.extended_to = extended_to
    promise.save()
    log_action(
        event_type="promise_extended",
        subject=promise,
        details={
            "from": before.isoformat() if before else None,
            "to": extended_to.isoformat(),
        },
    )
    return promise


@transaction.atomic
def promise_publish(
    *, actor, promise: CitizenPromise, published_on: dt.date | None = None
) -> CitizenPromise:
    """Show the promise on the municipality's public page from ``published_on`` (today by
    default)."""
    _check_change(actor, promise)
    promise.published_on = published_on or timezone.localdate()
    promise.save()
    log_action(
        event_type="promise_published",
        subject=promise,
        details={"published_on": promise.published_on.isoformat()},
    )
    return promise
