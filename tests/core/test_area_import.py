"""Importing areas from GIS files: real Shapefiles, GeoPackages and GeoJSON written in the
test with pyogrio, imported into Sundsvall (2281) through the service and the command."""

from __future__ import annotations

import json
import zipfile
from io import StringIO

import numpy as np
import pytest
import shapely
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from pyogrio import raw
from pyproj import Transformer
from shapely.geometry import Polygon, box, shape

from brygga.audit.models import AuditEvent
from brygga.core.access import SystemActor
from brygga.core.geo import to_sweref
from brygga.core.gis import GisError, read_gis_file
from brygga.core.models import Area, AreaLayer, LayerKind
from brygga.core.services import NewLayer, import_areas

# SWEREF 99 TM (EPSG:3006), inside Sundsvall around the city centre.
SKONSBERG = box(615000, 6917000, 617000, 6919000)  # 4 km²
NORRMALM = Polygon(
    [(617500, 6920000), (619500, 6920000), (619500, 6921500), (618500, 6922500), (617500, 6921500)]
)
BOWTIE = Polygon([(620000, 6915000), (622000, 6917000), (622000, 6915000), (620000, 6917000)])
TIMRA = box(618500, 6929500, 620500, 6931500)  # Timrå, beyond the boundary
NAMES = ["Skönsberg", "Norrmalm Åkervägen", "Ärtviken", "Timrå centrum"]
GEOMS = [SKONSBERG, NORRMALM, BOWTIE, TIMRA]


def write(path, geoms, fields: dict, *, crs="EPSG:3006", driver=None, encoding=None, layer=None):
    wkb = np.array([shapely.to_wkb(g) for g in geoms], dtype=object)
    data = [np.array(v, dtype=object) for v in fields.values()]
    kwargs = {"encoding": encoding} if encoding else {}
    raw.write(
        str(path),
        wkb,
        data,
        fields=list(fields),
        crs=crs,
        geometry_type="Polygon",
        driver=driver,
        layer=layer,
        **kwargs,
    )


def zip_shapefile(tmp_path, stem="omraden", parts=("shp", "shx", "dbf", "prj", "cpg")):
    out = tmp_path / f"{stem}.zip"
    with zipfile.ZipFile(out, "w") as z:
        for ext in parts:
            if (tmp_path / f"{stem}.{ext}").exists():
                z.write(tmp_path / f"{stem}.{ext}", f"{stem}/{stem}.{ext}")
    return out


@pytest.fixture
def shapefile(tmp_path):
    write(
        tmp_path / "omraden.shp",
        GEOMS,
        {"NAMN": NAMES, "KOD": ["S1", "S2", "S3", "S4"]},
        driver="ESRI Shapefile",
        encoding="cp1252",
    )
    assert (tmp_path / "omraden.cpg").read_text().upper() in ("CP1252", "1252")
    assert b"Sk\xf6nsberg" in (tmp_path / "omraden.dbf").read_bytes()  # Windows-1252 bytes
    return zip_shapefile(tmp_path)


@pytest.fixture
def system():
    return SystemActor("test import")


def run(world, path, system, *, layer=None, name_field="NAMN", code_field="KOD", **kw):
    source = read_gis_file(path, source_layer=kw.pop("source_layer", None), crs=kw.pop("crs", None))
    return import_areas(
        actor=system,
        municipality=world.sundsvall,
        layer=layer or NewLayer("Stadsdelar", LayerKind.OWN),
        features=source,
        name_field=name_field,
        code_field=code_field,
        **kw,
    )


def km2_stored(area: Area) -> float:
    return to_sweref(shape(area.geometry)).area / 1e6


def test_shapefile_import_keeps_surface_names_and_leaves_out_what_lies_outside(
    world, shapefile, system
):
    result = run(world, shapefile, system)
    layer = AreaLayer.objects.get(municipality=world.sundsvall, name="Stadsdelar")
    areas = {a.name: a for a in Area.objects.filter(layer=layer)}
    assert set(areas) == {"Skönsberg", "Norrmalm Åkervägen", "Ärtviken"}
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert km2_stored(areas["Skönsberg"]) == pytest.approx(SKONSBERG.area / 1e6, rel=0.005)
    assert km2_stored(areas["Norrmalm Åkervägen"]) == pytest.approx(NORRMALM.area / 1e6, rel=0.005)
    assert areas["Skönsberg"].official_code == "S1"
    # the feature in Timrå is listed, not imported
    assert [(x.number, x.name) for x in result.left_out] == [(4, "Timrå centrum")]
    # the bow-tie is repaired into its two triangles (2 km² together), with a warning naming it
    assert areas["Ärtviken"].geometry["type"] == "MultiPolygon"
    assert km2_stored(areas["Ärtviken"]) == pytest.approx(2.0, rel=0.005)
    assert any("3" in w and "Ärtviken" in w for w in result.warnings)


def test_reimport_is_unchanged_and_a_changed_boundary_updates_with_history(
    world, shapefile, tmp_path, system
):
    run(world, shapefile, system)
    layer = AreaLayer.objects.get(name="Stadsdelar")
    again = run(world, shapefile, system, layer=layer)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    bigger = box(615000, 6917000, 617500, 6919000)  # Skönsberg grows to 5 km²
    changed_dir = tmp_path / "v2"
    changed_dir.mkdir()
    write(
        changed_dir / "omraden.shp",
        [bigger, NORRMALM],
        {"NAMN": ["Skönsberg", "Norrmalm Åkervägen"], "KOD": ["S1", "S2"]},
        driver="ESRI Shapefile",
        encoding="cp1252",
    )
    result = run(world, zip_shapefile(changed_dir), system, layer=layer)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.not_in_file == 1  # Ärtviken stays as it was
    area = Area.objects.get(layer=layer, official_code="S1")
    assert km2_stored(area) == pytest.approx(5.0, rel=0.005)
    change = AuditEvent.objects.filter(
        object_type="core.area", object_id=str(area.pk), kind="update"
    ).last()
    assert change is not None and "geometry" in change.changes


def test_dry_run_writes_nothing(world, shapefile, system):
    before = Area.objects.count(), AreaLayer.objects.count()
    result = run(world, shapefile, system, dry_run=True)
    assert result.created == 3 and result.dry_run
    assert (Area.objects.count(), AreaLayer.objects.count()) == before


@pytest.mark.parametrize("crs", ["EPSG:3006", "EPSG:3021"])
def test_geopackage_in_sweref_and_rt90(world, tmp_path, system, crs):
    to = Transformer.from_crs("EPSG:3006", crs, always_xy=True)
    geoms = [
        shapely.transform(g, lambda xy: np.column_stack(to.transform(*xy.T)))
        for g in (SKONSBERG, NORRMALM)
    ]
    path = tmp_path / "omraden.gpkg"
    write(path, geoms, {"namn": ["Skönsberg", "Norrmalm"]}, crs=crs, driver="GPKG", layer="a")
    write(path, [TIMRA], {"namn": ["Annat"]}, crs=crs, driver="GPKG", layer="b")
    with pytest.raises(GisError) as err:
        read_gis_file(path)
    assert "a, b" in err.value.message  # several layers: they are named
    result = run(world, path, system, name_field="namn", code_field="", source_layer="a")
    assert result.created == 2
    area = Area.objects.get(name="Skönsberg")
    assert km2_stored(area) == pytest.approx(4.0, rel=0.005)


def test_geojson_with_a_crs_member(world, tmp_path, system):
    feature = {
        "type": "Feature",
        "properties": {"name": "Skönsberg"},
        "geometry": shapely.geometry.mapping(SKONSBERG),
    }
    path = tmp_path / "omraden.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
                "features": [feature],
            }
        ),
        encoding="utf-8",
    )
    result = run(world, path, system, name_field="name", code_field="")
    assert result.created == 1
    assert km2_stored(Area.objects.get(name="Skönsberg")) == pytest.approx(4.0, rel=0.005)


def test_deso_layer_takes_only_the_municipalitys_codes(world, tmp_path, system):
    write(
        tmp_path / "deso.shp",
        [SKONSBERG, NORRMALM, TIMRA],
        {"deso": ["2281C1010", "2281C1020", "2262C1010"]},
        driver="ESRI Shapefile",
    )
    source = read_gis_file(zip_shapefile(tmp_path, "deso"))
    result = import_areas(
        actor=system,
        municipality=world.sundsvall,
        layer=NewLayer("DeSO", LayerKind.DESO),
        features=source,
        name_field="deso",
        code_field="deso",
    )
    assert result.created == 2
    assert [(x.number, x.name) for x in result.other_municipalities] == [(3, "2262C1010")]
    assert set(Area.objects.filter(layer__kind="deso").values_list("official_code", flat=True)) == {
        "2281C1010",
        "2281C1020",
    }


def test_a_missing_name_field_lists_the_fields(world, shapefile, system):
    with pytest.raises(ValidationError) as err:
        run(world, shapefile, system, name_field="OMRADE")
    message = " ".join(err.value.messages)
    assert "omraden.zip" in message and "OMRADE" in message and "NAMN, KOD" in message
    assert not AreaLayer.objects.filter(name="Stadsdelar").exists()


def test_a_line_refuses_the_whole_file_naming_the_feature(world, tmp_path, system):
    path = tmp_path / "mixed.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"namn": "Centrum"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[17.29, 62.385], [17.32, 62.385], [17.32, 62.397], [17.29, 62.385]]
                            ],
                        },
                    },
                    {
                        "type": "Feature",
                        "properties": {"namn": "Gatan"},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[17.3, 62.39], [17.31, 62.39]],
                        },
                    },
                ],
            }
        )
    )
    with pytest.raises(ValidationError) as err:
        run(world, path, system, name_field="namn", code_field="")
    assert "Gatan" in err.value.messages[0] and "LineString" in err.value.messages[0]
    assert not Area.objects.filter(name="Centrum", layer__name="Stadsdelar").exists()


def test_broken_inputs_get_clear_messages(world, tmp_path, shapefile):
    not_gis = tmp_path / "anteckning.geojson"
    not_gis.write_text("hej")
    with pytest.raises(GisError) as err:
        read_gis_file(not_gis)
    assert "anteckning.geojson" in err.value.message and ".gpkg" in err.value.message

    empty_zip = tmp_path / "tom.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.txt", "inget")
    with pytest.raises(GisError) as err:
        read_gis_file(empty_zip)
    assert "tom.zip" in err.value.message and "readme.txt" in err.value.message

    no_prj = zip_shapefile(tmp_path, parts=("shp", "shx", "dbf", "cpg"))
    with pytest.raises(GisError) as err:
        read_gis_file(no_prj)
    assert ".prj" in err.value.message and "--crs" in err.value.message
    # naming the coordinate system reads it
    assert len(read_gis_file(no_prj, crs="3006")) == 4

    empty = tmp_path / "tom.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(GisError) as err:
        read_gis_file(empty)
    assert "tom.geojson" in err.value.message


def test_metres_read_as_degrees_ask_for_the_coordinate_system(tmp_path):
    path = tmp_path / "utan-crs.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"namn": "x"},
                        "geometry": shapely.geometry.mapping(SKONSBERG),
                    }
                ],
            }
        )
    )
    with pytest.raises(GisError) as err:
        read_gis_file(path)
    assert "EPSG:3006" in err.value.message


def test_command_imports_guesses_fields_and_exits_non_zero_on_refusal(world, shapefile):
    out, err = StringIO(), StringIO()
    call_command(
        "import-areas",
        str(shapefile),
        "--municipality",
        "2281",
        "--layer",
        "Stadsdelar",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert "NAMN" in text  # says which field named the areas
    assert "Timrå centrum" in text  # lists the left-out feature
    assert Area.objects.filter(layer__name="Stadsdelar").count() == 3
    assert AreaLayer.objects.get(name="Stadsdelar").kind == LayerKind.OWN
    with pytest.raises(CommandError):
        call_command(
            "import-areas",
            str(shapefile),
            "--municipality",
            "2281",
            "--layer",
            "Stadsdelar",
            "--name-field",
            "SAKNAS",
            stdout=StringIO(),
            stderr=StringIO(),
        )


def _geojson(tmp_path, features):
    path = tmp_path / "delar.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:3006"}},
                "features": [
                    {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
                    for p, g in features
                ],
            }
        )
    )
    return path


def test_parts_with_the_same_code_merge_and_different_names_refuse(world, tmp_path, system):
    island = box(618000, 6916000, 618500, 6916500)
    path = _geojson(
        tmp_path,
        [
            ({"namn": "Skönsberg", "kod": "S1"}, SKONSBERG),
            ({"namn": "Skönsberg", "kod": "S1"}, island),
        ],
    )
    result = run(world, path, system, name_field="namn", code_field="kod")
    assert result.created == 1 and any("1, 2" in w for w in result.warnings)
    area = Area.objects.get(official_code="S1", layer__name="Stadsdelar")
    assert area.geometry["type"] == "MultiPolygon"
    assert km2_stored(area) == pytest.approx(4.25, rel=0.005)

    clash = _geojson(
        tmp_path,
        [
            ({"namn": "Skönsberg", "kod": "S9"}, SKONSBERG),
            ({"namn": "Bosvedjan", "kod": "S9"}, island),
        ],
    )
    with pytest.raises(ValidationError) as err:
        run(world, clash, system, name_field="namn", code_field="kod", layer=area.layer)
    assert "S9" in err.value.messages[0] and "Bosvedjan" in err.value.messages[0]


def test_a_shp_path_with_its_sidecars_and_a_wrong_cpg(world, tmp_path, shapefile):
    source = read_gis_file(tmp_path / "omraden.shp")  # the files beside it, not zipped
    assert [f.properties["NAMN"] for f in source][:2] == ["Skönsberg", "Norrmalm Åkervägen"]
    assert source.crs == "EPSG:3006" and not source.warnings
    # a .cpg that says UTF-8 over Windows-1252 bytes: read as Windows-1252, with a warning
    (tmp_path / "omraden.cpg").write_text("UTF-8")
    source = read_gis_file(tmp_path / "omraden.shp")
    assert source.features[0].properties["NAMN"] == "Skönsberg"
    assert source.warnings and "omraden.shp" in source.warnings[0]
    # without its .dbf a Shapefile is refused, naming what is missing
    (tmp_path / "omraden.dbf").unlink()
    with pytest.raises(GisError) as err:
        read_gis_file(tmp_path / "omraden.shp")
    assert ".dbf" in err.value.message
