"""Writes of area statistics (the one writer of ``StatImport``, ``StatValue`` and
``StatFeed``). Keyword-only and atomic; the change tracker writes the audit rows (a replaced
value keeps its earlier figure in the history) in the same transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import resolver_for
from brygga.core.area_codes import code_municipality, normalise_code, statistical_kind
from brygga.core.models import Area, Municipality
from brygga.core.services import area_for_code, area_save

from .models import StatFeed, StatImport, StatValue
from .readers import ParsedStats, Problem

Progress = Callable[[int, int], None]
PREVIEW_KEPT = timedelta(days=1)


class StatsImportError(Exception):
    """The file's rows have problems: nothing was imported. ``problems`` name file, row and
    column (Swedish)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems[:20]))


@dataclass
class ImportSummary:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0  # ".." in the source: nothing stored
    other_municipalities: int = 0  # "andra kommuners rader", skipped
    new_areas: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    areas: int = 0
    municipality_level: int = 0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "other_municipalities": self.other_municipalities,
            "new_areas": len(self.new_areas),
            "areas": self.areas,
        }


def _require_manage(actor, municipality: Municipality) -> None:
    if not resolver_for(actor).can_create_in(StatValue, municipality):
        raise PermissionDenied


def _areas_by_code(municipality: Municipality) -> dict[str, Area]:
    """Existing areas of the municipality by official code; a DeSO/RegSO code is looked up
    in its statistical layer first (the same code may name an area of an own layer too)."""
    found: dict[str, Area] = {}
    for area in (
        Area.objects.filter(municipality=municipality)
        .exclude(official_code="")
        .select_related("layer")
    ):
        code = area.official_code
        if code not in found or area.layer.kind == statistical_kind(code):
            found[code] = area
    return found


def plan_import(
    *, municipality: Municipality, parsed: ParsedStats, known_areas: dict | None = None
) -> tuple[dict, list[Problem]]:
    """Where each row's code goes (read only): ``{code: area, None (the municipality),
    "new" (a DeSO/RegSO area to create) or "other" (another municipality's)}`` and the
    row problems (the reader's and unknown codes). ``known_areas`` ({code: area}) names
    areas that have no official code (the demo's)."""
    existing = _areas_by_code(municipality)
    existing.update({normalise_code(c): a for c, a in (known_areas or {}).items()})
    targets: dict[str, object] = {}
    problems = list(parsed.problems)
    for row in parsed.rows:
        code = normalise_code(row.code)
        if code in targets:
            if targets[code] == "unknown":
                problems.append(_unknown(parsed, row, municipality))
            continue
        owner = code_municipality(code)
        if code == municipality.code:
            targets[code] = None
        elif owner is not None and owner != municipality.code:
            targets[code] = "other"
        elif code in existing:
            targets[code] = existing[code]
        elif owner == municipality.code:
            targets[code] = "new"
        elif len(code) in (2, 4) and code.isdigit():
            # another municipality as a whole, a county ("22 Västernorrlands län") or the
            # country ("00 Riket"): tables chosen for comparison often hold them
            targets[code] = "other"
        else:
            targets[code] = "unknown"
            problems.append(_unknown(parsed, row, municipality))
    return targets, problems


def _unknown(parsed: ParsedStats, row, municipality: Municipality) -> Problem:
    return Problem(
        parsed.file_name,
        row.row,
        row.column if row.column == "value" else "A",
        _(
            "the region “%(code)s” is neither a DeSO or RegSO code, nor the code of an area of "
            "%(name)s, nor the municipality's own code (%(own)s)."
        )
        % {"code": row.code, "name": municipality.name, "own": municipality.code},
    )


def summarise(
    *, municipality: Municipality, parsed: ParsedStats, known_areas: dict | None = None
) -> ImportSummary:
    """What an import would do (the preview and ``--dry-run``), without writing."""
    targets, problems = plan_import(
        municipality=municipality, parsed=parsed, known_areas=known_areas
    )
    if problems:
        raise StatsImportError(problems)
    summary = ImportSummary(series=parsed.series, years=parsed.years)
    stored = _stored(municipality, parsed)
    for row in parsed.rows:
        target = targets[normalise_code(row.code)]
        if target == "other":
            summary.other_municipalities += 1
        elif row.value is None:
            summary.missing += 1
        elif target == "new":
            summary.created += 1
        else:
            key = (target.pk if target is not None else None, row.year, row.series)
            current = stored.get(key)
            if current is None:
                summary.created += 1
            elif _same(current, row, parsed):
                summary.unchanged += 1
            else:
                summary.changed += 1
    summary.new_areas = sorted(c for c, t in targets.items() if t == "new")
    summary.areas = sum(1 for t in targets.values() if t not in ("other", None))
    summary.municipality_level = sum(1 for t in targets.values() if t is None)
    return summary


def _stored(municipality: Municipality, parsed: ParsedStats) -> dict:
    qs = StatValue.objects.filter(
        municipality=municipality, series__in=parsed.series, year__in=parsed.years
    )
    return {(v.area_id, v.year, v.series): v for v in qs}


def _same(current: StatValue, row, parsed: ParsedStats) -> bool:
    return (
        current.value == row.value
        and current.unit == row.unit
        and current.source == parsed.source
        and current.table_id == parsed.table_id
    )


@transaction.atomic
def import_area_stats(
    *,
    actor,
    municipality: Municipality,
    parsed: ParsedStats,
    origin: str = StatImport.Origin.COMMAND,
    job: StatImport | None = None,
    progress: Progress | None = None,
    known_areas: dict | None = None,
) -> ImportSummary:
    """Store the parsed figures for ``municipality``: all or nothing. A figure already stored
    for the same area, year and series is replaced (its earlier value stays in the change
    history) or left alone when equal, so importing a file again changes nothing. New DeSO and
    RegSO codes of the municipality become code-only areas of its statistical layer; rows of
    other municipalities are counted and skipped; any other unknown code is a row problem."""
    _require_manage(actor, municipality)
    targets, problems = plan_import(
        municipality=municipality, parsed=parsed, known_areas=known_areas
    )
    if problems:
        raise StatsImportError(problems)
    summary = ImportSummary(series=parsed.series, years=parsed.years)
    names = _region_names(parsed)
    for code, target in list(targets.items()):
        if target == "new":
            try:
                area = area_for_code(actor=actor, municipality=municipality, code=code)
                if names.get(code) and area.name == code:
                    area = _name_new_area(actor, municipality, area, names[code])
            except ValidationError as exc:  # raced or refused: report, write nothing
                raise StatsImportError(
                    [Problem(parsed.file_name, 0, "A", " ".join(exc.messages))]
                ) from None
            targets[code] = area
            summary.new_areas.append(code)
    if job is None:
        job = StatImport(municipality=municipality, created_by=_user(actor), origin=origin)
    job.file_name = parsed.file_name[:255]
    job.title, job.table_id = parsed.title[:500], parsed.table_id[:50]
    job.state, job.content, job.total_rows = StatImport.State.DONE, b"", len(parsed.rows)
    job.save()
    stored = _stored(municipality, parsed)
    total = len(parsed.rows)
    for done, row in enumerate(parsed.rows, start=1):
        target = targets[normalise_code(row.code)]
        if target == "other":
            summary.other_municipalities += 1
        elif row.value is None:
            summary.missing += 1
        else:
            area_id = target.pk if target is not None else None
            current = stored.get((area_id, row.year, row.series))
            if current is None:
                current = StatValue(
                    municipality=municipality, area=target, year=row.year, series=row.series
                )
                summary.created += 1
            elif _same(current, row, parsed):
                summary.unchanged += 1
                continue
            else:
                summary.changed += 1
            current.value, current.unit = row.value, row.unit[:50]
            current.source, current.table_id = parsed.source[:200], parsed.table_id[:50]
            current.imported_by = job
            current.save()
            stored[(area_id, row.year, row.series)] = current
        if progress and (done % 200 == 0 or done == total):
            progress(done, total)
    summary.areas = sum(1 for t in targets.values() if t not in ("other", None))
    summary.municipality_level = sum(1 for t in targets.values() if t is None)
    job.counts = summary.as_dict()
    job.save(update_fields=["counts", "updated_at"])
    log_action(
        event_type="area_stats_imported",
        subject=job,
        details={"file": job.file_name, "table": job.table_id, **job.counts},
    )
    return summary


def _region_names(parsed: ParsedStats) -> dict[str, str]:
    """The name the file gives each code ("2281C1010 Sundsvall Centrum"), when that name is
    given to no other code of the file."""
    names: dict[str, str] = {}
    for row in parsed.rows:
        if row.region_name and row.region_name.upper() != row.code:
            names.setdefault(normalise_code(row.code), row.region_name.strip()[:150])
    taken = Counter(names.values())
    return {c: n for c, n in names.items() if taken[n] == 1}


def _name_new_area(actor, municipality: Municipality, area: Area, name: str) -> Area:
    """A code-only area created by this import takes the file's name for it, unless another
    area of its layer has that name."""
    if Area.objects.filter(municipality=municipality, layer=area.layer, name=name).exists():
        return area
    return area_save(
        actor=actor,
        municipality=municipality,
        layer=area.layer,
        instance=area,
        name=name,
        geometry=None,
        official_code=area.official_code,
        description=area.description,
        notify=False,
    )


def _user(actor):
    return actor if getattr(actor, "_meta", None) and getattr(actor, "pk", None) else None


@transaction.atomic
def stat_import_preview(
    *, actor, municipality: Municipality, file_name: str, content: bytes
) -> StatImport:
    """Keep an uploaded file until its preview is confirmed or cancelled. Previews left
    unconfirmed for a day are dropped here, with their files."""
    _require_manage(actor, municipality)
    StatImport.objects.filter(
        municipality=municipality,
        state=StatImport.State.PREVIEW,
        created_at__lt=timezone.now() - PREVIEW_KEPT,
    ).delete()
    return StatImport.objects.create(
        municipality=municipality,
        file_name=file_name[:255],
        origin=StatImport.Origin.UPLOAD,
        state=StatImport.State.PREVIEW,
        content=content,
        created_by=_user(actor),
    )


def stat_import_queue(*, actor, job: StatImport) -> bool:
    """A confirmed preview waits for the worker (``tasks.run_stat_import``). Only one
    confirmation counts: ``False`` when the job was no longer a preview."""
    _require_manage(actor, job.municipality)
    return _move(job, StatImport.State.PREVIEW, StatImport.State.QUEUED)


def stat_import_start(job: StatImport) -> bool:
    """The worker takes a queued job; only one can."""
    return _move(job, StatImport.State.QUEUED, StatImport.State.RUNNING)


def stat_import_checked(job: StatImport, *, total_rows: int) -> None:
    """The file is read: ``total_rows`` values are being saved."""
    StatImport.objects.filter(pk=job.pk, municipality_id=job.municipality_id).update(
        total_rows=total_rows, updated_at=timezone.now()
    )


def stat_import_fail(job: StatImport, *, message: str) -> None:
    """A running job failed: nothing was imported; the stored file is dropped."""
    StatImport.objects.filter(
        pk=job.pk, municipality_id=job.municipality_id, state=StatImport.State.RUNNING
    ).update(state=StatImport.State.FAILED, message=message, content=b"", updated_at=timezone.now())


def recover_stale_imports() -> list[int]:
    """Fail the running imports not touched for ``BRYGGA_IMPORT_STALE_MINUTES`` (an
    interrupted worker's; a running import is one transaction, so nothing was written)."""
    from django.conf import settings

    limit = timedelta(minutes=int(getattr(settings, "BRYGGA_IMPORT_STALE_MINUTES", 30)))
    stale = StatImport.objects.filter(
        state=StatImport.State.RUNNING, updated_at__lt=timezone.now() - limit
    )
    ids = list(stale.values_list("pk", flat=True))
    stale.filter(pk__in=ids).update(
        state=StatImport.State.FAILED,
        content=b"",
        message=_(
            "The import stopped without finishing (the worker was interrupted). "
            "Nothing was imported; upload the file again."
        ),
        updated_at=timezone.now(),
    )
    return ids


def _move(job: StatImport, source: str, target: str) -> bool:
    """Job states move by one conditional UPDATE (no change history: the import writes its
    own audit row), so two workers or two clicks cannot both move a job."""
    moved = StatImport.objects.filter(
        pk=job.pk, municipality_id=job.municipality_id, state=source
    ).update(state=target, updated_at=timezone.now())
    if moved:
        job.state = target
    return bool(moved)


@transaction.atomic
def stat_import_discard(*, actor, job: StatImport) -> None:
    """Drop a preview that was not confirmed."""
    _require_manage(actor, job.municipality)
    if job.state == StatImport.State.PREVIEW:
        job.delete()


@transaction.atomic
def stat_feed_save(
    *,
    actor,
    municipality: Municipality,
    name: str,
    url: str,
    query: dict | None = None,
    active: bool = True,
) -> StatFeed:
    """Create or change (by name) a PxWebApi address fetched on a schedule."""
    _require_manage(actor, municipality)
    feed = StatFeed.objects.filter(municipality=municipality, name=name).first()
    feed = feed or StatFeed(municipality=municipality, name=name)
    feed.url, feed.query, feed.active = url, query, active
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def stat_feed_fetched(*, feed: StatFeed, status: str) -> None:
    """Note the result of a scheduled fetch on the feed."""
    feed.last_fetched_at = timezone.now()
    feed.last_status = status[:500]
    feed.save(update_fields=["last_fetched_at", "last_status", "updated_at"])
