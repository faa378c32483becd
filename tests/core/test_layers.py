"""Area layers and statistical area codes, as a coordinator meets them."""

import pytest
from django.core.exceptions import ValidationError

from brygga.audit.context import acting_as
from brygga.core import services
from brygga.core.access import SystemActor
from brygga.core.area_codes import code_municipality, statistical_kind
from brygga.core.models import Area, AreaLayer, LayerKind

from ..conftest import CENTRE_SQUARE

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281"
ACTOR = SystemActor("test")


@pytest.mark.parametrize(
    "code, kind, owner",
    [
        ("2281C1010", "deso", "2281"),
        (" 2281c1010 ", "deso", "2281"),
        ("1480C2590", "deso", "1480"),
        ("2281R010", "regso", "2281"),
        ("2281D1010", None, None),
        ("228C1010", None, None),
        ("Centrum", None, None),
    ],
)
def test_statistical_codes_carry_their_municipality(code, kind, owner):
    assert statistical_kind(code) == kind
    assert code_municipality(code) == owner


def test_coordinator_adds_a_layer_and_sees_its_areas(world, client_for):
    c = client_for("coordinator")
    r = c.post(
        f"{BASE}/omraden/lager/nytt/",
        {"name": "Skolupptagningsområden", "kind": "school_catchment", "description": ""},
    )
    assert r.status_code == 302
    layer = AreaLayer.objects.get(municipality=world.sundsvall, name="Skolupptagningsområden")
    assert r["Location"].endswith(f"?lager={layer.pk}")
    r = c.post(
        f"{BASE}/omraden/nytt/",
        {"name": "Västhagaskolan", "layer": layer.pk, "geometry": _json(CENTRE_SQUARE)},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    page = c.get(f"{BASE}/omraden/?lager={layer.pk}").content.decode()
    assert "Västhagaskolan" in page
    assert world.areas["centrum"].name not in page.split('id="areas-heading"')[1]
    everything = c.get(f"{BASE}/omraden/").content.decode()
    assert "Västhagaskolan" in everything and world.areas["centrum"].name in everything


def test_a_deso_code_of_another_municipality_is_refused_with_its_name(world, client_for):
    c = client_for("coordinator")
    c.post(f"{BASE}/omraden/lager/nytt/", {"name": "DeSO", "kind": "deso", "description": ""})
    layer = AreaLayer.objects.get(municipality=world.sundsvall, kind=LayerKind.DESO)
    r = c.post(
        f"{BASE}/omraden/nytt/",
        {"name": "Fel kommun", "layer": layer.pk, "official_code": "1480C2590"},
    )
    assert r.status_code == 400
    page = r.content.decode()
    assert "1480C2590" in page and "Göteborg" in page
    assert not Area.objects.filter(name="Fel kommun").exists()
    # a statistical area may be known by its code alone, until its boundary is loaded
    r = c.post(
        f"{BASE}/omraden/nytt/",
        {"name": "Centrum DeSO", "layer": layer.pk, "official_code": "2281c1010"},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    area = Area.objects.get(name="Centrum DeSO")
    assert area.official_code == "2281C1010" and area.geometry is None
    assert c.get(f"{BASE}/omraden/{area.pk}/").status_code == 200


def test_an_own_area_needs_a_boundary(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/omraden/nytt/", {"name": "Utan gräns", "layer": world.areas["centrum"].layer_id}
    )
    assert r.status_code == 400
    assert not Area.objects.filter(name="Utan gräns").exists()


def test_area_for_code_creates_a_code_only_area_once(world):
    with acting_as(label="test"):
        first = services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code="2281A0010")
        again = services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code=" 2281a0010")
        regso = services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code="2281R001")
        with pytest.raises(ValidationError, match="Göteborg"):
            services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code="1480C2590")
        with pytest.raises(ValidationError, match="Okänt"):
            services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code="Okänt")
    assert first.pk == again.pk and first.geometry is None
    assert first.layer.kind == LayerKind.DESO and regso.layer.kind == LayerKind.REGSO
    assert AreaLayer.objects.filter(municipality=world.sundsvall, kind="deso").count() == 1


def test_api_area_without_a_layer_goes_to_the_own_areas(world, client_for):
    r = client_for("coordinator").post(
        "/api/v1/areas/",
        {"municipality": "2281", "name": "Via API", "geometry": CENTRE_SQUARE},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["layer"] == world.areas["centrum"].layer_id
    assert body["layer_name"] == world.areas["centrum"].layer.name


def test_removing_a_layer_removes_its_areas(world, client_for):
    c = client_for("coordinator")
    c.post(f"{BASE}/omraden/lager/nytt/", {"name": "Tillfälligt", "kind": "other"})
    layer = AreaLayer.objects.get(name="Tillfälligt")
    c.post(
        f"{BASE}/omraden/nytt/",
        {"name": "Tillfälligt område", "layer": layer.pk, "geometry": _json(CENTRE_SQUARE)},
    )
    r = c.post(f"{BASE}/omraden/lager/{layer.pk}/ta-bort/")
    assert r.status_code == 302
    assert not AreaLayer.objects.filter(pk=layer.pk).exists()
    assert not Area.objects.filter(name="Tillfälligt område").exists()


def _json(geometry) -> str:
    import json

    return json.dumps(geometry)


def test_code_only_areas_do_not_break_finding_the_area_of_a_point(world):
    """Regression: an area without a boundary (known by its DeSO code) made the point lookup
    of the report form and the bulk imports fail on its missing geometry."""
    from brygga.core.selectors import area_lookup
    from brygga.incidents.location import PointPlacer, area_at

    with acting_as(label="test"):
        services.area_for_code(actor=ACTOR, municipality=world.sundsvall, code="2281C1010")
    centre = world.areas["centrum"]
    lon, lat = centre.centre_lon, centre.centre_lat
    assert [a.pk for a in area_lookup(world.users["viewer"], world.sundsvall, lon, lat)] == [
        centre.pk
    ]
    assert area_at(world.sundsvall, lat, lon, areas=Area.objects.all()) == centre
    *_coords, areas = PointPlacer(world.sundsvall).place([lat], [lon], [None], [None], [None])
    assert areas == [centre.pk]


def test_report_form_names_the_layer_when_there_are_several(world, client_for):
    c = client_for("coordinator")
    page = c.get(f"{BASE}/handelser/rapportera/").content.decode()
    assert f">{world.areas['centrum'].name}<" in page  # one layer: the name alone
    c.post(f"{BASE}/omraden/lager/nytt/", {"name": "Skolor", "kind": "school_catchment"})
    layer = AreaLayer.objects.get(name="Skolor")
    c.post(
        f"{BASE}/omraden/nytt/",
        {"name": "Skolan", "layer": layer.pk, "geometry": _json(CENTRE_SQUARE)},
    )
    page = c.get(f"{BASE}/handelser/rapportera/").content.decode()
    assert ">Skolan (Skolor)<" in page
    assert f">{world.areas['centrum'].name} ({world.areas['centrum'].layer.name})<" in page


def test_an_incidents_own_area_is_the_municipalitys_before_a_statistical_one(world):
    """A DeSO area inside a district is smaller, but the district stays the incident's own area
    (the report form and the lists name it); the DeSO area counts the incident through its
    placement. A point that only a DeSO area holds gets the DeSO area."""
    from brygga.incidents.location import PointPlacer, area_at

    deso = {
        "type": "Polygon",
        "coordinates": [
            [[17.30, 62.39], [17.31, 62.39], [17.31, 62.395], [17.30, 62.395], [17.30, 62.39]]
        ],
    }
    outside_districts = {
        "type": "Polygon",
        "coordinates": [
            [[17.33, 62.40], [17.34, 62.40], [17.34, 62.405], [17.33, 62.405], [17.33, 62.40]]
        ],
    }
    with acting_as(label="test"):
        layer = services.statistical_layer(actor=ACTOR, municipality=world.sundsvall, kind="deso")
        inner, lone = (
            services.area_save(
                actor=ACTOR,
                municipality=world.sundsvall,
                layer=layer,
                name=code,
                official_code=code,
                geometry=geometry,
            )
            for code, geometry in (("2281C1010", deso), ("2281C1020", outside_districts))
        )
    centre = world.areas["centrum"]
    assert area_at(world.sundsvall, 62.392, 17.305) == centre
    assert area_at(world.sundsvall, 62.402, 17.335) == lone
    *_coords, areas = PointPlacer(world.sundsvall).place(
        [62.392, 62.402], [17.305, 17.335], [None, None], [None, None], [None, None]
    )
    assert areas == [centre.pk, lone.pk]
    assert inner.pk not in areas
