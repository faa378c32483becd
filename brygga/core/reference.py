"""Swedish reference geography shipped with Brygga: 21 counties, 290 municipalities with
boundaries, and population (SCB, November 2024). Provenance: docs/DATA_SOURCES.md.

``load_reference_geography`` is idempotent: it inserts what is missing and updates names,
boundaries and population of what exists. It runs in a data migration and through
``brygga load-reference``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from shapely.geometry import shape

DATA_DIR = Path(__file__).resolve().parent / "data"
POPULATION_YEAR = 2024


def _round_coords(obj, ndigits: int = 6):
    if isinstance(obj, list):
        return [_round_coords(x, ndigits) for x in obj]
    if isinstance(obj, float):
        return round(obj, ndigits)
    return obj


def _bounds(geometry: dict) -> dict:
    geom = shape(geometry)
    minx, miny, maxx, maxy = geom.bounds
    p = geom.centroid if geom.centroid.within(geom) else geom.representative_point()
    return {
        "min_lon": round(minx, 7),
        "min_lat": round(miny, 7),
        "max_lon": round(maxx, 7),
        "max_lat": round(maxy, 7),
        "centre_lon": round(p.x, 7),
        "centre_lat": round(p.y, 7),
    }


def read_counties() -> list[dict]:
    names = {}
    with open(DATA_DIR / "county_names.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names[row["code"]] = row["name"]
    geo = json.loads((DATA_DIR / "counties.geojson").read_text(encoding="utf-8"))
    out = []
    for feat in geo["features"]:
        code = f"{int(feat['properties']['l_id']):02d}"
        out.append(
            {
                "code": code,
                "name": names[code],
                "boundary": {
                    "type": feat["geometry"]["type"],
                    "coordinates": _round_coords(feat["geometry"]["coordinates"]),
                },
            }
        )
    return sorted(out, key=lambda c: c["code"])


def read_municipalities() -> list[dict]:
    population = {}
    with open(DATA_DIR / "population_2024.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            population[row["kommun_kod"].zfill(4)] = int(row["population"])
    geo = json.loads((DATA_DIR / "municipalities.geojson").read_text(encoding="utf-8"))
    out = []
    for feat in geo["features"]:
        props = feat["properties"]
        code = str(props["id"]).zfill(4)
        boundary = {
            "type": feat["geometry"]["type"],
            "coordinates": _round_coords(feat["geometry"]["coordinates"]),
        }
        out.append(
            {
                "code": code,
                "name": props["kom_namn"],
                "county_code": props["lan_code"].zfill(2),
                "population": population.get(code),
                "boundary": boundary,
                **_bounds(boundary),
            }
        )
    return sorted(out, key=lambda m: m["code"])


def load_reference_geography(County, Municipality) -> tuple[int, int]:
    """Insert or update counties and municipalities; returns (counties, municipalities)."""
    counties = {}
    for c in read_counties():
        obj, _ = County.objects.update_or_create(
            code=c["code"], defaults={"name": c["name"], "boundary": c["boundary"]}
        )
        counties[c["code"]] = obj
    n = 0
    for m in read_municipalities():
        defaults = {k: v for k, v in m.items() if k not in ("code", "county_code")}
        defaults["county"] = counties[m["county_code"]]
        defaults["population_year"] = POPULATION_YEAR if m["population"] else None
        Municipality.objects.update_or_create(code=m["code"], defaults=defaults)
        n += 1
    return len(counties), n
