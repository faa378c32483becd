"""Writing: the one place the rows of a CSV/Excel import are written, inside the import's
transaction.

Ids are unique per municipality and register (``Incident.source_register``: the profile's
register, so two registers may both have an id "1"). A row whose id was imported before is
compared with the stored incident:

- the same content: skipped and counted as unchanged, so a re-import adds nothing;
- other content: a *conflict*. By default it is skipped, counted and listed (row and id); with
  ``on_conflict="update"`` the incident is updated through
  :func:`brygga.incidents.services.incident_update`, so its history records before and after;
- deleted, or deleted and then removed for good by gallring (``DisposedSource``): skipped as
  unchanged, never brought back.

Rows without an id are always inserted. A DeSO/RegSO code that no area has yet (spooled as a
``str``) gets its area from :func:`brygga.core.services.area_for_code`, in the same
transaction. The rest go to :class:`brygga.incidents.services.IncidentBulkWriter` a batch at a
time, with ``source="import"``, the job, the chosen reporting organisation, ``reported_by`` and
the personal-data flag; the services complete each row's county, coordinates and area.
"""

from __future__ import annotations

import json
import pickle
import time
from datetime import datetime
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from brygga.core import services as core_services
from brygga.core.models import Area, Municipality, Organisation

from ...location import Location, resolve
from ...models import Category, DisposedSource, ImportJob, Incident, Source
from ...services import IncidentBulkWriter, incident_update
from .report import ImportResult, TabularError
from .validate import ROW_COLUMNS, ProgressFn

SKIP, UPDATE = "skip", "update"
MAX_LISTED_CONFLICTS = 1_000
_AT = {c: i for i, c in enumerate(ROW_COLUMNS)}
# the fields compared with an incident imported before (the place is compared apart)
_COMPARED = (
    "occurred_from",
    "occurred_to",
    "category_id",
    "count",
    "description",
    "place_description",
    "attributes",
)


def _stored(municipality_id: int, register: str, sids: list[str]) -> dict[str, dict]:
    """The incidents already imported with these ids (deleted ones too), by id; ids removed
    for good by gallring as ``{"disposed": True}``."""
    found: dict[str, dict] = {}
    for i in range(0, len(sids), 500):
        chunk = sids[i : i + 500]
        rows = Incident.objects.filter(
            municipality_id=municipality_id,
            source=Source.IMPORT,
            source_register=register,
            source_id__in=chunk,
        ).values(
            "pk",
            "source_id",
            "deleted_at",
            "lat",
            "lon",
            "sweref_e",
            "sweref_n",
            "area_id",
            "area__official_code",
            *_COMPARED,
        )
        found.update((r["source_id"], r) for r in rows)
        # deleted by a user and removed for good by gallring: not brought back
        for sid in DisposedSource.objects.filter(
            municipality_id=municipality_id, source=Source.IMPORT, source_id__in=chunk
        ).values_list("source_id", flat=True):
            found.setdefault(sid, {"disposed": True})
    return found


def _close(a, b, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


def _differences(row: tuple, stored: dict) -> list[str]:
    """The fields of ``row`` that differ from the stored incident."""
    out = []
    for name in _COMPARED:
        new = row[_AT[name]]
        if name == "attributes":
            new = json.loads(new)
        if new != stored[name]:
            out.append(name)
    lat, e, area = row[_AT["lat"]], row[_AT["sweref_e"]], row[_AT["area_id"]]
    if lat is not None:
        same = _close(lat, stored["lat"], 1e-7) and _close(row[_AT["lon"]], stored["lon"], 1e-7)
    elif e is not None:
        same = _close(e, stored["sweref_e"], 0.01) and _close(
            row[_AT["sweref_n"]], stored["sweref_n"], 0.01
        )
    elif isinstance(area, str):
        same = stored["lat"] is None and area == stored["area__official_code"]
    else:
        same = stored["lat"] is None and area == stored["area_id"]
    if not same:
        out.append("place")
    return out


class RowWriter:
    """Write the spooled rows of one import (see the module docstring)."""

    def __init__(
        self,
        *,
        actor,
        municipality: Municipality | None,
        job: ImportJob,
        register: str,
        reporting_organisation: Organisation | None,
        reported_by,
        has_personal_data: bool,
        on_conflict: str,
        result: ImportResult,
        now: datetime,
        area_column: str = "",
    ):
        self.actor = actor
        self.area_column = area_column
        self.municipality = municipality
        self.register = register
        self.on_conflict = on_conflict
        self.result = result
        self.writer = IncidentBulkWriter(
            actor=actor,
            municipality=municipality,
            columns=ROW_COLUMNS,
            constants={
                "reporting_organisation_id": reporting_organisation.pk
                if reporting_organisation
                else None,
                "reported_by_id": reported_by.pk if reported_by else None,
                "source": Source.IMPORT.value,
                "source_register": register,
                "import_job_id": job.pk,
                "has_personal_data": has_personal_data,
            },
            now=now,
        )
        self.areas: dict[tuple[int, str], int] = {}
        self.municipalities: dict[int, Municipality] = {}
        if municipality is not None:
            self.municipalities[municipality.pk] = municipality
        base = Incident.objects.filter(source=Source.IMPORT, source_register=register).exclude(
            source_id=""
        )
        if municipality is not None:
            base = base.filter(municipality=municipality)
        self.check_db = (
            base.exists() or DisposedSource.objects.filter(source=Source.IMPORT).exists()
        )

    def _municipality(self, pk: int) -> Municipality:
        if pk not in self.municipalities:
            self.municipalities[pk] = Municipality.objects.get(pk=pk)
        return self.municipalities[pk]

    def _area_id(self, municipality_id: int, code: str, rownum: int) -> int:
        """The area with this code, created from the code when there is none yet."""
        key = (municipality_id, code)
        if key not in self.areas:
            municipality = self._municipality(municipality_id)
            before = Area.objects.filter(municipality=municipality, official_code=code).exists()
            try:
                area = core_services.area_for_code(
                    actor=self.actor, municipality=municipality, code=code
                )
            except ValidationError as exc:
                raise TabularError(
                    " ".join(exc.messages), row=rownum, column=self.area_column
                ) from None
            except PermissionDenied:
                raise TabularError(
                    _(
                        "Row %(row)s: %(municipality)s has no area with the code “%(code)s” "
                        "yet, and only those who manage the municipality (coordinators, "
                        "municipal administrators) may create areas. Nothing was written: ask "
                        "a coordinator to import the file or to add the area."
                    )
                    % {"row": rownum, "municipality": municipality.name, "code": code},
                    row=rownum,
                    column=self.area_column,
                ) from None
            self.areas[key] = area.pk
            self.result.areas_created += 0 if before else 1
        return self.areas[key]

    def _with_areas(self, rows: list[int], out: list[tuple]) -> list[tuple]:
        at, m_at = _AT["area_id"], _AT["municipality_id"]
        if not any(isinstance(t[at], str) for t in out):
            return out
        return [
            (*t[:at], self._area_id(t[m_at], t[at], r), *t[at + 1 :])
            if isinstance(t[at], str)
            else t
            for r, t in zip(rows, out, strict=True)
        ]

    def _update(self, pk: int, row: tuple) -> None:
        """Update an incident imported before with the row's content (its history records
        before and after)."""
        incident = Incident.objects.select_related("municipality").get(pk=pk)
        municipality = incident.municipality
        lat, e, area_id = row[_AT["lat"]], row[_AT["sweref_e"]], row[_AT["area_id"]]
        if lat is not None or e is not None:
            location = resolve(
                municipality,
                lat=lat,
                lon=row[_AT["lon"]],
                sweref_e=e,
                sweref_n=row[_AT["sweref_n"]],
            )
        else:
            area = Area.objects.get(pk=area_id) if area_id is not None else None
            location = Location(area=area)
        incident_update(
            actor=self.actor,
            incident=incident,
            category=Category.objects.get(pk=row[_AT["category_id"]]),
            occurred_from=row[_AT["occurred_from"]],
            occurred_to=row[_AT["occurred_to"]],
            count=row[_AT["count"]],
            description=row[_AT["description"]],
            place_description=row[_AT["place_description"]],
            attributes=json.loads(row[_AT["attributes"]]),
            source_type=row[_AT["source_type"]],
            location=location,
        )

    def _known(self, rows: list[int], out: list[tuple]) -> tuple[list[int], list[tuple]]:
        """Leave out the rows whose id was imported before (unchanged, a conflict or updated)."""
        sid_at, m_at = _AT["source_id"], _AT["municipality_id"]
        by_municipality: dict[int, list[str]] = {}
        for t in out:
            if t[sid_at]:
                by_municipality.setdefault(t[m_at], []).append(t[sid_at])
        stored = {
            (mid, sid): s
            for mid, sids in by_municipality.items()
            for sid, s in _stored(mid, self.register, sids).items()
        }
        if not stored:
            return rows, out
        keep_rows, keep = [], []
        for r, t in zip(rows, out, strict=True):
            s = stored.get((t[m_at], t[sid_at])) if t[sid_at] else None
            if s is None:
                keep_rows.append(r)
                keep.append(t)
                continue
            if s.get("disposed") or s["deleted_at"] is not None:
                self.result.unchanged += 1
                continue
            (t,) = self._with_areas([r], [t])
            fields = _differences(t, s)
            if not fields:
                self.result.unchanged += 1
            elif self.on_conflict == UPDATE:
                try:
                    self._update(s["pk"], t)
                except ValidationError as exc:
                    raise TabularError(" ".join(exc.messages), row=r) from None
                except PermissionDenied:
                    raise TabularError(
                        _(
                            "Row %(row)s has an id imported before with other content, and "
                            "only coordinators and municipal administrators may update imported "
                            "incidents. Nothing was written: import again and leave conflicts "
                            "unchanged, or ask a coordinator to import the file."
                        )
                        % {"row": r},
                        row=r,
                    ) from None
                self.result.updated += 1
            else:
                self.result.conflicts += 1
                if len(self.result.conflict_rows) < MAX_LISTED_CONFLICTS:
                    self.result.conflict_rows.append({"row": r, "id": t[sid_at], "fields": fields})
        return keep_rows, keep

    def write(self, rows: list[int], out: list[tuple]) -> None:
        if self.check_db:
            rows, out = self._known(rows, out)
        out = self._with_areas(rows, out)
        if out:
            self.result.created += self.writer.write(out)


def write_rows(
    spool: IO[bytes],
    *,
    actor,
    municipality: Municipality | None,
    job: ImportJob,
    register: str = "",
    reporting_organisation: Organisation | None,
    reported_by,
    has_personal_data: bool,
    excluded: set[int],
    result: ImportResult,
    progress: ProgressFn,
    now: datetime,
    on_conflict: str = SKIP,
    area_column: str = "",
) -> None:
    """Insert the valid rows of ``spool`` (as :class:`~.validate.RowValidator` left them),
    leaving out the ``excluded`` rows and ids imported before; counts go to ``result``. The
    caller holds the transaction. ``municipality=None``: every municipality (each row names
    its own)."""
    if on_conflict not in (SKIP, UPDATE):
        raise ValueError(f"on_conflict must be {SKIP!r} or {UPDATE!r}")
    writer = RowWriter(
        actor=actor,
        municipality=municipality,
        job=job,
        register=register,
        reporting_organisation=reporting_organisation,
        reported_by=reported_by,
        has_personal_data=has_personal_data,
        on_conflict=on_conflict,
        result=result,
        now=now,
        area_column=area_column,
    )
    done = 0
    last_report = 0.0
    spool.seek(0)
    while True:
        try:
            rows, out = pickle.load(spool)  # noqa: S301 (our own temporary file)
        except EOFError:
            break
        if excluded:
            kept = [(r, t) for r, t in zip(rows, out, strict=True) if r not in excluded]
            rows, out = [r for r, _t in kept], [t for _r, t in kept]
        writer.write(list(rows), list(out))
        done += len(rows)
        t = time.monotonic()
        if t - last_report > 0.5:
            last_report = t
            progress("write", done, done / max(1, result.valid_rows))
    writer.writer.refresh_counts()  # the days the import touched, in the import's transaction
