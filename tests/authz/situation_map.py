"""Expectations for the lägesbild's map: the page and its GeoJSON layers are for every member of
the municipality (aggregated cells and areas, and the police's public events); the API's
hot-spot and area layers for every signed-in user of the municipality."""

from . import api, members_page

EXPECTED: dict[str, dict] = {
    "situation:map": members_page(),
    "situation:map_areas": members_page(),
    "situation:map_hotspots": members_page(),
    "situation:map_density": members_page(),
    "situation:map_police": members_page(),
    "api:situation-hotspots": api(s404=["outsider"]),
    "api:situation-areas": api(s404=["outsider"]),
}


def objects(world) -> dict:
    return {}
