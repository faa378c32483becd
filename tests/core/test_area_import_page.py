"""The upload page of the GIS import: upload → fields → preview → confirm, as a coordinator."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brygga.core.models import Area, AreaLayer

from .test_area_import import shapefile  # noqa: F401 (fixture)

URL = reverse("core:area_import", args=["2281"])


def _upload(client, path, **extra):
    upload = SimpleUploadedFile(path.name, path.read_bytes(), "application/zip")
    return client.post(URL, {"step": "upload", "file": upload, "crs": "", **extra})


def _token(response) -> str:
    return response.context["token"]


def test_upload_fields_preview_and_confirm(client_for, shapefile):  # noqa: F811
    client = client_for("coordinator")
    page = client.get(reverse("core:area_list", args=["2281"]))
    assert URL in page.content.decode()  # the link for those who may manage areas

    fields = _upload(client, shapefile)
    assert fields.status_code == 200
    text = fields.content.decode()
    assert "NAMN" in text and "Skönsberg" in text  # the fields with sample values
    choices = {
        "token": _token(fields),
        "name_field": "NAMN",
        "code_field": "KOD",
        "layer": "new",
        "new_layer_name": "Stadsdelar",
        "new_layer_kind": "own",
    }
    preview = client.post(URL, {"step": "fields", **choices})
    assert preview.status_code == 200
    result = preview.context["result"]
    assert (result.created, len(result.left_out)) == (3, 1)
    text = preview.content.decode()
    assert "Timrå centrum" in text and "Ärtviken" in text
    data = preview.context["map_data"]
    assert {f["properties"]["name"] for f in data["areas"]["features"]} == {
        "Skönsberg",
        "Norrmalm Åkervägen",
        "Ärtviken",
    }
    assert not AreaLayer.objects.filter(name="Stadsdelar").exists()  # a preview writes nothing

    done = client.post(URL, {"step": "confirm", **choices})
    layer = AreaLayer.objects.get(name="Stadsdelar")
    assert done.status_code == 302
    assert done["Location"] == reverse("core:area_list", args=["2281"]) + f"?lager={layer.pk}"
    assert Area.objects.filter(layer__name="Stadsdelar").count() == 3
    # the stored upload is gone with the session's entry: the token no longer works
    again = client.post(URL, {"step": "confirm", **choices})
    assert again.status_code == 302 and again["Location"] == URL


def test_a_wrong_field_shows_the_problem_and_imports_nothing(client_for, shapefile):  # noqa: F811
    client = client_for("coordinator")
    token = _token(_upload(client, shapefile))
    response = client.post(
        URL,
        {
            "step": "fields",
            "token": token,
            "name_field": "KOD",
            "code_field": "KOD",
            "layer": "new",
            "new_layer_name": "DeSO",
            "new_layer_kind": "deso",
        },
    )
    assert response.status_code == 400
    assert any("S1" in p and "KOD" in p for p in response.context["problems"])
    assert not AreaLayer.objects.filter(name="DeSO").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("omraden.geojson", b"hej"), ("omraden.zip", b"PK\x03\x04 trasig"), ("karta.pdf", b"%PDF")],
)
def test_broken_files_get_a_message_not_a_server_error(client_for, name, content):
    client = client_for("coordinator")
    upload = SimpleUploadedFile(name, content)
    response = client.post(URL, {"step": "upload", "file": upload})
    assert response.status_code == 400
    assert name in " ".join(response.context["form"].errors["file"])


def test_another_users_token_is_no_key(client_for, shapefile):  # noqa: F811
    token = _token(_upload(client_for("coordinator"), shapefile))
    response = client_for("municipal_admin").post(URL, {"step": "confirm", "token": token})
    assert response.status_code == 302 and response["Location"] == URL
