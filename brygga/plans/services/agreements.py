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
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.models import Municipality, Organisation, PoliceArea

from ..models import (
    SIGNED_DOCUMENT_MAX_BYTES,
    Agreement,
    AgreementParty,
    AgreementPriority,
)
from .agreements_common import check_change, check_create, check_period, user_or_none

# the promise services (promises.py), importable from here too
from .promises import (
    promise_create,
    promise_extend,
    promise_publish,
    promise_set_status,
    promise_update,
)

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
    check_create(actor, Agreement, municipality)
    check_period(period_start, period_end)
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
        created_by=user_or_none(actor),
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
    check_change(actor, instance)
    if instance.municipality_id != municipality.pk:
        raise PermissionDenied
    check_period(period_start, period_end)
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
    check_change(actor, agreement)
    check_period(period_start, period_end)
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
