"""The Swedish interface holds no English: every page in Swedish is free of the English
messages that Django, DRF, django-otp and Leaflet bring with them, and the Swedish catalogues
have no untranslated or fuzzy entries."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

import brygga

from .test_authz_matrix import kwargs_for, walk

LOCALE = Path(brygga.__file__).parent / "locale" / "sv" / "LC_MESSAGES"

# English that a library puts on a page unless Brygga translates or replaces it.
ENGLISH = [
    "Invalid token",
    "Please enter your OTP token",
    "OTP device",
    "No Incident matches",
    "matches the given query",
    "This field is required",
    "Enter a valid",
    "Select a valid choice",
    "Ensure this value",
    "Not found",
    "Page not found",
    "Zoom in",
    "Zoom out",
    "You do not have permission",
    "Authentication credentials",
    "Number of results to return",
    "The initial index from which",
    "A unique integer value identifying",
    "The pagination cursor value",
    "Every queryset comes from",
    "Incidents visible to you",
]

# Actors whose pages together reach every page (the outsider sees Sundsvall's 404s, the
# anonymous visitor the sign-in redirects and the API's 401/403).
ACTORS = ["anon", "viewer", "analyst", "coordinator", "municipal_admin", "system_admin", "outsider"]


def english_in(text: str) -> list[str]:
    return [s for s in ENGLISH if s in text]


def _text(response) -> str:
    if response.get("Content-Type", "").split(";")[0] not in ("text/html", "application/json"):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


@pytest.fixture
def swedish(settings):
    settings.LANGUAGE_CODE = "sv"


@pytest.fixture
def i18n_world(world):
    from .test_authz_matrix import _modules

    world.matrix_objects = {}
    for module in _modules():
        world.matrix_objects.update(module.objects(world))
    return world


@pytest.mark.parametrize("actor", ACTORS)
def test_every_page_in_swedish_has_no_english_messages(actor, i18n_world, client_for, swedish):
    client = client_for(actor)
    found = []
    for name, params in walk():
        url = reverse(name, kwargs=kwargs_for(name, params, i18n_world))
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        hits = english_in(_text(response))
        if hits:
            found.append(f"{actor} GET {url} ({response.status_code}): {hits}")
    assert not found, "\n".join(found)


def test_a_missing_api_object_is_not_found_in_swedish(world, client_for, swedish):
    r = client_for("coordinator").get("/api/v1/incidents/999999/", HTTP_ACCEPT_LANGUAGE="sv")
    assert r.status_code == 404
    assert r.json() == {"detail": "Det finns inget sådant objekt, eller så får du inte se det."}
    assert not english_in(r.content.decode())


def test_a_wrong_code_is_refused_in_swedish(world, client, swedish):
    user = world.users["coordinator"]
    client.force_login(user)  # the password step only: the second factor is still due
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    r = client.post(
        reverse("account:otp_verify"),
        {"otp_device": device.persistent_id, "otp_token": "000000"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert r.status_code == 400
    text = r.content.decode()
    assert "Koden är fel eller har gått ut" in text
    assert not english_in(text)


def test_form_errors_of_the_list_are_swedish(world, client_for, swedish):
    r = client_for("coordinator").get(
        "/kommuner/2281/handelser/?date_from=igår&area=999999", HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert r.status_code == 200 and r.context["filter"].errors
    assert not english_in(r.content.decode())


def test_the_checker_finds_english():
    # the page test would pass on anything if the list never matched
    assert english_in("<p>Invalid token. Please make sure…</p>") == ["Invalid token"]
    assert english_in('{"detail":"No Incident matches the given query."}') == [
        "No Incident matches",
        "matches the given query",
    ]


def _catalogues() -> list[Path]:
    return [p for p in (LOCALE / "django.po", LOCALE / "djangojs.po") if p.exists()]


def catalogue_problems(path: Path) -> list[str]:
    po = polib.pofile(str(path))
    out = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    out += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    for e in po.translated_entries():
        if e.msgid_plural and not all(e.msgstr_plural.values()):
            out.append(f"plural form missing: {e.msgid!r}")
    return out


def test_swedish_catalogues_are_complete():
    paths = _catalogues()
    assert LOCALE / "django.po" in paths
    problems = [f"{p.name}: {x}" for p in paths for x in catalogue_problems(p)]
    assert not problems, "\n".join(problems)


def test_the_catalogue_check_finds_gaps(tmp_path):
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Filter", msgstr=""))
    po.append(polib.POEntry(msgid="Search", msgstr="Sök", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Clear", msgstr="Rensa"))
    path = tmp_path / "django.po"
    po.save(str(path))
    assert catalogue_problems(path) == ["untranslated: 'Filter'", "fuzzy: 'Search'"]
