"""Demo incidents for Sundsvall (2281): about 18 months of partner reports, generated, plus the
real police events for Västernorrlands län from the file shipped in ``data/``.

The partner reports are synthetic and fictional (no people are named). They are generated
deterministically, day by day, from a fixed seed and the date, so that they look like a real
EST picture:

* spatially clustered around a few places (Stenstaden, Nacksta centrum, Skönsberg, Bredsand,
  Haga) with background noise over the urban areas and a little in the outer districts;
* more on Friday and Saturday evenings and nights, schools only on school days;
* seasonal: outdoor disorder in summer (Bredsand beach above all), broken lights in the dark
  season, fires around valborg and new year, disorder at the end of the school year;
* one emerging hot spot in Granloholm: almost nothing until eight weeks before ``today``, then
  a clear rise;
* some reports placed only in an area (no point), some with a time interval ("found in the
  morning"), a few with a count above one.

Each report has ``source="import"`` and ``source_id="demo-YYYYMMDD-NNN"`` (or ``demo-hs-…`` for
the hot spot), so the unique constraint (municipality, source, source_id) and a check of the
existing ids make a re-run insert nothing and write no audit row.
"""

from __future__ import annotations

import math
import time
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from brygga.audit.context import acting_as
from brygga.audit.services import log_action
from brygga.core.demo import AREAS, DEMO_CODE, URBAN
from brygga.core.geo import sweref_to_wgs84, to_sweref, wgs84_to_sweref
from brygga.core.models import Area, Municipality, Organisation

from .location import area_at
from .models import Category, Incident, PoliceTypeMapping, Source, Status
from .police import import_records, read_police_file
from .reference import load_default_categories

SEED = 2281
DAYS = 548  # about 18 months
HOTSPOT_DAYS = 56  # the emerging hot spot rises during the last eight weeks
DEMO_PREFIX = "demo-"
POLICE_FILE = Path(__file__).resolve().parent / "data" / "police_vasternorrland_2022-2024.jsonl.gz"
POOL_SIZE = 1500  # candidate points per place; reports pick from them (repeat addresses)
AREA_ONLY_SHARE = 0.05
BATCH = 1000

# ---------------------------------------------------------------------------------------------
# Places: (key, label for the place description or None for the area's name, lon, lat, sd in
# metres). Gaussian clusters in SWEREF 99 TM; "urban"/"outer" are uniform over those areas.
PLACES = {
    "stenstaden": ("Stenstaden", 17.3075, 62.3905, 280.0),
    "nacksta": ("Nacksta centrum", 17.2580, 62.3990, 220.0),
    "skonsberg": ("Skönsberg", 17.3240, 62.4110, 260.0),
    "bredsand": ("Bredsand", 17.3480, 62.4290, 300.0),
    "haga": ("Haga", 17.2880, 62.3990, 240.0),
    "granlo": ("Granloholm", 17.2740, 62.4160, 110.0),  # the emerging hot spot
    "kvissleby": (None, 17.3700, 62.2960, 700.0),
    "matfors": (None, 17.0200, 62.3480, 700.0),
    "njurunda": (None, 17.3650, 62.2600, 800.0),
    "alno": (None, 17.4300, 62.4200, 1500.0),
    "urban": (None, None, None, None),
}
HOTSPOT_AREA = "Granloholm"
OUTER = {"kvissleby": 0.3, "matfors": 0.3, "njurunda": 0.2, "alno": 0.2}

SPOTS = [
    "vid busshållplatsen",
    "vid entrén",
    "på parkeringen",
    "i gångtunneln",
    "vid lekplatsen",
    "vid återvinningsstationen",
    "på gården",
    "i parken",
    "vid centrumhuset",
    "längs gång- och cykelvägen",
]
SCHOOLS = {"Nackstaskolan", "Skönsbergsskolan", "Vindens friskola (demo)"}
SCHOOL_SPOTS = ["på skolgården", "i korridoren", "vid entrén", "vid cykelstället", "i matsalen"]

# ---------------------------------------------------------------------------------------------
# When: 30 hourly slots per day; 24–29 are 00–05 the next morning. (weekday, Fri/Sat) weights.
_EVENING_WD = {15: 1, 16: 1, 17: 2, 18: 3, 19: 4, 20: 4, 21: 4, 22: 3, 23: 2, 24: 1}
_EVENING_WE = {17: 1, 18: 2, 19: 3, 20: 4, 21: 5, 22: 6, 23: 6, 24: 5, 25: 4, 26: 2, 27: 1}
_NIGHT_WD = {20: 1, 21: 2, 22: 3, 23: 3, 24: 2, 25: 2, 26: 1, 27: 1}
_NIGHT_WE = {21: 1, 22: 2, 23: 4, 24: 5, 25: 6, 26: 5, 27: 3, 28: 1}
_DAY = {7: 1, 8: 2, 9: 3, 10: 3, 11: 3, 12: 2, 13: 3, 14: 3, 15: 3, 16: 2, 17: 1}
_SCHOOL = {8: 2, 9: 3, 10: 4, 11: 3, 12: 4, 13: 3, 14: 3, 15: 2}
_MIXED = {
    8: 1,
    9: 1,
    10: 1,
    11: 1,
    12: 1,
    13: 1,
    14: 1,
    15: 2,
    16: 2,
    17: 2,
    18: 2,
    19: 2,
    20: 2,
    21: 2,
    22: 1,
    23: 1,
}
_MIXED_WE = {10: 1, 12: 1, 14: 1, 16: 2, 18: 3, 19: 3, 20: 4, 21: 4, 22: 4, 23: 3, 24: 2, 25: 1}

# name: (weekday hours, Fri/Sat hours, Monday..Sunday factor)
PROFILES = {
    "day": (_DAY, _DAY, (1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.3)),
    "school": (_SCHOOL, _SCHOOL, (1.0, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0)),
    "evening": (_EVENING_WD, _EVENING_WE, (0.6, 0.6, 0.7, 0.9, 1.7, 1.9, 0.8)),
    "night": (_NIGHT_WD, _NIGHT_WE, (0.5, 0.5, 0.6, 0.8, 1.9, 2.2, 0.7)),
    "mixed": (_MIXED, _MIXED_WE, (0.9, 0.9, 0.9, 1.0, 1.3, 1.3, 0.8)),
}


def _cumulative(weights) -> list[float]:
    c = np.cumsum(np.asarray(weights, dtype=float))
    return list(c / c[-1])


def _slots(weights: dict[int, float]) -> list[float]:
    return _cumulative([weights.get(slot, 0) for slot in range(30)])


# name: (cumulative weekday slots, cumulative Fri/Sat slots, Monday..Sunday factor)
_SLOTS = {name: (_slots(wd), _slots(we), dow) for name, (wd, we, dow) in PROFILES.items()}


@dataclass(frozen=True)
class Stream:
    """One kind of report from one organisation: rate per day and its patterns."""

    organisation: str
    category: str
    rate: float
    timing: str  # key of PROFILES
    season: str  # see _season()
    places: dict[str, float]
    interval_share: float = 0.0  # share of reports with an interval ("found in the morning")
    multi_share: float = 0.0  # share with count > 1
    multi_max: int = 3

    def __post_init__(self):
        object.__setattr__(self, "_place_keys", list(self.places))
        object.__setattr__(self, "_place_cum", _cumulative(list(self.places.values())))

    def place(self, u: float) -> str:
        return self._place_keys[bisect(self._place_cum, u)]


MITTHEM = "Mitthem"
FALT = "Fältassistenterna"
VAKT = "Trygghetsbolaget Norr (demo)"
KYRKAN = "Svenska kyrkan Sundsvall"
STADS = "Stadsutveckling i Sundsvall AB"
LPO = "Lokalpolisområde Medelpad"
FRITID = "Kultur och fritid"
SBK = "Samhällsbyggnad"
RTJ = "Räddningstjänsten Medelpad"
GIF = "GIF Sundsvall"

HOUSING = {
    "nacksta": 0.3,
    "skonsberg": 0.3,
    "haga": 0.15,
    "urban": 0.17,
    "kvissleby": 0.04,
    "matfors": 0.04,
}
STREET = {"stenstaden": 0.35, "nacksta": 0.2, "skonsberg": 0.2, "haga": 0.1, "urban": 0.15}
CITY = {"stenstaden": 1.0}

STREAMS = [
    # the housing company: damage, graffiti and litter on its estates
    Stream(MITTHEM, "klotter", 0.9, "day", "flat", HOUSING, 0.4, 0.08, 4),
    Stream(MITTHEM, "skadegorelse-fonster", 0.3, "day", "flat", HOUSING, 0.5),
    Stream(MITTHEM, "skadegorelse-ovrig", 0.35, "day", "summer", HOUSING, 0.4),
    Stream(MITTHEM, "nedskrapning", 0.45, "day", "summer", HOUSING, 0.3, 0.05),
    Stream(MITTHEM, "brand-container", 0.12, "evening", "fire", HOUSING, 0.0, 0.1, 2),
    Stream(MITTHEM, "otrygg-plats-belysning", 0.2, "day", "dark", HOUSING),
    Stream(MITTHEM, "stold-inbrott-inbrott", 0.15, "day", "flat", HOUSING, 0.7),
    Stream(MITTHEM, "grupp", 0.2, "evening", "summer", HOUSING),
    # field workers: groups, alcohol and drugs, evenings and weekends
    Stream(FALT, "grupp", 0.7, "evening", "summer", STREET),
    Stream(
        FALT,
        "alkohol",
        0.35,
        "evening",
        "summer",
        {"stenstaden": 0.6, "haga": 0.2, "skonsberg": 0.2},
    ),
    Stream(FALT, "alkohol", 0.25, "evening", "beach", {"bredsand": 1.0}),
    Stream(FALT, "grupp", 0.15, "evening", "beach", {"bredsand": 1.0}),
    Stream(FALT, "narkotika", 0.3, "evening", "flat", STREET),
    Stream(FALT, "narkotika-langning", 0.12, "evening", "flat", STREET),
    Stream(FALT, "ordningsstorning-brak", 0.12, "evening", "summer", STREET),
    # the security company: nights
    Stream(VAKT, "ordningsstorning", 0.45, "night", "summer", STREET),
    Stream(VAKT, "skadegorelse-fordon", 0.2, "night", "flat", HOUSING),
    Stream(VAKT, "grupp", 0.25, "evening", "summer", STREET),
    Stream(VAKT, "stold-inbrott-stold", 0.2, "night", "flat", STREET),
    Stream(VAKT, "hot-vald-hot", 0.08, "night", "flat", STREET),
    Stream(VAKT, "brand-container", 0.08, "night", "fire", HOUSING),
    Stream(VAKT, "nedskrapning-sprutor", 0.08, "night", "flat", CITY, 0.0, 0.5, 6),
    # schools: school days only
    Stream("Nackstaskolan", "personal", 0.08, "school", "school", {"nacksta": 1.0}),
    Stream("Nackstaskolan", "klotter", 0.12, "school", "school", {"nacksta": 1.0}, 0.3),
    Stream("Nackstaskolan", "skadegorelse-ovrig", 0.08, "school", "school", {"nacksta": 1.0}),
    Stream("Nackstaskolan", "hot-vald-hot", 0.04, "school", "school", {"nacksta": 1.0}),
    Stream("Skönsbergsskolan", "personal", 0.07, "school", "school", {"skonsberg": 1.0}),
    Stream("Skönsbergsskolan", "klotter", 0.12, "school", "school", {"skonsberg": 1.0}, 0.3),
    Stream("Skönsbergsskolan", "klotter-stotande", 0.03, "school", "school", {"skonsberg": 1.0}),
    Stream("Vindens friskola (demo)", "personal", 0.04, "school", "school", CITY),
    Stream("Vindens friskola (demo)", "klotter", 0.06, "school", "school", CITY),
    # the church: night walks on weekend evenings
    Stream(KYRKAN, "alkohol", 0.12, "evening", "summer", {"stenstaden": 0.7, "skonsberg": 0.3}),
    Stream(KYRKAN, "grupp", 0.12, "evening", "summer", {"stenstaden": 0.6, "skonsberg": 0.4}),
    Stream(KYRKAN, "otrygg-plats", 0.04, "evening", "dark", CITY),
    # property owners and shops in the city centre
    Stream(STADS, "klotter", 0.3, "day", "flat", CITY, 0.4, 0.08, 4),
    Stream(STADS, "nedskrapning", 0.25, "day", "summer", CITY),
    Stream(STADS, "stold-inbrott-stold", 0.25, "day", "flat", CITY),
    Stream(STADS, "ordningsstorning", 0.2, "evening", "summer", CITY),
    Stream(STADS, "otrygg-plats", 0.08, "evening", "dark", CITY),
    # the local police area
    Stream(LPO, "hot-vald-misshandel", 0.15, "night", "summer", {**STREET, "stenstaden": 0.6}),
    Stream(LPO, "narkotika", 0.15, "evening", "flat", STREET),
    Stream(
        LPO, "trafik-buskorning", 0.25, "evening", "summer", {**STREET, "stenstaden": 0.1, **OUTER}
    ),
    Stream(LPO, "hot-vald-ran", 0.03, "night", "flat", STREET),
    Stream(LPO, "hot-vald-vapen", 0.008, "night", "flat", STREET),
    Stream(LPO, "ordningsstorning-brak", 0.15, "night", "summer", {"stenstaden": 1.0}),
    # leisure: youth centres on weekday evenings
    Stream(FRITID, "grupp", 0.12, "mixed", "flat", {"nacksta": 0.5, "skonsberg": 0.5}),
    Stream(FRITID, "personal", 0.04, "mixed", "flat", {"nacksta": 0.5, "skonsberg": 0.5}),
    # the municipality's street and park department
    Stream(SBK, "otrygg-plats-belysning", 0.25, "day", "dark", {"urban": 0.8, **OUTER}),
    Stream(SBK, "klotter", 0.25, "day", "flat", {"urban": 0.6, "stenstaden": 0.4}, 0.4),
    Stream(SBK, "skadegorelse-ovrig", 0.15, "day", "summer", {"urban": 0.8, **OUTER}, 0.3),
    Stream(SBK, "nedskrapning", 0.15, "day", "summer", {"urban": 0.6, "bredsand": 0.4}),
    # rescue services: fires
    Stream(RTJ, "brand-container", 0.15, "evening", "fire", {**HOUSING, "stenstaden": 0.1}),
    Stream(RTJ, "brand-fordon", 0.05, "night", "fire", {"urban": 0.7, **OUTER}),
    Stream(RTJ, "brand-byggnad", 0.015, "night", "flat", {"urban": 0.7, **OUTER}),
    # the football club: matches
    Stream(GIF, "arrangemang", 0.02, "evening", "summer", CITY),
]

# The emerging hot spot in Granloholm: (organisation, category, weight).
HOTSPOT = [
    (FALT, "grupp", 0.3),
    (MITTHEM, "skadegorelse-ovrig", 0.2),
    (MITTHEM, "klotter", 0.15),
    (VAKT, "brand-container", 0.1),
    (FALT, "narkotika-langning", 0.1),
    (VAKT, "ordningsstorning", 0.15),
]

DESCRIPTIONS = {
    "klotter": [
        "Klotter på gavel vid busshållplats",
        "Tags på fasaden mot gångvägen",
        "Klotter i trapphus",
        "Klotter på elskåp",
        "Nytt klotter i gångtunneln",
        "Klotter på plank vid lekplatsen",
    ],
    "klotter-stotande": ["Kränkande klotter på skolans vägg", "Hotfullt klotter vid entrén"],
    "skadegorelse-fonster": [
        "Krossad ruta i entrédörr",
        "Sönderslagen ruta i busskur",
        "Krossad källarruta",
        "Krossad ruta i tvättstuga",
    ],
    "skadegorelse-fordon": [
        "Repad bil på parkeringen",
        "Punkterade däck på flera bilar",
        "Krossad bilruta på parkeringen",
    ],
    "skadegorelse-ovrig": [
        "Sönderslagen belysningsarmatur",
        "Förstörd papperskorg",
        "Sönderslagen parksoffa",
        "Skadad lekutrustning",
        "Uppbruten dörr till soprum",
    ],
    "nedskrapning": [
        "Mycket skräp efter samling på kvällen",
        "Glaskross på gångvägen",
        "Nedskräpning vid återvinningsstation",
        "Tomma flaskor och skräp vid lekplatsen",
        "Dumpade sopsäckar bakom butik",
    ],
    "nedskrapning-sprutor": [
        "Sprutor i buskage, omhändertagna",
        "Kanyler vid trappa, omhändertagna",
        "Sprutor i rabatt nära lekplats",
    ],
    "otrygg-plats": [
        "Skymd gångväg, buskage behöver röjas",
        "Tom lokal används som tillhåll",
        "Boende upplever otrygghet vid parkeringsgaraget",
    ],
    "otrygg-plats-belysning": [
        "Trasig gatubelysning längs gångväg",
        "Mörkt vid busshållplats, lampa ur funktion",
        "Belysningen i gångtunneln ur funktion",
        "Flera trasiga lampor på parkeringen",
    ],
    "brand-container": [
        "Brand i papperskorg",
        "Brand i container",
        "Anlagd brand i soptunna",
        "Brand i återvinningskärl",
    ],
    "brand-fordon": ["Brand i personbil på parkering", "Mopedbrand vid garage"],
    "brand-byggnad": ["Brand i förråd", "Anlagd brand i källarförråd"],
    "ordningsstorning": [
        "Högljudd samling sent på kvällen",
        "Störande musik och oväsen från bilar",
        "Smällare kastade mot förbipasserande",
        "Oro och bråk i kön utanför krog",
    ],
    "ordningsstorning-brak": [
        "Bråk mellan ungdomar",
        "Slagsmål utanför restaurang",
        "Bråk vid hållplatsen, upphörde innan polisen kom",
    ],
    "grupp": [
        "Grupp ungdomar samlas vid entrén och stör boende",
        "Grupp unga vuxna uppträder hotfullt mot förbipasserande",
        "Ungdomar samlas i trapphus",
        "Grupp på mopeder samlas vid centrum",
        "Samling kring bilar på parkeringen",
    ],
    "narkotika": [
        "Lukt av cannabis i trapphus",
        "Misstänkt narkotikaanvändning i parken",
        "Tomt narkotikaemballage påträffat",
        "Unga som verkar påverkade",
    ],
    "narkotika-langning": [
        "Misstänkt försäljning vid busshållplats",
        "Återkommande misstänkt langning från bil",
        "Misstänkt langning nära skolan",
    ],
    "alkohol": [
        "Berusade ungdomar",
        "Kraftigt berusad person, ambulans tillkallad",
        "Misstänkt langning av alkohol till minderåriga",
        "Drickande vid lekplatsen",
    ],
    "hot-vald-hot": [
        "Hot mot förbipasserande",
        "Verbala hot mot väktare",
        "Hotfull stämning mot personal i butik",
    ],
    "hot-vald-misshandel": [
        "Misshandel utanför krog",
        "Person slagen vid hållplats",
        "Misshandel i samband med bråk",
    ],
    "hot-vald-ran": ["Rån av mobiltelefon", "Personrån mot ungdom"],
    "hot-vald-vapen": ["Uppgift om person med kniv", "Misstänkt skottlossning, ingen skadad"],
    "stold-inbrott-stold": [
        "Snatteri i butik",
        "Stöld av cykel",
        "Stöld ur bil",
        "Stöld av arbetsmaterial",
    ],
    "stold-inbrott-inbrott": [
        "Inbrott i källarförråd",
        "Inbrott i cykelrum",
        "Inbrott i förråd på gården",
    ],
    "trafik-buskorning": [
        "Buskörning med moped på gångvägen",
        "Bilar kör i hög fart runt parkeringen",
        "Buskörning med A-traktorer",
        "Mopeder kör på skolgården",
    ],
    "personal": [
        "Elev hotar personal",
        "Personal utsatt för glåpord och hot",
        "Personal knuffad vid ingripande i konflikt",
    ],
    "arrangemang": [
        "Match med förhöjd risk för oro",
        "Stort evenemang i centrum, mycket folk i rörelse",
    ],
}


# ---------------------------------------------------------------------------------------------
def _school_holiday(d: date) -> bool:
    md = (d.month, d.day)
    week = d.isocalendar().week
    return (
        (6, 12) <= md <= (8, 18)  # summer
        or md >= (12, 21)
        or md <= (1, 7)  # Christmas
        or week in (9, 44)  # sportlov, höstlov
    )


def _season(d: date) -> dict[str, float]:
    doy = d.timetuple().tm_yday
    summer = 1 + 0.5 * math.cos(2 * math.pi * (doy - 196) / 365.25)
    beach = max(0.03, 1 + 0.97 * math.cos(2 * math.pi * (doy - 196) / 365.25)) ** 2
    dark = 1 + 0.85 * math.cos(2 * math.pi * (doy - 355) / 365.25)
    md = (d.month, d.day)
    # the school year ends on the Friday between 8 and 14 June (and that Saturday)
    school_end = d.month == 6 and (
        (8 <= d.day <= 14 and d.weekday() == 4) or (9 <= d.day <= 15 and d.weekday() == 5)
    )
    festive = {(4, 30): 2.5, (5, 1): 1.5, (12, 31): 2.0}.get(md, 1.0) * (2.0 if school_end else 1)
    fire = (1 + 0.3 * (summer - 1)) * {
        (12, 31): 40.0,
        (1, 1): 10.0,
        (12, 30): 2.0,
        (1, 2): 1.5,
        (4, 30): 25.0,
        (5, 1): 4.0,
    }.get(md, 1.0)
    return {
        "flat": 1.0,
        "summer": summer * festive,
        "beach": beach * festive,
        "dark": dark,
        "fire": fire,
        "school": 0.0 if _school_holiday(d) else 1.0,
    }


@dataclass
class _Pool:
    label: str | None
    lon: np.ndarray
    lat: np.ndarray
    e: np.ndarray
    n: np.ndarray


def _pools(areas: dict[str, Area]) -> dict[str, _Pool]:
    """Candidate points per place, all inside a demo area (deterministic, independent of the
    date). The hot spot's points lie inside its area."""
    shapes = {name: to_sweref(shape(a.geometry)) for name, a in areas.items()}
    everywhere = shapely.union_all(list(shapes.values()))
    urban = shapely.union_all([shapes[n] for n in URBAN if n in shapes])
    for g in (everywhere, urban, shapes[HOTSPOT_AREA]):
        shapely.prepare(g)
    pools = {}
    for i, (key, (label, lon, lat, sd)) in enumerate(PLACES.items()):
        rng = np.random.default_rng([SEED, 1000 + i])
        if key == "urban":
            inside = urban
            x0, y0, x1, y1 = urban.bounds
            e = rng.uniform(x0, x1, POOL_SIZE * 6)
            n = rng.uniform(y0, y1, POOL_SIZE * 6)
        else:
            inside = shapes[HOTSPOT_AREA] if key == "granlo" else everywhere
            ce, cn = wgs84_to_sweref(lon, lat)
            e = rng.normal(ce, sd, POOL_SIZE * 2)
            n = rng.normal(cn, sd, POOL_SIZE * 2)
        keep = shapely.contains_xy(inside, e, n)
        e, n = e[keep][:POOL_SIZE], n[keep][:POOL_SIZE]
        plon, plat = sweref_to_wgs84(e, n)
        plon, plat = np.round(plon, 7), np.round(plat, 7)
        e, n = wgs84_to_sweref(plon, plat)  # as location.resolve() stores them
        pools[key] = _Pool(label, plon, plat, np.round(e, 2), np.round(n, 2))
    return pools


@dataclass
class _Row:
    source_id: str
    organisation: str
    category: str
    start: datetime
    end: datetime | None
    place: str
    index: int
    area_only: bool
    count: int
    description: str


def _make(u, sid: str, stream: Stream, day: date, place: str, pools, tz) -> _Row:
    """One report from nine uniform numbers ``u``: when, how many, where, which text. (The
    ninth, ``u[8]``, picked the place.)"""
    if u[0] < stream.interval_share:  # found in the morning: happened the evening or night before
        eve = day - timedelta(days=1)
        start = datetime(eve.year, eve.month, eve.day, 17 + int(u[1] * 6), tzinfo=tz)
        end = datetime(day.year, day.month, day.day, 6 + int(u[2] * 3), tzinfo=tz)
    else:
        wd, we, _dow = _SLOTS[stream.timing]
        late = day.weekday() in (4, 5) or (day.month, day.day) in ((12, 31), (4, 30))
        slot = bisect(we if late else wd, u[1])
        start = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(
            hours=slot, minutes=5 * int(u[2] * 12)
        )  # wall-clock arithmetic: slots 24–29 are the next morning
        end = None
    count = 1
    if u[3] < stream.multi_share:
        count = 2 + int(u[4] * (stream.multi_max - 1))
    texts = DESCRIPTIONS[stream.category]
    return _Row(
        source_id=sid,
        organisation=stream.organisation,
        category=stream.category,
        start=start,
        end=end,
        place=place,
        index=int(u[5] * len(pools[place].lon)),
        area_only=bool(u[6] < AREA_ONLY_SHARE) and place != "granlo",
        count=count,
        description=texts[int(u[7] * len(texts))],
    )


HOTSPOT_STREAMS = [
    Stream(org, cat, 0.0, "evening", "flat", {"granlo": 1.0}) for org, cat, _ in HOTSPOT
]
HOTSPOT_CUM = _cumulative([w for *_x, w in HOTSPOT])


def generate(today: date, pools: dict[str, _Pool]) -> list[_Row]:
    """The synthetic reports for the DAYS days before ``today``. Each day's reports depend only
    on that date (and, for the hot spot, on its distance to ``today``), so a run on a later
    day reproduces the days it shares with an earlier run."""
    tz = timezone.get_default_timezone()
    cutoff = datetime(today.year, today.month, today.day, tzinfo=tz)
    rates = np.array([s.rate for s in STREAMS])
    rows: list[_Row] = []
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        weekday = day.weekday()
        rng = np.random.default_rng([SEED, day.toordinal()])
        season = _season(day)
        factors = np.array([season[s.season] * _SLOTS[s.timing][2][weekday] for s in STREAMS])
        counts = rng.poisson(rates * factors)
        uniforms = rng.random((int(counts.sum()), 9)).tolist()
        k = 0
        for stream, n in zip(STREAMS, counts.tolist(), strict=True):
            for _ in range(n):
                u = uniforms[k]
                k += 1
                sid = f"{DEMO_PREFIX}{day:%Y%m%d}-{k:03d}"
                rows.append(_make(u, sid, stream, day, stream.place(u[8]), pools, tz))
        # the emerging hot spot: a trickle, then a rise over the last eight weeks
        hrng = np.random.default_rng([SEED, 7, day.toordinal()])
        rate = 0.01 if offset > HOTSPOT_DAYS else 0.3 + 0.9 * (1 - offset / HOTSPOT_DAYS)
        n = int(hrng.poisson(rate * _SLOTS["evening"][2][weekday]))
        for j, u in enumerate(hrng.random((n, 9)).tolist(), start=1):
            stream = HOTSPOT_STREAMS[bisect(HOTSPOT_CUM, u[8])]
            sid = f"{DEMO_PREFIX}hs-{day:%Y%m%d}-{j:02d}"
            rows.append(_make(u, sid, stream, day, "granlo", pools, tz))
    return [r for r in rows if (r.end or r.start) < cutoff]


# ---------------------------------------------------------------------------------------------
@transaction.atomic
def load_synthetic(*, today: date | None = None) -> dict:
    """Insert the generated partner reports that are not there yet."""
    t0 = time.monotonic()
    today = today or date.today()
    sundsvall = Municipality.objects.select_related("county").get(code=DEMO_CODE)
    all_areas = list(Area.objects.filter(municipality=sundsvall))
    demo_areas = {a.name: a for a in all_areas if a.name in {name for name, *_ in AREAS}}
    orgs = {
        o.name: o
        for o in Organisation.objects.filter(
            municipality=sundsvall, name__in={s.organisation for s in STREAMS}
        )
    }
    missing = ({name for name, *_ in AREAS} - set(demo_areas)) | (
        {s.organisation for s in STREAMS} - set(orgs)
    )
    if missing:
        raise RuntimeError(
            f"Demo areas or organisations are missing ({', '.join(sorted(missing))}); "
            "run load_demo() first."
        )
    if not Category.objects.filter(municipality__isnull=True).exists():  # a flushed database
        load_default_categories(Category, PoliceTypeMapping)
    categories = {c.code: c for c in Category.objects.filter(municipality__isnull=True)}

    pools = _pools(demo_areas)
    rows = generate(today, pools)
    existing = set(
        Incident.objects.filter(
            municipality=sundsvall, source=Source.IMPORT, source_id__startswith=DEMO_PREFIX
        ).values_list("source_id", flat=True)
    )
    review_before = timezone.now() - timedelta(days=14)
    area_cache: dict[tuple[str, int], Area | None] = {}
    new = []
    for r in rows:
        if r.source_id in existing:
            continue
        pool = pools[r.place]
        key = (r.place, r.index)
        if key not in area_cache:
            area_cache[key] = area_at(
                sundsvall, float(pool.lat[r.index]), float(pool.lon[r.index]), areas=all_areas
            )
        area = area_cache[key]
        label = pool.label or (area.name if area else "Sundsvall")
        spots = SPOTS
        if r.organisation in SCHOOLS:
            label, spots = r.organisation, SCHOOL_SPOTS
        spot = spots[r.index % len(spots)]
        point = not r.area_only
        new.append(
            Incident(
                municipality=sundsvall,
                county=sundsvall.county,
                category=categories[r.category],
                occurred_from=r.start,
                occurred_to=r.end,
                lat=float(pool.lat[r.index]) if point else None,
                lon=float(pool.lon[r.index]) if point else None,
                sweref_e=float(pool.e[r.index]) if point else None,
                sweref_n=float(pool.n[r.index]) if point else None,
                area=area,
                place_description=f"{label}, {spot}" if point else f"{label} (området)",
                description=r.description,
                count=r.count,
                reporting_organisation=orgs[r.organisation],
                source=Source.IMPORT,
                source_id=r.source_id,
                status=Status.REVIEWED if r.start < review_before else Status.NEW,
            )
        )
    Incident.objects.bulk_create(new, batch_size=BATCH)
    if new:
        with acting_as(label="brygga demo"):
            log_action(
                event_type="demo_incidents_loaded",
                subject=sundsvall,
                details={
                    "created": len(new),
                    "first": min(r.start for r in rows).date().isoformat(),
                    "last": max(r.start for r in rows).date().isoformat(),
                    "seed": SEED,
                },
            )
    return {
        "generated": len(rows),
        "created": len(new),
        "existing": len(rows) - len(new),
        "first": min(r.start for r in rows).date() if rows else None,
        "last": max(r.start for r in rows).date() if rows else None,
        "seconds": round(time.monotonic() - t0, 2),
    }


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


def load_incident_demo(*, today: date | None = None) -> dict:
    """The demo incidents: generated partner reports from the demo organisations and the real
    police events for Västernorrlands län. Idempotent; returns the counts."""
    return {"synthetic": load_synthetic(today=today), "police": load_police()}
