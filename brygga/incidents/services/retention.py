"""Gallring's writer for the incident app: removes exactly what ``brygga.incidents.retention``
planned (``brygga.core.retention.run`` calls it inside the run's transaction).

Deleted rows are audited one by one by the change history (``post_delete``: the personal
fields appear only as keyed fingerprints); the fields cleared in bulk are listed by id in the
run's ``retention_run`` audit row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction

from brygga.core.retention import CLEAR, DELETE, REMOVE_FILE, Disposal, periods_for

from ..models import DisposedSource, ImportJob, Incident, Open311Contact, Open311Request

CHUNK = 500
_DELETABLE = {m._meta.label_lower: m for m in (Open311Contact, Open311Request, Incident)}


def _chunks(ids: Sequence, size: int = CHUNK):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _municipality(pk: int | None):
    from brygga.core.models import Municipality

    return Municipality.objects.get(pk=pk) if pk is not None else None


def _keep_source_ids(ids: list[int], now) -> None:
    """Remember the source ids of the deleted incidents removed for good, so that imports
    skip them (``DisposedSource``)."""
    for chunk in _chunks(ids):
        rows = Incident.objects.filter(pk__in=chunk).exclude(source_id="")
        DisposedSource.objects.bulk_create(
            [
                DisposedSource(municipality_id=m, source=source, source_id=sid, disposed_at=now)
                for m, source, sid in rows.values_list("municipality_id", "source", "source_id")
            ],
            ignore_conflicts=True,
        )


def apply_disposals(items: Sequence[Disposal], now) -> None:
    from ..imports import jobs
    from ..imports.storage import delete_upload

    by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        by[(item.action, item.object_type)].append(item.object_id)
    _keep_source_ids(
        [
            int(i.object_id)
            for i in items
            if i.rule == "incidents.deleted"
            and i.action == DELETE
            and i.object_type == Incident._meta.label_lower
        ],
        now,
    )
    # rows that hang on an incident first, so an incident's deletion finds them gone
    for label, model in _DELETABLE.items():
        for chunk in _chunks([int(i) for i in by.pop((DELETE, label), [])]):
            model.objects.filter(pk__in=chunk).delete()
    incident = Incident._meta.label_lower
    for chunk in _chunks([int(i) for i in by.pop((CLEAR, incident), [])]):
        Incident.objects.filter(pk__in=chunk).update(
            description="",
            place_description="",
            attributes={},
            has_personal_data=False,
            text_disposed_at=now,
        )
    job = ImportJob._meta.label_lower
    for chunk in _chunks([int(i) for i in by.pop((CLEAR, job), [])]):
        jobs.dispose_error_details(list(chunk), now)
    file_ids = [int(i) for i in by.pop((REMOVE_FILE, job), [])]
    if file_ids:
        hours = periods_for(_municipality(items[0].municipality_id))["incidents.import_files"]
        for chunk in _chunks(file_ids):
            for name in jobs.release_files_for_disposal(list(chunk), hours=hours):
                transaction.on_commit(lambda name=name: delete_upload(name))
    if by:
        raise ValueError(f"no writer for the disposals {sorted(by)}")
