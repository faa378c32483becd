"""Importing police events: every record is checked first, as it is read; if any is bad,
nothing is written. Then, in one transaction: new police types get an unreviewed mapping row,
the events not stored before are inserted through
:class:`brygga.incidents.services.IncidentBulkWriter` (an event already stored, or removed, is
left as it is and counted as unchanged), and one ``police_import`` audit row records the
counts. The job (if any) is kept up to date through :mod:`brygga.incidents.imports.jobs`.

**The feed and a municipality's own upload.** Police events are shared: a county-level event
is seen by every municipality of its county, and the police id decides whether an event is
new. So only the installation-wide feed (``feed=True``: ``brygga import-police`` and the
scheduled fetch, which run as a system actor, and a system administrator's upload for all
municipalities) writes shared events, under the police id itself. Any other upload
(``feed=False``: a municipality's analyst or coordinator) is that municipality's own copy:

* only events placed in that municipality are written; county-level events and other
  municipalities' events are left out (counted as ``out_of_scope``);
* each is stored under ``source_id = "<municipality code>:<police id>"``
  (:func:`own_source_id`), so re-uploading the file adds nothing, while no upload can claim a
  police id: a later feed import of the same id finds no event under it and imports the
  genuine one. That event *supersedes* the municipality's copy (the copy is marked deleted and
  counted as ``superseded``), so the municipality does not count the event twice;
* an event whose police id the feed has already brought is left out as unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import SystemActor, resolver_for
from brygga.core.models import Municipality

from ...models import DisposedSource, ImportJob, Incident, PoliceTypeMapping, Source
from ...services import IncidentBulkWriter
from ...services.rollups import days_of
from .. import jobs
from .mapping import (
    FIELDS,
    SUMMARY_PREFIX,
    ParsedEvent,
    PlaceIndex,
    _check_record,
    fallback_category,
)
from .read import MAX_PROBLEMS, PoliceImportError, Problem, max_records

BATCH_SIZE = 2000
# who writes the events when the caller names no one (the demo loader, the tests)
DEFAULT_ACTOR = SystemActor("brygga import-police")
# the fields of an event row, in order (the incident services' attribute names)
ROW_COLUMNS = (
    "municipality_id",
    "county_id",
    "category_id",
    "occurred_from",
    "place_description",
    "description",
    "source_id",
    "source_url",
    "source_type",
    "is_summary",
)


@dataclass
class PoliceImportResult:
    file_name: str
    total: int = 0  # records in the file
    created: int = 0  # new incidents
    unchanged: int = 0  # already imported before (same police id): left as they were
    duplicates: int = 0  # repeated police ids inside the file
    out_of_scope: int = 0  # other municipalities' events (import limited to one municipality)
    superseded: int = 0  # municipalities' own copies replaced by the feed's genuine events
    feed: bool = True  # the installation-wide feed (else one municipality's own upload)
    county_level: int = 0  # of the created: attached to a county only
    placed_from_name: int = 0  # of the created: county in location, municipality in the title
    summaries: int = 0  # of the created: summaries (not counted as single incidents)
    new_types: list[str] = field(default_factory=list)  # added to the mapping as "övrigt"
    unreviewed_types: list[str] = field(default_factory=list)  # in the file, not yet mapped
    seconds: float = 0.0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "records": self.total,
            "created": self.created,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "out_of_scope": self.out_of_scope,
            "superseded": self.superseded,
            "feed": self.feed,
            "county_level": self.county_level,
            "placed_from_name": self.placed_from_name,
            "summaries": self.summaries,
            "new_types": self.new_types,
            "unreviewed_types": self.unreviewed_types,
            "seconds": round(self.seconds, 2),
        }


class _DryRun(Exception):
    pass


def _fail(job: ImportJob | None, problems: list[Problem], total: int):
    if job is not None:
        jobs.fail(
            job,
            error_count=total,
            errors=[p.as_dict() for p in problems],
            message=str(PoliceImportError(problems, total)),
        )
    raise PoliceImportError(problems, total)


def _progress(job: ImportJob | None, **fields) -> None:
    if job is not None:
        jobs.progress(job, **fields)


def own_source_id(municipality: Municipality, police_id: str) -> str:
    """The ``source_id`` of a police event in a municipality's own upload (not the feed)."""
    return f"{municipality.code}:{police_id}"


def import_records(
    records: Iterable[dict],
    *,
    file_name: str,
    job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    municipality: Municipality | None = None,
    dry_run: bool = False,
    actor=None,
    feed: bool | None = None,
) -> PoliceImportResult:
    """Import police events (all or nothing; see :mod:`brygga.incidents.imports.police`).

    Every record is checked as it is read (``job.processed_rows`` counts them; ``records``
    is iterated once, so a :func:`~.read.read_police_file` reader is never held in memory
    whole); then the events are saved in one transaction, while ``progress(done, total)``
    reports the records handled so far out of ``total``, the number of records in the file.

    ``feed``: the installation-wide feed (shared events under their police ids) or a
    municipality's own upload (see the module); by default the feed when ``actor`` may
    import into every municipality (Brygga itself, a system administrator). Only such an
    actor may import the feed. With ``municipality``, the feed imports only that
    municipality's events and the county-level events of its county, an own upload only
    that municipality's events; the others are counted as ``out_of_scope``. An own upload
    needs its ``municipality``. ``dry_run`` checks and counts but saves nothing. ``actor`` (a
    user or a ``SystemActor``; by default Brygga itself) must be allowed to import into
    ``municipality``, or, without one, into every municipality. Raises
    :class:`PoliceImportError` on bad input, after marking ``job`` as failed.
    """
    started = time.monotonic()
    writer_actor = actor if actor is not None else DEFAULT_ACTOR
    installation_wide = resolver_for(writer_actor).can_import(municipality, all_municipalities=True)
    if feed is None:
        feed = installation_wide
    if feed and not installation_wide:
        raise PermissionDenied
    if not feed and municipality is None:
        raise ValueError("A municipality's own upload of police events needs its municipality.")
    result = PoliceImportResult(file_name=file_name, dry_run=dry_run, feed=feed)
    if job is not None and job.state != ImportJob.State.RUNNING:
        jobs.start(job)  # a task has started its job already
    fraction = getattr(records, "fraction", None)  # how much of the file is read, if known
    limit = max_records()

    def in_scope(event: ParsedEvent) -> bool:
        if municipality is None or event.municipality_id == municipality.pk:
            return True
        return feed and event.municipality_id is None and event.county_id == municipality.county_id

    places = PlaceIndex()
    problems: list[Problem] = []
    n_problems = 0
    events: list[ParsedEvent] = []
    seen: set[str] = set()
    total = 0
    try:
        for total, rec in enumerate(records, start=1):
            if total == 1 and isinstance(rec, dict) and sum(f in rec for f in FIELDS) < 2:
                msg = _(
                    "This is not police events data: the first record does not have the fields "
                    "of a police event (%(fields)s)."
                ) % {"fields": ", ".join(FIELDS)}
                line = getattr(rec, "line", None)
                raise PoliceImportError([Problem(file_name, msg, record=1, line=line)])
            if total > limit:  # records given as a list; a file's reader stops earlier
                raise PoliceImportError(
                    [Problem(file_name, _too_many_message(limit), record=total)]
                )
            event, found = _check_record(rec, total, file_name, places)
            if found:
                n_problems += len(found)
                problems.extend(found[: MAX_PROBLEMS - len(problems)])
            elif event.police_id in seen:
                result.duplicates += 1
            elif not in_scope(event):
                result.out_of_scope += 1
            else:
                seen.add(event.police_id)
                events.append(event)
            if total % BATCH_SIZE == 0:
                done = fraction() if fraction else None
                _progress(
                    job,
                    processed_rows=total,
                    progress=min(99, int(done * 100)) if done is not None else None,
                )
    except PoliceImportError as exc:
        _fail(job, exc.problems, exc.total)
    result.total = total
    if total == 0:
        _fail(job, [Problem(file_name, _("The file contains no events."))], 1)
    _progress(job, total_rows=total, processed_rows=total, progress=100)
    if problems:
        _fail(job, problems, n_problems)

    def report(done: int) -> None:
        if progress:
            progress(total - len(events) + done, total)

    try:
        with transaction.atomic():
            _save(
                events,
                result,
                job,
                report,
                actor=writer_actor,
                municipality=municipality,
                feed=feed,
            )
            if dry_run:
                raise _DryRun
            result.seconds = time.monotonic() - started
            log_action(
                event_type="police_import",
                subject=job,
                details=result.as_dict(),
                municipality_id=job.municipality_id if job else None,
            )
            _finish(job, result)
    except _DryRun:
        result.seconds = time.monotonic() - started
        _finish(job, result)
    except IntegrityError:
        msg = _("Another import saved some of the same events at the same time; try again.")
        _fail(job, [Problem(file_name, msg)], 1)
    return result


def _too_many_message(limit: int) -> str:
    return _(
        "The file holds more than %(n)s events, the most one file may hold (setting "
        "BRYGGA_POLICE_MAX_RECORDS). Split it into smaller files."
    ) % {"n": limit}


def _finish(job: ImportJob | None, result: PoliceImportResult) -> None:
    if job is None:
        return
    jobs.finish(
        job,
        processed_rows=result.total,
        created_count=result.created,
        unchanged_count=result.unchanged + result.duplicates,
        options={**job.options, "result": result.as_dict()},
    )


def _mappings(events: list[ParsedEvent], result: PoliceImportResult) -> dict:
    """The mapping of every type in ``events``; a new type gets an unreviewed row."""
    fallback = fallback_category()
    mappings = {m.police_type: m for m in PoliceTypeMapping.objects.all()}
    new_types = sorted({e.police_type for e in events} - set(mappings))
    if new_types:
        PoliceTypeMapping.objects.bulk_create(
            [
                PoliceTypeMapping(
                    police_type=t,
                    category=fallback,
                    is_summary=t.casefold().startswith(SUMMARY_PREFIX),
                    reviewed=False,
                )
                for t in new_types
            ]
        )
        mappings = {m.police_type: m for m in PoliceTypeMapping.objects.all()}
    result.new_types = new_types
    result.unreviewed_types = sorted(
        {e.police_type for e in events if not mappings[e.police_type].reviewed}
    )
    return mappings


def _save(
    events: list[ParsedEvent],
    result: PoliceImportResult,
    job: ImportJob | None,
    report: Callable[[int], None],
    *,
    actor,
    municipality: Municipality | None,
    feed: bool,
) -> None:
    mappings = _mappings(events, result)
    codes = dict(Municipality.objects.values_list("pk", "code"))
    now = timezone.now()
    writer = IncidentBulkWriter(
        actor=actor,
        municipality=municipality,
        columns=ROW_COLUMNS,
        constants={"source": Source.POLICE.value, "import_job_id": job.pk if job else None},
    )
    for start in range(0, len(events), BATCH_SIZE):
        batch = events[start : start + BATCH_SIZE]
        keys = {e.police_id: e.police_id for e in batch}
        if not feed:
            keys = {e.police_id: own_source_id(municipality, e.police_id) for e in batch}
        # the feed's events, and (for an own upload) the municipality's copies stored before
        wanted = [*keys, *keys.values()]
        existing = set(
            Incident.objects.filter(source=Source.POLICE, source_id__in=wanted).values_list(
                "source_id", flat=True
            )
        )
        # deleted by a user and removed for good by gallring: not brought back
        existing.update(
            DisposedSource.objects.filter(source=Source.POLICE, source_id__in=wanted).values_list(
                "source_id", flat=True
            )
        )
        new = []
        copies = []  # municipalities' own copies of the feed's new events
        for e in batch:
            if e.police_id in existing or keys[e.police_id] in existing:
                result.unchanged += 1
                continue
            if feed and e.municipality_id is not None:
                copies.append(f"{codes[e.municipality_id]}:{e.police_id}")
            mapping = mappings[e.police_type]
            new.append(
                (
                    e.municipality_id,
                    e.county_id,
                    mapping.category_id,
                    e.occurred_from,
                    e.place,
                    e.summary,
                    keys[e.police_id],
                    e.url,
                    e.police_type,
                    mapping.is_summary,
                )
            )
            result.county_level += e.municipality_id is None
            result.placed_from_name += e.placed_from_name
            result.summaries += mapping.is_summary
        result.created += writer.write(new)
        if copies:
            superseded = Incident.objects.filter(
                source=Source.POLICE, source_id__in=copies, deleted_at__isnull=True
            )
            for m, days in days_of(superseded).items():
                writer.touched.setdefault(m, set()).update(days)
            result.superseded += superseded.update(deleted_at=now, updated_at=now)
        report(start + len(batch))
    writer.refresh_counts()
    if not events:
        report(0)
