"""Expectations for the lägesbild dashboard: the page, its exports and its API are for every
member of the municipality (aggregated counts of the incidents they may see); a user of
another municipality gets 404."""

from . import api, members_page

EXPECTED: dict[str, dict] = {
    "situation:index": members_page(),
    "situation:export_csv": members_page(),
    "situation:export_xlsx": members_page(),
    "api:situation-dashboard": api(s404=["outsider"]),
}


def objects(world) -> dict:
    return {}
