"""The demo municipality: Sundsvall (2281), its local areas, partners, forums and one user per
role. Deterministic and idempotent; the people are fictional (e-mail under demo.invalid).

The area polygons are approximations made for the demo: regular shapes around the real
district centres, split between neighbours (Voronoi) and clipped to the real municipality
boundary. They are flagged ``is_demo_geometry`` and labelled as such in the UI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from shapely.geometry import MultiPoint, Point

from brygga.audit.context import acting_as

from .geo import as_geojson, boundary_sweref, sweref_to_wgs84, wgs84_to_sweref
from .models import (
    Area,
    AreaLayer,
    Forum,
    ForumKind,
    LayerKind,
    Membership,
    Municipality,
    Organisation,
    OrganisationKind,
    PoliceArea,
    Role,
    forum_link_defaults,
)

DEMO_CODE = "2281"
DEMO_EMAIL_DOMAIN = "demo.invalid"
SEED = "brygga-demo-v1"

# (name, lon, lat, radius in metres): real district centres, approximate extents.
AREAS = [
    ("Centrum", 17.3075, 62.3905, 1300),
    ("Haga", 17.2880, 62.3990, 1100),
    ("Skönsberg", 17.3240, 62.4110, 1300),
    ("Nacksta", 17.2580, 62.3990, 1400),
    ("Bredsand", 17.3480, 62.4290, 1500),
    ("Granloholm", 17.2740, 62.4160, 1200),
    ("Bosvedjan", 17.3020, 62.4250, 1200),
    ("Sidsjö", 17.2700, 62.3790, 1300),
    ("Alnö", 17.4300, 62.4200, 7000),
    ("Kvissleby", 17.3700, 62.2960, 3000),
    ("Njurunda", 17.3650, 62.2600, 3500),
    ("Matfors", 17.0200, 62.3480, 3500),
    ("Stöde", 16.5800, 62.4150, 4500),
]

# (name, kind, parent name or None, description)
ORGANISATIONS = [
    (
        "Kommunledningskontoret – trygghet och säkerhet",
        OrganisationKind.MUNICIPAL_OTHER,
        None,
        "Brottsförebyggande samordning för kommunen.",
    ),
    ("Kommunstyrelsen", OrganisationKind.MUNICIPAL_OTHER, None, "Politisk ledning."),
    (
        "Lokalpolisområde Medelpad",
        OrganisationKind.POLICE,
        None,
        "Kommunpoliser, ungdomsutredare och områdespoliser.",
    ),
    ("Socialtjänsten", OrganisationKind.SOCIAL_SERVICES, None, ""),
    (
        "Socialtjänstens områdesteam",
        OrganisationKind.SOCIAL_SERVICES,
        "Socialtjänsten",
        "Områdesteam i prioriterade områden, med polisens ungdomsutredare knutna till sig.",
    ),
    (
        "Fältassistenterna",
        OrganisationKind.FIELD_WORK,
        "Socialtjänsten",
        "Uppsökande arbete kvällar och helger, samarbete med skolorna.",
    ),
    ("Barn- och utbildningsförvaltningen", OrganisationKind.SCHOOL, None, ""),
    ("Nackstaskolan", OrganisationKind.SCHOOL, "Barn- och utbildningsförvaltningen", ""),
    ("Skönsbergsskolan", OrganisationKind.SCHOOL, "Barn- och utbildningsförvaltningen", ""),
    (
        "Vindens friskola (demo)",
        OrganisationKind.INDEPENDENT_SCHOOL,
        None,
        "Fiktiv fristående skola för demonstration.",
    ),
    ("Kultur och fritid", OrganisationKind.LEISURE, None, "Fritidsgårdar och öppen verksamhet."),
    ("Samhällsbyggnad", OrganisationKind.URBAN_DEVELOPMENT, None, "Belysning, park, gata."),
    ("Svenska kyrkan Sundsvall", OrganisationKind.FAITH, None, "Nattvandringar och samtal."),
    ("Mitthem", OrganisationKind.HOUSING, None, "Kommunalt bostadsbolag."),
    (
        "Stadsutveckling i Sundsvall AB",
        OrganisationKind.BUSINESS,
        None,
        "Fastighetsägare och handel i centrum i samverkan.",
    ),
    (
        "Trygghetsbolaget Norr (demo)",
        OrganisationKind.SECURITY,
        None,
        "Fiktivt bevakningsföretag för demonstration.",
    ),
    ("GIF Sundsvall", OrganisationKind.CLUB, None, "Idrottsförening."),
    ("Räddningstjänsten Medelpad", OrganisationKind.RESCUE, None, ""),
    ("Region Västernorrland", OrganisationKind.REGION, None, "Hälso- och sjukvård."),
]

URBAN = {"Centrum", "Haga", "Skönsberg", "Nacksta", "Bredsand", "Granloholm", "Bosvedjan", "Sidsjö"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: str | None
    role: str | None
    superuser: bool = False
    municipality: str = DEMO_CODE


USERS = [
    DemoUser("admin", "Systemadministratör", "(demo)", None, None, superuser=True),
    DemoUser(
        "kommunadmin",
        "Kim",
        "Kommunadmin (demo)",
        "Kommunledningskontoret – trygghet och säkerhet",
        Role.MUNICIPAL_ADMIN,
    ),
    DemoUser(
        "samordnare",
        "Sam",
        "Samordnare (demo)",
        "Kommunledningskontoret – trygghet och säkerhet",
        Role.COORDINATOR,
    ),
    DemoUser(
        "kommunpolis", "Kim", "Kommunpolis (demo)", "Lokalpolisområde Medelpad", Role.COORDINATOR
    ),
    DemoUser("analytiker", "Alex", "Analytiker (demo)", "Lokalpolisområde Medelpad", Role.ANALYST),
    DemoUser("rapportor", "Robin", "Rapportör (demo)", "Fältassistenterna", Role.REPORTER),
    DemoUser(
        "handlaggare",
        "Hanna",
        "Handläggare (demo)",
        "Socialtjänstens områdesteam",
        Role.CASE_WORKER,
    ),
    DemoUser("lasare", "Lo", "Läsare (demo)", "Kommunstyrelsen", Role.VIEWER),
    DemoUser(
        "timra",
        "Tove",
        "Timrå-samordnare (demo)",
        "Timrå kommun – trygghet",
        Role.COORDINATOR,
        municipality="2262",
    ),
]


def demo_area_geometries(municipality: Municipality) -> dict[str, object]:
    """Non-overlapping approximate polygons (WGS84 shapely) for the demo areas."""
    boundary = boundary_sweref(municipality)
    centres = [Point(*wgs84_to_sweref(lon, lat)) for _, lon, lat, _ in AREAS]
    cells = shapely.voronoi_polygons(MultiPoint(centres), extend_to=boundary.buffer(50_000))
    out = {}
    for (name, _lon, _lat, radius), centre in zip(AREAS, centres, strict=True):
        cell = next(c for c in cells.geoms if c.contains(centre))
        shape_m = shapely.simplify(centre.buffer(radius, quad_segs=3).intersection(boundary), 10)
        shape_m = shape_m.intersection(cell)
        if shape_m.geom_type == "MultiPolygon":  # keep the part around the centre
            shape_m = max(shape_m.geoms, key=lambda g: g.area)
        out[name] = shapely.set_precision(shapely.transform(shape_m, _to_wgs84_array), 1e-6)
    return out


def _to_wgs84_array(xy):
    import numpy as np

    lon, lat = sweref_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def totp_key(username: str) -> str:
    return hashlib.sha256(f"{SEED}:{username}".encode()).hexdigest()[:40]


@transaction.atomic
def load_demo() -> dict:
    """Create or update the demo municipality; returns a summary for printing."""
    with acting_as(label="brygga demo"):
        sundsvall = Municipality.objects.get(code=DEMO_CODE)
        timra = Municipality.objects.get(code="2262")
        lpo, _ = PoliceArea.objects.get_or_create(
            name="Lokalpolisområde Medelpad", defaults={"police_region": "Polisregion Nord"}
        )
        lpo.municipalities.add(*Municipality.objects.filter(code__in=["2281", "2262", "2260"]))

        orgs: dict[str, Organisation] = {}
        for name, kind, parent, desc in ORGANISATIONS:
            org, _ = Organisation.objects.update_or_create(
                municipality=sundsvall,
                name=name,
                defaults={
                    "kind": kind,
                    "parent": orgs.get(parent) if parent else None,
                    "description": desc,
                    "is_active": True,
                },
            )
            orgs[name] = org
        timra_org, _ = Organisation.objects.update_or_create(
            municipality=timra,
            name="Timrå kommun – trygghet",
            defaults={"kind": OrganisationKind.MUNICIPAL_OTHER, "is_active": True},
        )
        orgs[timra_org.name] = timra_org

        # the demo's own areas (an install upgraded from before layers has them in the layer
        # its migration made, "Egna områden")
        own_layer = AreaLayer.objects.filter(municipality=sundsvall, kind=LayerKind.OWN).order_by(
            "pk"
        ).first() or AreaLayer.objects.create(
            municipality=sundsvall,
            name="Trygghetsgruppernas områden",
            kind=LayerKind.OWN,
            description="Områdena som de lokala trygghetsgrupperna arbetar i.",
        )
        areas: dict[str, Area] = {}
        for name, geom in demo_area_geometries(sundsvall).items():
            area = Area.objects.filter(
                municipality=sundsvall, layer=own_layer, name=name
            ).first() or Area(municipality=sundsvall, layer=own_layer, name=name)
            geojson = as_geojson(geom)
            if area.geometry != geojson or not area.is_demo_geometry:
                area.geometry = geojson
                area.is_demo_geometry = True
                area.description = (
                    "Ungefärlig avgränsning för demonstration, inte en officiell gräns."
                )
                area.set_bounds_from(geom)
                area.save()
            areas[name] = area

        o = orgs
        core_members = [
            o["Lokalpolisområde Medelpad"],
            o["Socialtjänstens områdesteam"],
            o["Fältassistenterna"],
            o["Kultur och fritid"],
        ]
        forums = [
            (
                "Folkhälsorådet",
                ForumKind.STRATEGIC_COUNCIL,
                "Strategisk styrgrupp för folkhälsa och brottsförebyggande arbete.",
                "Kommunledningskontoret – trygghet och säkerhet",
                [
                    "Kommunledningskontoret – trygghet och säkerhet",
                    "Kommunstyrelsen",
                    "Lokalpolisområde Medelpad",
                    "Socialtjänsten",
                    "Barn- och utbildningsförvaltningen",
                    "Region Västernorrland",
                ],
                list(areas),
            ),
            (
                "Brottsförebyggande rådet (BRÅ)",
                ForumKind.CRIME_PREVENTION_COUNCIL,
                "Operativt brottsförebyggande råd.",
                "Kommunledningskontoret – trygghet och säkerhet",
                [
                    "Kommunledningskontoret – trygghet och säkerhet",
                    "Lokalpolisområde Medelpad",
                    "Socialtjänsten",
                    "Barn- och utbildningsförvaltningen",
                    "Kultur och fritid",
                    "Samhällsbyggnad",
                    "Mitthem",
                    "Stadsutveckling i Sundsvall AB",
                    "Räddningstjänsten Medelpad",
                ],
                list(areas),
            ),
            (
                "SSPF styrgrupp",
                ForumKind.SSPF_STEERING,
                "Skola, socialtjänst, polis och fritid: styrning av SSPF-arbetet.",
                "Socialtjänsten",
                [
                    "Socialtjänsten",
                    "Barn- och utbildningsförvaltningen",
                    "Lokalpolisområde Medelpad",
                    "Kultur och fritid",
                ],
                [],
            ),
            (
                "SSPF arbetsgrupp Nacksta–Skönsberg",
                ForumKind.SSPF_WORKING,
                "Arbete med enskilda unga med vårdnadshavares samtycke.",
                "Socialtjänstens områdesteam",
                [
                    "Socialtjänstens områdesteam",
                    "Nackstaskolan",
                    "Skönsbergsskolan",
                    "Lokalpolisområde Medelpad",
                    "Kultur och fritid",
                ],
                ["Nacksta", "Skönsberg"],
            ),
        ]
        for name, *_rest in AREAS:
            members = [*core_members, o["Svenska kyrkan Sundsvall"]]
            if name in URBAN:
                members += [o["Mitthem"], o["Trygghetsbolaget Norr (demo)"]]
            if name in ("Nacksta", "Skönsberg"):
                members += [o["Nackstaskolan"] if name == "Nacksta" else o["Skönsbergsskolan"]]
            if name == "Centrum":
                members += [o["Stadsutveckling i Sundsvall AB"], o["Vindens friskola (demo)"]]
            if name in ("Nacksta", "Bredsand"):
                members += [o["GIF Sundsvall"]]
            forums.append(
                (
                    f"Trygghetsgrupp {name}",
                    ForumKind.SAFETY_GROUP,
                    f"Lokal trygghetsgrupp för {name}.",
                    "Lokalpolisområde Medelpad",
                    [m.name for m in members],
                    [name],
                )
            )
        for name, kind, desc, convener, member_names, area_names in forums:
            forum, _ = Forum.objects.update_or_create(
                municipality=sundsvall,
                name=name,
                defaults={
                    "kind": kind,
                    "description": desc,
                    "convener": o[convener],
                    "is_active": True,
                },
            )
            links = forum_link_defaults(forum)
            forum.organisations.set([o[n] for n in member_names], through_defaults=links)
            forum.areas.set([areas[n] for n in area_names], through_defaults=links)

        User = get_user_model()
        password = settings.BRYGGA_DEMO_PASSWORD
        logins = []
        for du in USERS:
            user = User.objects.filter(username=du.username).first()
            if user is None:
                user = User(username=du.username)
            user.first_name, user.last_name = du.first_name, du.last_name
            user.email = f"{du.username}@{DEMO_EMAIL_DOMAIN}"
            user.is_superuser = user.is_staff = du.superuser
            user.is_active = True
            if not user.has_usable_password() or not user.check_password(password):
                user.set_password(password)
            user.save()
            if du.organisation:
                Membership.objects.get_or_create(
                    user=user, organisation=o[du.organisation], role=du.role
                )
            needs_otp = du.superuser or du.role in settings.BRYGGA_OTP_REQUIRED_ROLES_DEFAULT
            secret = ""
            if needs_otp:
                device, _ = TOTPDevice.objects.get_or_create(
                    user=user,
                    name="Demo",
                    defaults={"key": totp_key(du.username), "confirmed": True},
                )
                import base64

                secret = base64.b32encode(device.bin_key).decode()
            logins.append(
                {
                    "username": du.username,
                    "role": du.role or "system_admin",
                    "organisation": du.organisation or "–",
                    "totp_secret": secret,
                }
            )
    return {
        "municipality": sundsvall,
        "areas": len(areas),
        "organisations": len(orgs),
        "forums": len(forums),
        "logins": logins,
        "password": password,
    }
