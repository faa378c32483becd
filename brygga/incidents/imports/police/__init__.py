"""The police events import: the police events API's JSON (a list of events) and JSON Lines of
the same records, plain or gzip-compressed.

Public API (also used by the demo loader)::

    read_police_file(path_or_fileobj, file_name) -> PoliceFileReader (iterable of PoliceRecord)
    import_records(records, *, file_name, job=None, progress=None, feed=None)
        -> PoliceImportResult

One module per stage: :mod:`.read` (the files), :mod:`.mapping` (one record → an event: the
checks, the place, the time, the category) and :mod:`.write` (the import itself).

Decisions, in the order the importer applies them:

* **Who may bring shared events**: only the installation-wide feed (``brygga import-police``,
  the scheduled fetch, a system administrator's upload for all municipalities) writes events
  under their police ids, county-level events included. A municipality's own upload writes
  only that municipality's events, under ``"<code>:<police id>"``, and the feed's genuine
  event later supersedes such a copy (see :mod:`.write`). An event's link must lead to
  https://polisen.se (:func:`~.mapping.police_url`).
* **Limits**: a file is read a chunk at a time; it may unpack to at most
  ``BRYGGA_POLICE_UPLOAD_MAX_MB`` × 20 and hold at most ``BRYGGA_POLICE_MAX_RECORDS`` records
  (see :mod:`.read`).
* **Dedupe** by the police id (``Incident.source_id`` with ``source="police"``, unique in the
  database). An event that is already stored is left untouched ("unchanged"), so a second
  import of the same file adds nothing. A deleted event stays deleted.
* **Place**: ``location.name`` is matched to a municipality by name (case-insensitive, white
  space normalised; the feed writes e.g. "Upplands-bro" for "Upplands-Bro"), else to a county
  ("Västernorrlands län"). County-level events get the county and no municipality; every
  municipality of that county sees them. A name that matches neither is an error naming the
  record, never silently dropped. ``location.gps`` is the centre of the municipality or county,
  not the place of the event, so no point is stored.
  One refinement: the live API (2026) gives the county in ``location.name`` for every event and
  names the municipality only at the end of the title ("22 augusti 17.59, Brand, Kävlinge" in
  "Skåne län"). When ``location.name`` is a county and the last part of ``name`` is a
  municipality *of that county*, the event is attached to that municipality
  (``placed_from_name``). In the 2022–2024 archive the end of the title always repeats
  ``location.name``, so this changes nothing there.
* **Time**: the ``datetime`` field is when the police published or last updated the event;
  in the archive its date is sometimes a day off (the UTC date printed with the local time).
  The event time is the one at the start of ``name`` ("26 september 14:21, …", also written
  "14.21"), so ``occurred_from`` is that time in Swedish local time, with the year taken from
  ``datetime`` and corrected across New Year. When ``name`` has no usable time (or one more
  than 45 days away from ``datetime``), ``datetime`` itself is used. ``datetime`` must always be
  valid.
* **Category** from ``PoliceTypeMapping`` (installation-wide, edited by system
  administrators). A type without a mapping is imported as "övrigt" and gets an unreviewed
  mapping row, so it is listed for mapping. Summaries ("Sammanfattning natt", …) are kept and
  flagged ``is_summary`` so they are not counted as single incidents; a new type whose name
  starts with "Sammanfattning" is flagged as a summary too.
* **All or nothing**: every record is checked first; if any record is bad, nothing is written
  and the error names the file, the record (and line) and the field. The writes then run in
  one transaction together with one audit row (``police_import``) with the counts.

The county of every event is set by the incident services from its municipality (a
county-level event keeps its county). New jobs and the type mapping are services
(:mod:`brygga.incidents.services.imports`), re-exported here for the pages and the command.
"""

from brygga.incidents.services import police_cli_job_create, police_job_create

from .mapping import (
    FIELDS,
    POLICE_BASE_URL,
    POLICE_HOSTS,
    POLICE_TZ,
    ParsedEvent,
    PlaceIndex,
    event_time,
    fallback_category,
    parse_police_datetime,
    police_url,
)
from .read import (
    MAX_PROBLEMS,
    MAX_RECORD_CHARS,
    PoliceFileReader,
    PoliceImportError,
    PoliceRecord,
    Problem,
    max_records,
    read_police_file,
    unpacked_max_bytes,
    upload_max_bytes,
)
from .write import BATCH_SIZE, PoliceImportResult, import_records, own_source_id

__all__ = [
    "BATCH_SIZE",
    "FIELDS",
    "MAX_PROBLEMS",
    "MAX_RECORD_CHARS",
    "POLICE_HOSTS",
    "POLICE_BASE_URL",
    "POLICE_TZ",
    "ParsedEvent",
    "PoliceFileReader",
    "PlaceIndex",
    "PoliceImportError",
    "PoliceImportResult",
    "PoliceRecord",
    "Problem",
    "event_time",
    "fallback_category",
    "import_records",
    "max_records",
    "own_source_id",
    "parse_police_datetime",
    "police_cli_job_create",
    "police_job_create",
    "police_url",
    "read_police_file",
    "unpacked_max_bytes",
    "upload_max_bytes",
]
