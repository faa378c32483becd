"""What a year of use leaves behind besides the reports, so that the demo shows the pages for
it and gallring (``brygga gallra``) has something to do with the default periods:

* public tips (Open311) from the last six months, most with contact details, two published;
* reports from a school marked as holding personal data, some older than a year;
* three incidents deleted by a user (45, 20 and 3 days ago);
* an import history: a CSV import four months ago with three row errors and one two weeks ago.

All people and texts are fictional. Rows are recognised by their ``source_id`` (``demo-rec-``)
and the imports by their file names, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.audit.services import log_action

from ..models import (
    ImportJob,
    Incident,
    Open311Contact,
    Open311Request,
    Source,
    Status,
)
from .context import demo_context

PREFIX = "demo-rec-"
SCHOOL = "Nackstaskolan"
FIELD = "Fältassistenterna"

# (days ago, category, area, text, contact (first, last, e-mail, phone) or None, published)
TIPS = [
    (
        170,
        "klotter",
        "Nacksta",
        "Klotter på tunneln under vägen vid Nacksta centrum.",
        ("Anna", "Exempelsson", "anna.exempel@example.se", ""),
        "Klotter i gångtunneln",
    ),
    (
        150,
        "otrygg-plats-belysning",
        "Skönsberg",
        "Belysningen på gångvägen är trasig sedan en vecka, det känns otryggt att gå hem.",
        ("", "", "", "070-000 00 01"),
        None,
    ),
    (
        120,
        "nedskrapning",
        "Centrum",
        "Mycket skräp och glas vid lekplatsen.",
        None,
        "Nedskräpning vid lekplatsen",
    ),
    (
        100,
        "grupp",
        "Nacksta",
        "Ungdomar samlas sent vid skolan och kastar sten på fönster, jag känner igen en av dem.",
        ("Bo", "Testare", "bo.testare@example.se", ""),
        None,
    ),
    (
        60,
        "skadegorelse-ovrig",
        "Haga",
        "Busskuren vid hållplatsen är sönderslagen igen.",
        ("Cecilia", "Prov", "", "070-000 00 02"),
        None,
    ),
    (
        25,
        "otrygg-plats",
        "Bredsand",
        "Det saknas belysning vid parkeringen, många upplever den som otrygg.",
        ("Dan", "Demo", "dan.demo@example.se", ""),
        None,
    ),
    (6, "klotter", "Skönsberg", "Nytt klotter på förskolans staket.", None, None),
]
# (days ago recorded, text): school reports naming a pupil's situation (fictional)
PERSONAL = [
    (420, "Elev i åk 8 hotade personal på rasten; vårdnadshavare kontaktad."),
    (390, "Elev uppgav att äldre ungdomar tvingat hen att lämna ifrån sig telefonen."),
    (200, "Elev hotade personal i matsalen, elevhälsan informerad."),
    (40, "Elev berättade om hot från en grupp utanför skolan."),
]
DELETED_DAYS = (45, 20, 3)


def _incident(ctx, *, sid, category, area, occurred, text, org, source, personal, place=""):
    return Incident(
        municipality=ctx.municipality,
        county=ctx.municipality.county,
        category=ctx.categories[category],
        occurred_from=occurred,
        area=ctx.demo_areas.get(area),
        place_description=place or f"{area} (området)",
        description=text,
        reporting_organisation=org,
        source=source,
        source_id=sid,
        status=Status.REVIEWED,
        has_personal_data=personal,
    )


def _backdate(ids_to_time: dict[int, object]) -> None:
    """The rows were recorded when they happened, not when the demo was loaded."""
    for pk, when in ids_to_time.items():
        Incident.objects.filter(pk=pk).update(created_at=when, updated_at=when)


@transaction.atomic
def load_records() -> dict:
    ctx = demo_context({SCHOOL, FIELD})
    sundsvall = ctx.municipality
    existing = set(
        Incident.objects.filter(municipality=sundsvall, source_id__startswith=PREFIX).values_list(
            "source_id", flat=True
        )
    )
    now = timezone.now()
    created = {"tips": 0, "personal": 0, "deleted": 0, "imports": 0}
    recorded: dict[int, object] = {}
    for n, (days, category, area, text, contact, published) in enumerate(TIPS, start=1):
        sid = f"{PREFIX}tip-{n}"
        if sid in existing:
            continue
        when = now - timedelta(days=days, hours=3)
        incident = _incident(
            ctx,
            sid=sid,
            category=category,
            area=area,
            occurred=when,
            text=text,
            org=None,
            source=Source.OPEN311,
            personal=True,
        )
        incident.save()
        request = Open311Request(incident=incident, municipality=sundsvall)
        if published:
            request.published_text = published
            request.published_at = when + timedelta(days=1)
        request.save()
        if contact:
            first, last, email, phone = contact
            Open311Contact.objects.create(
                incident=incident,
                municipality=sundsvall,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
            )
        recorded[incident.pk] = when
        created["tips"] += 1
    school = ctx.organisations[SCHOOL]
    for n, (days, text) in enumerate(PERSONAL, start=1):
        sid = f"{PREFIX}personal-{n}"
        if sid in existing:
            continue
        when = now - timedelta(days=days, hours=5)
        incident = _incident(
            ctx,
            sid=sid,
            category="personal",
            area="Nacksta",
            occurred=when,
            text=text,
            org=school,
            source=Source.MANUAL,
            personal=True,
            place="Nackstaskolan, skolgården",
        )
        incident.save()
        recorded[incident.pk] = when
        created["personal"] += 1
    field = ctx.organisations[FIELD]
    for n, days in enumerate(DELETED_DAYS, start=1):
        sid = f"{PREFIX}deleted-{n}"
        if sid in existing:
            continue
        when = now - timedelta(days=days + 2)
        incident = _incident(
            ctx,
            sid=sid,
            category="grupp",
            area="Skönsberg",
            occurred=when,
            text="Rapporterad två gånger av misstag.",
            org=field,
            source=Source.MANUAL,
            personal=False,
        )
        incident.deleted_at = now - timedelta(days=days)
        incident.save()
        recorded[incident.pk] = when
        created["deleted"] += 1
    _backdate(recorded)
    created["imports"] = _imports(sundsvall, now)
    if any(created.values()):
        with acting_as(label="brygga demo"):
            log_action(event_type="demo_records_loaded", subject=sundsvall, details=created)
    return created


IMPORTS = [
    # (file name, days ago, created, errors)
    (
        "faltrapporter-juni.csv",
        120,
        41,
        [
            {"row": 7, "column": "datum", "message": "”31/6” är inget datum."},
            {"row": 19, "column": "kategori", "message": "Okänd kategori ”bråk ungdomar”."},
            {
                "row": 33,
                "column": "plats",
                "message": "”Anna E:s port, Nacksta” hittades inte bland kommunens platser.",
            },
        ],
    ),
    ("faltrapporter-november.csv", 14, 37, []),
]


def _imports(sundsvall, now) -> int:
    made = 0
    known = set(
        ImportJob.objects.filter(municipality=sundsvall).values_list("file_name", flat=True)
    )
    for name, days, count, errors in IMPORTS:
        if name in known:
            continue
        when = now - timedelta(days=days)
        job = ImportJob.objects.create(
            municipality=sundsvall,
            kind=ImportJob.Kind.TABULAR,
            state=ImportJob.State.DONE,
            file_name=name,
            total_rows=count + len(errors),
            processed_rows=count + len(errors),
            progress=100,
            created_count=count,
            error_count=len(errors),
            errors=errors,
            finished_at=when,
        )
        ImportJob.objects.filter(pk=job.pk).update(created_at=when, updated_at=when)
        made += 1
    return made
