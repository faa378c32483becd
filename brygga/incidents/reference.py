"""The national default categories and police type mapping shipped with Brygga (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
FALLBACK_CATEGORY = "ovrigt"


def read_categories() -> list[dict]:
    with open(DATA_DIR / "categories.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_police_types() -> list[dict]:
    with open(DATA_DIR / "police_types.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_default_categories(Category, PoliceTypeMapping) -> tuple[int, int]:
    """Insert or update the national categories and the police type mapping."""
    by_code = {}
    for row in read_categories():
        obj, _ = Category.objects.update_or_create(
            municipality=None,
            code=row["code"],
            defaults={
                "name": row["name"],
                "description": row["description"],
                "sort_order": int(row["sort"]),
                "parent": by_code.get(row["parent"]) if row["parent"] else None,
            },
        )
        by_code[row["code"]] = obj
    n = 0
    for row in read_police_types():
        PoliceTypeMapping.objects.get_or_create(
            police_type=row["police_type"],
            defaults={
                "category": by_code[row["category"]],
                "is_summary": row["is_summary"] == "1",
                "reviewed": True,
            },
        )
        n += 1
    return len(by_code), n
