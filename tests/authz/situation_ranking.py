"""Expectations for the priority areas: the ranking page and its exports are aggregates, for
every member of the municipality (the outsider gets 404)."""

from . import members_page

EXPECTED: dict[str, dict] = {
    "situation:ranking": members_page(),
    "situation:ranking_csv": members_page(),
    "situation:ranking_xlsx": members_page(),
}


def objects(world) -> dict:
    return {}
