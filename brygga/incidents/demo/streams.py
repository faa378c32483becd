"""Who reports what, where and when in the demo: the places (clusters and areas), the hourly
profiles, the seasons, and one :class:`Stream` per kind of report from one organisation, plus
the emerging hot spot in Granloholm. Pure data and arithmetic, no database."""

from __future__ import annotations

import math
from bisect import bisect
from dataclasses import dataclass
from datetime import date

import numpy as np

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
SLOTS = {name: (_slots(wd), _slots(we), dow) for name, (wd, we, dow) in PROFILES.items()}


@dataclass(frozen=True)
class Stream:
    """One kind of report from one organisation: rate per day and its patterns."""

    organisation: str
    category: str
    rate: float
    timing: str  # key of PROFILES
    season: str  # see season_factors()
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

HOTSPOT_STREAMS = [
    Stream(org, cat, 0.0, "evening", "flat", {"granlo": 1.0}) for org, cat, _ in HOTSPOT
]
HOTSPOT_CUM = _cumulative([w for *_x, w in HOTSPOT])


def _school_holiday(d: date) -> bool:
    md = (d.month, d.day)
    week = d.isocalendar().week
    return (
        (6, 12) <= md <= (8, 18)  # summer
        or md >= (12, 21)
        or md <= (1, 7)  # Christmas
        or week in (9, 44)  # sportlov, höstlov
    )


def season_factors(d: date) -> dict[str, float]:
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
