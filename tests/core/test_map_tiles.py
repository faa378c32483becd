"""The background map: OpenStreetMap's tiles by default, allowed by the Content Security Policy,
and off when MAP_TILE_URL is set to the empty string. The settings are read in a fresh process
with a controlled environment (they are computed once, at import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
READ = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'url': s.MAP_TILE_URL, 'attribution': s.MAP_TILE_ATTRIBUTION, "
    "'origins': s.MAP_TILE_ORIGINS, 'max_zoom': s.MAP_TILE_MAX_ZOOM, "
    "'img_src': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']}))"
)


def read_settings(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAP_TILE_")}
    base["DJANGO_SETTINGS_MODULE"] = "brygga.config.settings.base"
    result = subprocess.run(
        [sys.executable, "-c", READ],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_default_is_openstreetmap_with_attribution_and_csp():
    s = read_settings()
    assert s["url"] == OSM
    assert "OpenStreetMap-bidragsgivare" in s["attribution"]
    assert 'href="https://www.openstreetmap.org/copyright"' in s["attribution"]
    assert s["origins"] == ["https://tile.openstreetmap.org"]
    assert "https://tile.openstreetmap.org" in s["img_src"]
    assert s["max_zoom"] == 19


def test_an_empty_tile_url_turns_the_background_off():
    s = read_settings(MAP_TILE_URL="")
    assert s["url"] == ""
    assert s["attribution"] == ""
    assert s["origins"] == []
    assert s["img_src"] == ["'self'", "data:"]


def test_an_own_tile_server_is_allowed_without_openstreetmaps_attribution():
    s = read_settings(MAP_TILE_URL="https://tiles.kommun.se/{z}/{x}/{y}.png")
    assert s["origins"] == ["https://tiles.kommun.se"]
    assert "https://tiles.kommun.se" in s["img_src"]
    assert "https://tile.openstreetmap.org" not in s["img_src"]
    assert s["attribution"] == ""


def test_subdomain_templates_need_their_origins_listed():
    s = read_settings(
        MAP_TILE_URL="https://{s}.tiles.example.se/{z}/{x}/{y}.png",
        MAP_TILE_ORIGINS="https://a.tiles.example.se,https://b.tiles.example.se",
        MAP_TILE_ATTRIBUTION="© Example",
        MAP_TILE_MAX_ZOOM="15",
    )
    assert s["origins"] == ["https://a.tiles.example.se", "https://b.tiles.example.se"]
    assert s["img_src"][2:] == s["origins"]
    assert s["attribution"] == "© Example"
    assert s["max_zoom"] == 15
    assert (
        read_settings(MAP_TILE_URL="https://{s}.tiles.example.se/{z}/{x}/{y}.png")["origins"] == []
    )


def _map_data(response, name: str) -> dict:
    html = response.content.decode()
    start = html.index(f'<script id="{name}" type="application/json">') + len(
        f'<script id="{name}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.mark.parametrize(
    "path, block",
    [
        ("/kommuner/2281/", "map-data"),
        ("/kommuner/2281/handelser/rapportera/", "report-map-data"),
        ("/kommuner/2281/handelser/karta/", "incident-map-data"),
    ],
)
def test_pages_send_the_tiles_and_the_policy_allows_them(client_for, path, block, settings):
    settings.MAP_TILE_URL = OSM  # as in an environment without MAP_TILE_URL
    response = client_for("coordinator").get(path)
    assert response.status_code == 200
    data = _map_data(response, block)
    assert data["tiles"]["url"] == OSM
    assert data["controls"]["zoom_in"] == "Zooma in"
    assert data["controls"]["zoom_out"] == "Zooma ut"
    policy = response.headers["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img_src
    settings.MAP_TILE_URL = ""
    assert _map_data(client_for("coordinator").get(path), block)["tiles"]["url"] == ""


def test_the_report_form_has_the_areas_and_the_boundary(client_for, world):
    data = _map_data(
        client_for("reporter").get("/kommuner/2281/handelser/rapportera/"), "report-map-data"
    )
    assert data["boundary"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {f["properties"]["name"] for f in data["areas"]["features"]} == {"Centrum", "Nacksta"}
    assert data["tolerance_m"] == 300
    assert data["labels"]["outside"].startswith("Punkten ligger utanför kommunen Sundsvall.")
    assert data["labels"]["chosen_area"] == "Vald plats: %(area)s (%(lat)s, %(lon)s)"
