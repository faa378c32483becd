"""Writing: the one place the rows of a CSV/Excel import are written, inside the import's
transaction.

Rows whose ``source_id`` was imported before in the municipality (or was deleted and then
removed for good by gallring, ``DisposedSource``) are skipped and counted as unchanged, so a
re-import adds nothing; rows without an id are always inserted. The rest go to
:class:`brygga.incidents.services.IncidentBulkWriter` a batch at a time, with
``source="import"``, the job, the chosen reporting organisation, ``reported_by`` and the
personal-data flag; the services complete each row's county, coordinates and area.
"""

from __future__ import annotations

import pickle
import time
from datetime import datetime
from typing import IO

from django.db import connection

from brygga.core.models import Municipality, Organisation

from ...models import DisposedSource, ImportJob, Incident, Source
from ...services import IncidentBulkWriter
from .report import ImportResult
from .validate import ROW_COLUMNS, ProgressFn


def _existing(cursor, municipality: Municipality, sids: list[str]) -> set[str]:
    """Ids of this file already imported in the municipality (uses the unique index)."""
    found: set[str] = set()
    qn = connection.ops.quote_name
    for i in range(0, len(sids), 500):
        chunk = sids[i : i + 500]
        cursor.execute(
            f"SELECT {qn('source_id')} FROM {qn(Incident._meta.db_table)} "  # noqa: S608
            f"WHERE {qn('municipality_id')} = %s AND {qn('source')} = %s "
            f"AND {qn('source_id')} IN ({', '.join(['%s'] * len(chunk))}) "
            f"AND NOT ({qn('source_id')} = '') AND NOT ({qn('source')} = 'police')",
            [municipality.pk, Source.IMPORT.value, *chunk],
        )
        found.update(r[0] for r in cursor.fetchall())
        # deleted by a user and removed for good by gallring: not brought back
        found.update(
            DisposedSource.objects.filter(
                municipality=municipality, source=Source.IMPORT, source_id__in=chunk
            ).values_list("source_id", flat=True)
        )
    return found


def write_rows(
    spool: IO[bytes],
    *,
    actor,
    municipality: Municipality,
    job: ImportJob,
    reporting_organisation: Organisation | None,
    reported_by,
    has_personal_data: bool,
    excluded: set[int],
    result: ImportResult,
    progress: ProgressFn,
    now: datetime,
) -> None:
    """Insert the valid rows of ``spool`` (as :class:`~.validate.RowValidator` left them),
    leaving out the ``excluded`` rows and ids imported before; counts go to ``result``. The
    caller holds the transaction."""
    writer = IncidentBulkWriter(
        actor=actor,
        municipality=municipality,
        columns=ROW_COLUMNS,
        constants={
            "municipality_id": municipality.pk,
            "reporting_organisation_id": reporting_organisation.pk
            if reporting_organisation
            else None,
            "reported_by_id": reported_by.pk if reported_by else None,
            "source": Source.IMPORT.value,
            "import_job_id": job.pk,
            "has_personal_data": has_personal_data,
        },
        now=now,
    )
    sid_at = ROW_COLUMNS.index("source_id")
    done = 0
    last_report = 0.0
    check_db = (
        Incident.objects.filter(municipality=municipality, source=Source.IMPORT)
        .exclude(source_id="")
        .exists()
    )
    spool.seek(0)
    with connection.cursor() as cursor:
        while True:
            try:
                rows, out = pickle.load(spool)  # noqa: S301 (our own temporary file)
            except EOFError:
                break
            if excluded:
                out = [t for r, t in zip(rows, out, strict=True) if r not in excluded]
            if check_db:
                sids = [t[sid_at] for t in out if t[sid_at]]
                existing = _existing(cursor, municipality, sids) if sids else set()
                if existing:
                    before = len(out)
                    out = [t for t in out if t[sid_at] not in existing]
                    result.unchanged += before - len(out)
            if out:
                result.created += writer.write(out)
            done += len(rows)
            t = time.monotonic()
            if t - last_report > 0.5:
                last_report = t
                progress("write", done, done / max(1, result.valid_rows))
