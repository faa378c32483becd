"""factory_boy factories for incidents, and the valid input a test starts from.

Rows: incidents (``IncidentFactory``, ``PoliceEventFactory``; ``make_incident`` for one of the
``world``'s), own categories, import jobs and profiles, Open311 keys (through the service, which
alone knows the secret). Like core's factories they write as test setup, and without a
``municipality`` a row belongs to Sundsvall (2281).

Input: the report form's data, a public tip's body and CSV/XLSX import files.
"""

from __future__ import annotations

import datetime as dt
import io

import factory
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.geo import wgs84_to_sweref
from brygga.core.models import Municipality
from brygga.incidents.imports import tabular
from brygga.incidents.models import Category, ImportJob, ImportProfile, Incident, Source
from brygga.incidents.open311 import services as open311
from brygga.incidents.services.placements import place_incidents
from brygga.incidents.services.rollups import local_day, refresh_counts

from ..core.factories import SetupFactory, municipality

# Places in the ``world`` (lat, lon): inside the test area "Centrum" in Sundsvall, and in Timrå.
CENTRE = (62.39, 17.305)
TIMRA_POINT = (62.487, 17.325)
IN_CENTRE = {"lat": "62.3908", "long": "17.3069"}  # a tip's place inside "Centrum"


def category(code: str = "skadegorelse-fonster") -> Category:
    """A national category (the data migration's)."""
    return Category.objects.get(code=code, municipality__isnull=True)


# --- rows -----------------------------------------------------------------------------------
class CategoryFactory(SetupFactory):
    """A municipality's own category (a main category unless ``parent`` is given)."""

    class Meta:
        model = Category

    municipality = factory.LazyFunction(municipality)
    code = factory.Sequence(lambda n: f"egen-{n}")
    name = factory.Sequence(lambda n: f"Egen kategori {n}")


class IncidentFactory(SetupFactory):
    """An incident straight in the database (as setup, not through a form or service): a
    broken window two hours ago, without a place unless ``lat``/``lon`` or ``area`` are given.
    The county follows the municipality (Sundsvall's for a county-level event); the SWEREF 99 TM
    coordinates follow ``lat``/``lon``, as every writer fills them."""

    class Meta:
        model = Incident

    municipality = factory.LazyFunction(municipality)
    county_id = factory.LazyAttribute(lambda o: (o.municipality or municipality()).county_id)
    category = factory.LazyFunction(category)
    occurred_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    lat = None
    lon = None
    sweref_e = factory.LazyAttribute(
        lambda o: None if o.lat is None else wgs84_to_sweref(o.lon, o.lat)[0]
    )
    sweref_n = factory.LazyAttribute(
        lambda o: None if o.lat is None else wgs84_to_sweref(o.lon, o.lat)[1]
    )

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if "county" in kwargs:  # a county given as an object wins over the derived id
            kwargs.pop("county_id")
        return kwargs

    @factory.post_generation
    def placed(self, create, extracted, **kwargs):
        """Placed in the areas of every layer, as every writer places what it writes
        (``placed=False``: not placed)."""
        if create and extracted is not False:
            place_incidents(municipality_id=self.municipality_id, incident_ids=[self.pk])

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):
        """Counted in the lägesbild's rollup (``IncidentCount``), as every writer counts what
        it writes (``counted=False``: not counted)."""
        if create and extracted is not False and self.municipality_id is not None:
            refresh_counts(
                municipality_id=self.municipality_id, days={local_day(self.occurred_from)}
            )


class PoliceEventFactory(IncidentFactory):
    """An event of the police feed (no reporting organisation); ``county_level=True`` for one
    the police place only in the county (no municipality)."""

    class Params:
        county_level = factory.Trait(county_event=True)

    source = Source.POLICE
    source_id = factory.Sequence(lambda n: f"polis-{n}")
    reporting_organisation = None

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs = super()._adjust_kwargs(**kwargs)
        county = kwargs.get("county_id") or getattr(kwargs.get("county"), "pk", None)
        if kwargs.get("county_event") and kwargs["municipality"].county_id != county:
            kwargs["municipality"] = Municipality.objects.filter(county_id=county).order_by("pk")[0]
        return kwargs

    @factory.post_generation
    def county_copies(self, create, extracted, **kwargs):
        """A county-level event is held by every municipality of its county (as the police
        import stores it); the factory returns the copy of the municipality it was given."""
        if not (create and self.county_event):
            return
        others = Municipality.objects.filter(county_id=self.county_id).exclude(
            pk=self.municipality_id
        )
        for other in others:
            copy = Incident.objects.get(pk=self.pk)
            copy.pk = None
            copy.municipality = other
            copy.save()
            place_incidents(municipality_id=other.pk, incident_ids=[copy.pk])
            refresh_counts(municipality_id=other.pk, days={local_day(copy.occurred_from)})


def make_incident(world, **kw) -> Incident:
    """An incident of the ``world``: Sundsvall's (in its county), reported by the field
    workers two hours ago, unless ``kw`` says otherwise."""
    defaults = {
        "municipality": world.sundsvall,
        "county_id": world.sundsvall.county_id,
        "reporting_organisation": world.orgs["field"],
    }
    return IncidentFactory(**{**defaults, **kw})


class ImportProfileFactory(SetupFactory):
    """A saved column mapping, by default for files with the columns of ``HEADER``."""

    class Meta:
        model = ImportProfile

    municipality = factory.LazyFunction(municipality)
    name = factory.Sequence(lambda n: f"Profil {n}")
    mapping = factory.LazyFunction(
        lambda: tabular.Mapping(
            columns={
                "source_id": "Id",
                "occurred_at": "Tidpunkt",
                "category": "Kategori",
                "lat": "Lat",
                "lon": "Lon",
                "description": "Beskrivning",
            }
        ).to_json()
    )


class ImportJobFactory(SetupFactory):
    """An import job (CSV/Excel unless ``kind="police"``), waiting unless ``state`` says
    otherwise; ``updated_ago=timedelta(...)`` backdates its last change (the recovery of stuck
    jobs and the purge of uploads go by it)."""

    class Meta:
        model = ImportJob

    municipality = factory.LazyFunction(municipality)
    kind = ImportJob.Kind.TABULAR
    file_name = factory.LazyAttribute(
        lambda o: "handelser.jsonl" if o.kind == ImportJob.Kind.POLICE else "handelser.csv"
    )

    @factory.post_generation
    def updated_ago(self, create, extracted, **kwargs):
        if create and extracted is not None:
            ImportJob.objects.filter(pk=self.pk).update(updated_at=timezone.now() - extracted)
            self.refresh_from_db()


def make_key(world, *, municipality=None, organisation=None, name="Webbformulär"):
    """An Open311 key made by the service (it alone sees the secret): ``(key, secret)``."""
    with acting_as(label="test setup"):
        return open311.open311_key_create(
            actor=world.users["system_admin"],
            municipality=municipality or world.sundsvall,
            name=name,
            reporting_organisation=organisation,
        )


def field_key(world):
    """An active key for Sundsvall attributed to the field workers: (key, secret)."""
    return make_key(world, organisation=world.orgs["field"])


# --- input ----------------------------------------------------------------------------------
def form_data(**kw) -> dict:
    """The report form's data for a valid report (a value of ``None`` leaves the field out)."""
    when = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "category": str(category().pk),
        "occurred_from": when.strftime("%Y-%m-%dT%H:%M"),
        "lat": str(CENTRE[0]),
        "lon": str(CENTRE[1]),
        "description": "Krossad ruta vid busshållplatsen.",
        "count": "1",
        "visibility": "shared",
    }
    data.update({k: v for k, v in kw.items() if v is not None})
    for k, v in kw.items():
        if v is None:
            data.pop(k, None)
    return data


def tip(secret: str, **extra) -> dict:
    """The body of a public tip (Open311 POST) sent with the key ``secret``."""
    return {"api_key": secret, "service_code": "klotter", **IN_CENTRE, **extra}


HEADER = ["Id", "Tidpunkt", "Kategori", "Lat", "Lon", "Beskrivning"]  # of an import file
# Points inside Sundsvall's test area "Centrum", as an export writes them.
P1 = ("62,3908", "17,3069")
P2 = ("62.391", "17.305")


def csv_bytes(rows, *, delimiter=";", encoding="utf-8", header=HEADER, newline="\n") -> bytes:
    lines = ([delimiter.join(header)] if header else []) + [delimiter.join(r) for r in rows]
    return (newline.join(lines) + newline).encode(encoding)


def row(sid="A1", when="2024-03-05 21:30", cat="Klotter", point=P1, text=""):
    return [sid, when, cat, point[0], point[1], text]


def xlsx(sheets: dict[str, list[list]], merge: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if merge:
            ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def publish(world, incident: Incident, text: str = "Klotter på muren") -> str:
    """Review a public tip and publish ``text`` on the public Open311 lists, as a coordinator
    of its municipality (the moderation step); returns the tip's public id."""
    from brygga.incidents.models import Status
    from brygga.incidents.services import incident_set_status

    moderator = world.users[
        "outsider" if incident.municipality_id == world.timra.pk else "coordinator"
    ]
    if incident.status != Status.REVIEWED:
        incident = incident_set_status(actor=moderator, incident=incident, status=Status.REVIEWED)
    open311.open311_tip_publish(actor=moderator, incident=incident, text=text)
    return incident.open311_request.token


def submitted(response) -> Incident:
    """The incident a ``201`` Open311 POST (JSON) created, found by its public id."""
    token = response.json()[0]["service_request_id"]
    return Incident.objects.get(open311_request__token=token)


def stored_events(qs=None) -> int:
    """Incidents as the sources count them: a county-level police event once, not once per
    municipality of the county holding a copy."""
    qs = Incident.objects.all() if qs is None else qs
    return (
        qs.filter(county_event=False).count()
        + qs.filter(county_event=True).values("source_id").distinct().count()
    )
