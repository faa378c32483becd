"""Writes for incidents. Single rows go through the change tracker (audit per row); bulk
imports write one audit row per import with its counts.

Every new incident, whoever writes it, passes through :func:`set_derived_fields`, which sets
what the list index and the map depend on: the county from the municipality (a county-level
police event comes with its county and no municipality, and is stored as one copy per
municipality of the county), and for a point the other coordinate
system and the area. :func:`incident_create` (the report form, the API, Open311) writes one
incident; :class:`IncidentBulkWriter` and :func:`incidents_create_bulk` write many (the police
import, the CSV/Excel import) with one ``executemany`` (``COPY`` on PostgreSQL) per batch.
Every writer places what it writes in the areas of every layer
(:mod:`~brygga.incidents.services.placements`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import DateTimeField, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Municipality, Organisation

from ..location import Location, PointPlacer
from ..models import Category, Incident, Source, Status, Visibility
from .placements import last_incident_ids, place_incidents, place_new_incidents
from .rollups import local_day, refresh_counts, refresh_days

FUTURE_SLACK = timedelta(days=1)


def check_when(
    occurred_from: datetime, occurred_to: datetime | None = None, *, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if occurred_from > now + FUTURE_SLACK:
        raise ValidationError({"occurred_from": _("The time lies in the future.")})
    if occurred_to is not None:
        if occurred_to < occurred_from:
            raise ValidationError(
                {"occurred_to": _("The end of the interval is before its start.")}
            )
        if occurred_to > now + FUTURE_SLACK:
            raise ValidationError({"occurred_to": _("The time lies in the future.")})


def categories_for(municipality: Municipality):
    """The categories usable in a municipality: the active ones of the national set plus its
    own; a sub-category of an inactive main category is left out."""
    return (
        Category.objects.filter(
            Q(municipality__isnull=True) | Q(municipality=municipality), is_active=True
        )
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .select_related("parent")
    )


def category_usable(municipality: Municipality, category: Category) -> bool:
    """May new incidents of ``municipality`` be filed under ``category``?"""
    return (
        category.municipality_id in (None, municipality.pk)
        and category.is_active
        and (category.parent_id is None or category.parent.is_active)
    )


def check_category(municipality: Municipality, category: Category) -> None:
    if not category_usable(municipality, category):
        raise ValidationError(
            {
                "category": _("The category cannot be used in %(name)s.")
                % {"name": municipality.name}
            }
        )


def reporting_organisations_for(actor, municipality: Municipality):
    """The organisations ``actor`` may report for in ``municipality``."""
    resolver = resolver_for(actor)
    qs = Organisation.objects.filter(municipality=municipality, is_active=True)
    if resolver.has_ability("manage", municipality):
        return qs
    return qs.filter(pk__in=resolver.member_organisations(municipality))


@transaction.atomic
def incident_create(
    *,
    actor,
    municipality: Municipality,
    category: Category,
    occurred_from: datetime,
    occurred_to: datetime | None = None,
    location: Location,
    description: str = "",
    count: int = 1,
    reporting_organisation: Organisation | None = None,
    place_description: str = "",
    source: str = Source.MANUAL,
    source_id: str = "",
    has_personal_data: bool = False,
    visibility: str = Visibility.SHARED,
) -> Incident:
    if not resolver_for(actor).can_create_in(Incident, municipality):
        raise PermissionDenied
    check_category(municipality, category)
    check_when(occurred_from, occurred_to)
    if count < 1:
        raise ValidationError({"count": _("The number of events must be at least 1.")})
    if (
        reporting_organisation is not None
        and not reporting_organisations_for(actor, municipality)
        .filter(pk=reporting_organisation.pk)
        .exists()
    ):
        raise ValidationError(
            {"reporting_organisation": _("You cannot report for that organisation.")}
        )
    incident = Incident(
        municipality=municipality,
        category=category,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        lat=location.lat,
        lon=location.lon,
        sweref_e=location.sweref_e,
        sweref_n=location.sweref_n,
        area=location.area,
        description=description.strip(),
        count=count,
        place_description=place_description.strip(),
        reporting_organisation=reporting_organisation,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        source_id=source_id,
        has_personal_data=has_personal_data,
        visibility=visibility,
    )
    _set_derived_fields_of(incident, municipality)
    incident.full_clean(exclude=["import_job"])
    incident.save()
    place_incidents(municipality_id=municipality.pk, incident_ids=[incident.pk])
    _recount(incident)
    return incident


def _recount(incident: Incident, *also) -> None:
    """The lägesbild's counts of the incident's day (and of the days in ``also``: where an
    edited incident was before), in the caller's transaction."""
    if incident.municipality_id is not None:
        days = {local_day(incident.occurred_from), *also}
        refresh_counts(municipality_id=incident.municipality_id, days=days)


@transaction.atomic
def incident_update(*, actor, incident: Incident, **fields) -> Incident:
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    was_on = local_day(incident.occurred_from)
    municipality = incident.municipality
    if "category" in fields and fields["category"].pk != incident.category_id:
        # An incident keeps a category that was deactivated after it was filed.
        check_category(municipality, fields["category"])
    location = fields.pop("location", None)
    if location is not None:
        for f in ("lat", "lon", "sweref_e", "sweref_n", "area"):
            setattr(incident, f, getattr(location, f))
    allowed = {
        "category",
        "occurred_from",
        "occurred_to",
        "description",
        "count",
        "place_description",
        "has_personal_data",
        "visibility",
        # an import that updates a row imported before (the file's unmapped columns, the raw
        # category value)
        "attributes",
        "source_type",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    for k, v in fields.items():
        setattr(incident, k, v)
    check_when(incident.occurred_from, incident.occurred_to)
    incident.full_clean(exclude=["import_job"])
    incident.save()
    if location is not None:  # moved: placed again in every layer
        place_incidents(municipality_id=incident.municipality_id, incident_ids=[incident.pk])
    _recount(incident, was_on)
    return incident


@transaction.atomic
def incident_set_status(*, actor, incident: Incident, status: str) -> Incident:
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    # a county-level police event is the whole county's: only the installation manages it,
    # and its status is the same in every municipality's copy
    scope = None if incident.county_event else incident.municipality_id
    if not resolver_for(actor).has_ability("manage", scope):
        raise PermissionDenied
    incident.status = status
    incident.save(update_fields=["status", "updated_at"])
    _county_copies(incident).update(status=status, updated_at=incident.updated_at)
    _recount(incident)  # (county-level events are not counted: their copies need nothing)
    return incident


def _county_copies(incident: Incident):
    """The other municipalities' copies of a county-level event (none for other incidents)."""
    if not incident.county_event:
        return Incident.objects.none()
    return Incident.objects.filter(
        source=incident.source, source_id=incident.source_id, county_event=True
    ).exclude(pk=incident.pk)


@transaction.atomic
def incident_delete(*, actor, incident: Incident) -> None:
    """Soft delete: the row stays (with its history) but is hidden everywhere."""
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    incident.deleted_at = timezone.now()
    incident.deleted_by = actor
    incident.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    _county_copies(incident).update(
        deleted_at=incident.deleted_at, deleted_by=actor, updated_at=incident.updated_at
    )
    _recount(incident)
    log_action(event_type="incident_deleted", subject=incident)


# --- derived fields: the one place they are set ---------------------------------------------
PLACE_COLUMNS = ("municipality_id", "county_id", "lat", "lon", "sweref_e", "sweref_n", "area_id")


def set_derived_fields(
    columns: dict[str, list],
    *,
    counties: Mapping[int, int],
    placer: Callable[[int], PointPlacer],
) -> None:
    """Complete the place columns of a batch of new incidents in place (``columns`` maps each
    of :data:`PLACE_COLUMNS` to a list, one value a row):

    * ``county_id`` from the municipality (``counties``: municipality id → county id); a row
      without a municipality (a county-level police event) must bring its county;
    * a point given in one system only (WGS84 ``lat``/``lon`` or SWEREF 99 TM
      ``sweref_e``/``sweref_n``) gets the other one and the smallest area containing it
      (``placer(municipality id)``, :class:`~brygga.incidents.location.PointPlacer`). A point
      with both, placed by :func:`brygga.incidents.location.resolve` (the report form, the API,
      Open311), is kept as it is, and so is an area without a point.
    """
    municipality, county = columns["municipality_id"], columns["county_id"]
    lat, e = columns["lat"], columns["sweref_e"]
    todo: dict[int, list[int]] = {}
    for i, m in enumerate(municipality):
        if m is not None:
            county[i] = counties[m]
        elif county[i] is None:
            raise ValueError("A new incident needs a municipality, or a county without one.")
        if (lat[i] is None) != (e[i] is None):
            if m is None:
                raise ValueError("A point needs the municipality whose areas it is placed in.")
            todo.setdefault(m, []).append(i)
    names = ("lat", "lon", "sweref_e", "sweref_n", "area_id")
    for m, rows in todo.items():
        if len(rows) == len(municipality):
            placed = placer(m).place(*(columns[c] for c in names))
            for c, values in zip(names, placed, strict=True):
                columns[c] = values
            continue
        placed = placer(m).place(*([columns[c][i] for i in rows] for c in names))
        for c, values in zip(names, placed, strict=True):
            target = columns[c]
            for i, v in zip(rows, values, strict=True):
                target[i] = v


def _set_derived_fields_of(incident: Incident, municipality: Municipality) -> None:
    columns = {c: [getattr(incident, c)] for c in PLACE_COLUMNS}
    set_derived_fields(
        columns,
        counties={municipality.pk: municipality.county_id},
        placer=lambda _pk: PointPlacer(municipality),
    )
    for c, values in columns.items():
        setattr(incident, c, values[0])


class IncidentBulkWriter:
    """Insert new incidents, a batch at a time, inside the caller's transaction: the one bulk
    writer of incidents (the police import, the CSV/Excel import).

    ``columns`` names the fields (attribute names, e.g. ``category_id``) each row of
    :meth:`write` gives, in order; ``constants`` the fields equal for every row (the source,
    the import job, …); every other field gets its model default, ``created_at`` and
    ``updated_at`` the time of the writer. Values are Python values: numbers, text, booleans,
    ``None``, and aware datetimes. Each batch passes through :func:`set_derived_fields`.

    The insert is raw SQL (``executemany``; ``COPY`` on PostgreSQL) because ``bulk_create``
    builds a model instance per row and, on SQLite, batches only 999 parameters: an import of
    a million rows would be several times slower than the insert itself (see
    bench/bench_import.py). No signals are sent, so the change tracker writes nothing: the
    importer writes one audit row per import. ``actor`` must be allowed to import into
    ``municipality`` (or, with ``municipality=None``, into every municipality); every row must
    belong to ``municipality`` or be a county-level event of its county. A county-level row
    (no municipality) is shared by every municipality of the county, so only an actor who may
    import into every municipality (Brygga itself, a system administrator) may write one; it
    is stored as one copy per municipality of the county (``Incident.county_event``).
    """

    def __init__(
        self,
        *,
        actor,
        municipality: Municipality | None,
        columns: Sequence[str],
        constants: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ):
        resolver = resolver_for(actor)
        if not resolver.can_import(municipality, all_municipalities=municipality is None):
            raise PermissionDenied
        self.may_share = resolver.can_import(municipality, all_municipalities=True)
        fields = {f.attname: f for f in Incident._meta.concrete_fields if not f.primary_key}
        constants = dict(constants or {})
        unknown = (set(columns) | set(constants)) - set(fields)
        if unknown or set(columns) & set(constants):
            raise ValueError(f"Unknown or repeated incident fields: {sorted(unknown)}")
        if "county_event" in set(columns) | set(constants):
            raise ValueError("county_event is set by the writer")
        self.municipality = municipality
        self.given = tuple(columns)
        self.place_constants = {
            c: constants.pop(c, None) for c in PLACE_COLUMNS if c not in columns
        }
        self.columns = [*self.given, *self.place_constants, "county_event"]
        now = now or timezone.now()
        constants.setdefault("created_at", now)
        constants.setdefault("updated_at", now)
        self.const_columns, const = [], []
        for name, f in fields.items():
            if name in self.columns:
                continue
            value = constants[name] if name in constants else f.get_default()
            self.const_columns.append(f.column)
            const.append(f.get_db_prep_save(value, connection))
        self.const = tuple(const)
        self.datetimes = [
            i for i, c in enumerate(self.columns) if isinstance(fields[c], DateTimeField)
        ]
        self.db_columns = [*(fields[c].column for c in self.columns), *self.const_columns]
        self.counties: dict[int, int] = {}
        self.placers: dict[int, PointPlacer] = {}
        self.county_members: dict[int, list[int]] | None = None
        self.touched: dict[int, set] = {}

    def _placer(self, municipality_id: int) -> PointPlacer:
        if municipality_id not in self.placers:
            m = self.municipality
            if m is None or m.pk != municipality_id:
                m = Municipality.objects.get(pk=municipality_id)
            self.placers[municipality_id] = PointPlacer(m)
        return self.placers[municipality_id]

    def _columns(self, rows: Sequence[tuple]) -> dict[str, list]:
        n = len(rows)
        columns = {c: list(v) for c, v in zip(self.given, zip(*rows, strict=True), strict=True)}
        for c, value in self.place_constants.items():
            columns[c] = [value] * n
        missing = {m for m in columns["municipality_id"] if m is not None} - set(self.counties)
        if missing:
            self.counties.update(
                Municipality.objects.filter(pk__in=missing).values_list("pk", "county_id")
            )
        return columns

    def _check_scope(self, columns: dict[str, list]) -> None:
        if not self.may_share and None in columns["municipality_id"]:
            raise PermissionDenied  # a county-level (shared) row from a municipality's import
        m = self.municipality
        if m is None:
            return
        for mid, cid in zip(columns["municipality_id"], columns["county_id"], strict=True):
            if mid != m.pk and not (mid is None and cid == m.county_id):
                raise PermissionDenied

    def _copy_county_events(self, columns: dict[str, list]) -> dict[str, list]:
        """A county-level row (no municipality) becomes one row per municipality of its county,
        each marked ``county_event`` (see ``Incident.county_event``)."""
        names = list(columns)
        m_at = names.index("municipality_id")
        c_at = names.index("county_id")
        if self.county_members is None:
            self.county_members = {}
            for pk, county in Municipality.objects.order_by("pk").values_list("pk", "county_id"):
                self.county_members.setdefault(county, []).append(pk)
        rows, flags = [], []
        for row in zip(*columns.values(), strict=True):
            if row[m_at] is not None:
                rows.append(row)
                flags.append(False)
                continue
            for municipality_id in self.county_members.get(row[c_at], []):
                rows.append((*row[:m_at], municipality_id, *row[m_at + 1 :]))
                flags.append(True)
        copied = {c: [r[i] for r in rows] for i, c in enumerate(names)}
        copied["county_event"] = flags
        return copied

    @transaction.atomic
    def write(self, rows: Sequence[tuple]) -> int:
        """Insert ``rows`` (tuples in the order of ``columns``); returns how many (a
        county-level event counts once, however many municipalities hold a copy)."""
        if not rows:
            return 0
        columns = self._columns(rows)
        set_derived_fields(columns, counties=self.counties, placer=self._placer)
        self._check_scope(columns)
        columns = self._copy_county_events(columns)
        values = [columns[c] for c in self.columns]
        adapt = _datetime_adapter()
        for i in self.datetimes:
            values[i] = [adapt(v) for v in values[i]]
        const = self.const
        before = last_incident_ids(columns["municipality_id"])
        _insert(self.db_columns, [r + const for r in zip(*values, strict=True)])
        # the new rows (and every municipality's copy of a county-level event), in every layer
        place_new_incidents(after=before)
        for m, when, shared in zip(
            columns["municipality_id"],
            columns["occurred_from"],
            columns["county_event"],
            strict=True,
        ):
            if not shared:  # county-level events are not counted
                self.touched.setdefault(m, set()).add(local_day(when))
        return len(rows)

    def refresh_counts(self) -> int:
        """Count again the days the writes so far touched (``IncidentCount``), once at the end
        of the caller's transaction rather than per batch: an import's batches share days."""
        touched, self.touched = self.touched, {}
        return refresh_days(touched)


def _datetime_adapter() -> Callable[[datetime | None], Any]:
    """An aware datetime as the database takes it (what Django's backends do, per value)."""
    postgres = connection.vendor == "postgresql"

    def adapt(value: datetime | None):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Incident times must be aware datetimes.")
        if postgres:
            return value
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return str(value.replace(tzinfo=None))

    return adapt


def _insert(db_columns: list[str], rows: list[tuple]) -> None:
    qn = connection.ops.quote_name
    table = qn(Incident._meta.db_table)
    cols = ", ".join(qn(c) for c in db_columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the psycopg cursor behind Django's wrapper; its errors are Django's again
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for r in rows:
                    copy.write_row(r)
            return
        placeholders = ", ".join(["%s"] * len(db_columns))
        cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)  # noqa: S608


@transaction.atomic
def incidents_create_bulk(
    *,
    actor,
    municipality: Municipality | None,
    columns: Sequence[str],
    rows: Sequence[tuple],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Insert ``rows`` at once with an :class:`IncidentBulkWriter`; returns how many."""
    writer = IncidentBulkWriter(
        actor=actor, municipality=municipality, columns=columns, constants=constants
    )
    written = writer.write(rows)
    writer.refresh_counts()
    return written
