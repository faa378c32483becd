"""Writes that set up and steer imports: saved column mappings (import profiles), new import
jobs (CSV/Excel, police events) and the police type → category mapping.

The job rows themselves are changed only by :mod:`brygga.incidents.imports.jobs`; the incidents
of an import are written by the import's writer through :class:`IncidentBulkWriter`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Municipality

from ..imports import jobs
from ..models import Category, ImportJob, ImportProfile, Incident, PoliceTypeMapping, Source
from .rollups import days_of, refresh_days

if TYPE_CHECKING:
    from ..imports.tabular import Detected, Mapping


def _require_import(actor, municipality: Municipality) -> None:
    """``actor`` (a user, or a ``SystemActor`` for work no person starts; never ``None``) may
    import into ``municipality``."""
    if not resolver_for(actor).can_import(municipality):
        raise PermissionDenied


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- CSV/Excel ------------------------------------------------------------------------------
@transaction.atomic
def import_profile_save(
    *,
    actor,
    municipality: Municipality,
    name: str,
    mapping: Mapping,
    instance: ImportProfile | None = None,
) -> ImportProfile:
    """Save a mapping as a named profile (unique per municipality)."""
    _require_import(actor, municipality)
    name = name.strip()
    if not name:
        raise ValidationError({"profile_name": _("Give the profile a name.")})
    clash = ImportProfile.objects.filter(municipality=municipality, name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError(
            {"profile_name": _("There is already a profile called “%(name)s”.") % {"name": name}}
        )
    profile = instance or ImportProfile(municipality=municipality)
    profile.name = name
    profile.mapping = mapping.to_json()
    if profile.pk is None:
        profile.created_by = _user(actor)
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def import_profile_delete(*, actor, profile: ImportProfile) -> None:
    _require_import(actor, profile.municipality)
    profile.delete()


def import_job_create(
    *,
    actor,
    municipality: Municipality | None,
    file_name: str,
    stored_file: str = "",
    detected: Detected,
    profile: ImportProfile | None = None,
    options: dict | None = None,
    all_municipalities: bool = False,
) -> ImportJob:
    """Register a CSV/Excel file (as :func:`~brygga.incidents.imports.tabular.detect` read
    it) for import in ``municipality``; it waits for its mapping. With
    ``all_municipalities`` (system administrators only) each row goes to the municipality it
    names; the job is listed under ``municipality`` (the page's; none for the command)."""
    all_municipalities = all_municipalities or municipality is None
    if not resolver_for(actor).can_import(municipality, all_municipalities=all_municipalities):
        raise PermissionDenied
    scope = {"scope": "all"} if all_municipalities else {}
    return jobs.create(
        kind=ImportJob.Kind.TABULAR,
        municipality=municipality,
        file_name=file_name,
        stored_file=stored_file,
        profile=profile,
        options={"detected": detected.to_json(), **scope, **(options or {})},
        created_by=_user(actor),
    )


# --- police events --------------------------------------------------------------------------
@transaction.atomic
def police_job_create(
    *,
    actor,
    municipality: Municipality,
    file_name: str,
    stored_file: str,
    all_municipalities: bool = False,
    language: str = "",
) -> ImportJob:
    """Register an uploaded police events file for import in ``municipality``. Only system
    administrators may import the events of every municipality."""
    if not resolver_for(actor).can_import(municipality, all_municipalities=all_municipalities):
        raise PermissionDenied
    return jobs.create(
        kind=ImportJob.Kind.POLICE,
        municipality=municipality,
        file_name=Path(file_name).name,
        stored_file=stored_file,
        options={"scope": "all" if all_municipalities else "municipality", "language": language},
        created_by=_user(actor),
    )


def police_cli_job_create(
    *, municipality: Municipality | None, file_name: str, language: str = ""
) -> ImportJob:
    """Register a file imported by ``brygga import-police``, so that the import is listed with
    the others: under ``municipality`` when the command was limited to it, else under none.
    The command imports in the foreground, so there is no stored file and no task."""
    return jobs.create(
        kind=ImportJob.Kind.POLICE,
        municipality=municipality,
        file_name=Path(file_name).name,
        options={
            "scope": "municipality" if municipality is not None else "all",
            "language": language,
            "cli": True,
        },
    )


@transaction.atomic
def police_mapping_update(
    *, actor, mapping: PoliceTypeMapping, category: Category, is_summary: bool
) -> int:
    """Map a police type to a category and re-categorise every police incident of that type
    (one transaction, one audit row). Returns the number of incidents re-categorised."""
    if not resolver_for(actor).can(CHANGE, mapping):
        raise PermissionDenied
    if category.municipality_id is not None or not category.is_active:
        raise ValidationError({"category": _("Choose one of the national categories.")})
    before = {
        "category": mapping.category.code,
        "is_summary": mapping.is_summary,
        "reviewed": mapping.reviewed,
    }
    mapping.category = category
    mapping.is_summary = is_summary
    mapping.reviewed = True
    mapping.save()
    events = Incident.objects.filter(source=Source.POLICE, source_type=mapping.police_type)
    # events, not rows: a county-level event is held by every municipality of its county
    n = (
        events.filter(county_event=False).count()
        + events.filter(county_event=True).values("source_id").distinct().count()
    )
    touched = days_of(events)  # the lägesbild's counts of their days (category, summary)
    events.update(category=category, is_summary=is_summary, updated_at=timezone.now())
    refresh_days(touched)
    log_action(
        event_type="police_type_mapping_changed",
        subject=mapping,
        details={
            "police_type": mapping.police_type,
            "before": before,
            "after": {"category": category.code, "is_summary": is_summary, "reviewed": True},
            "recategorised": n,
        },
    )
    return n
