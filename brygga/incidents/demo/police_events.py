"""The real police events for Västernorrlands län, from the file shipped in ``data/``, loaded
with the ordinary police import."""

from __future__ import annotations

from pathlib import Path

from brygga.audit.context import acting_as
from brygga.incidents.imports.police import import_records, read_police_file
from brygga.incidents.models import Incident, Source

POLICE_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "police_vasternorrland_2022-2024.jsonl.gz"
)


def load_police(*, path: Path = POLICE_FILE) -> dict:
    """Import the shipped police events with the ordinary police import. Events already
    stored are skipped by the import; when all of them are there, the import (and its audit
    row) is not run at all."""
    records = list(read_police_file(path, path.name))
    ids = {str(r.get("id", "")).strip() for r in records}
    existing = Incident.objects.filter(source=Source.POLICE, source_id__in=ids).count()
    if existing >= len(ids):
        return {"records": len(records), "created": 0, "unchanged": existing, "seconds": 0.0}
    with acting_as(label="brygga demo"):
        result = import_records(records, file_name=path.name)
    return {
        "records": result.total,
        "created": result.created,
        "unchanged": result.unchanged + result.duplicates,
        "county_level": result.county_level,
        "summaries": result.summaries,
        "seconds": round(result.seconds, 2),
    }
