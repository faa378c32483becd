"""The mapping page's guesses through the real pages (upload → mapping → import): a file with a
date column and a time column, category suggestions to confirm, the preselected reporting
organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings

from brygga.core.models import Role
from brygga.incidents.models import ImportJob, Incident

from ..core.factories import MembershipFactory
from .importing import BASE, upload

pytestmark = pytest.mark.usefixtures("default_categories")
STHLM = ZoneInfo("Europe/Stockholm")

DATUM_TID = (
    "datum,tid,kategori,lat,lon,plats\n"
    "2024-03-05,21:15,Klotter,62.3908,17.3069,Torget\n"
    "2024-03-06,08:05,Skadegörelser,62.391,17.305,Parken\n"
    "2024-07-01,12:00,klottret,62.3908,17.3069,Stationen\n"
    "5.8.2024,23:59,SKADEGÖRELSE,62.391,17.305,Hamnen\n"
)


def as_shown(page) -> dict:
    """What the browser submits when the user accepts the mapping page as it is shown."""
    form = page.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value not in (None, ""):
            data[name] = value
    return data


def start_as_shown(client, job, **changes):
    page = client.get(f"{BASE}{job.pk}/kolumner/")
    assert page.status_code == 200
    data = {**as_shown(page), **changes, "action": "start"}
    return client.post(f"{BASE}{job.pk}/kolumner/", {k: v for k, v in data.items() if v})


@pytest.fixture
def en(client_for):
    def make(actor: str):
        c = client_for(actor)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def test_datum_tid_file_maps_date_and_time_and_imports_every_row(world, client_for):
    c = client_for("analyst")
    upload(c, DATUM_TID.encode(), name="kvarter.csv")
    job = ImportJob.objects.get()
    page = c.get(f"{BASE}{job.pk}/kolumner/")
    form = page.context["form"]
    assert form["col_date"].value() == "datum"
    assert form["col_time_of_day"].value() == "tid"
    assert not form["col_occurred_at"].value()
    html = page.content.decode()
    assert '<option value="datum" selected>' in html and '<option value="tid" selected>' in html
    # the inflected and accent-free category values are matched already
    categories = {value: f.value() for f, value, _n, _c in form.category_fields}
    assert categories == {
        "Klotter": "klotter",
        "Skadegörelser": "skadegorelse",
        "klottret": "klotter",
        "SKADEGÖRELSE": "skadegorelse",
    }
    response = start_as_shown(c, job)
    assert response.status_code == 302 and response["Location"] == f"{BASE}{job.pk}/"
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.errors
    assert (job.total_rows, job.created_count, job.error_count) == (4, 4, 0)
    got = sorted(
        (i.occurred_from, i.occurred_to, i.category.code, i.place_description)
        for i in Incident.objects.select_related("category")
    )
    assert got == [
        (datetime(2024, 3, 5, 21, 15, tzinfo=STHLM), None, "klotter", "Torget"),
        (datetime(2024, 3, 6, 8, 5, tzinfo=STHLM), None, "skadegorelse", "Parken"),
        (datetime(2024, 7, 1, 12, 0, tzinfo=STHLM), None, "klotter", "Stationen"),
        (datetime(2024, 8, 5, 23, 59, tzinfo=STHLM), None, "skadegorelse", "Hamnen"),
    ]
    assert got[2][0].astimezone(UTC).hour == 10  # summer time


def test_a_bad_time_is_a_swedish_error_naming_file_row_and_column_and_nothing_is_written(
    world, client_for
):
    c = client_for("analyst")  # Swedish, the default
    data = DATUM_TID + "2024-03-07,25:99,Klotter,62.3908,17.3069,Torget\n"
    upload(c, data.encode(), name="kvarter.csv")
    job = ImportJob.objects.get()
    start_as_shown(c, job)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and not Incident.objects.exists()
    assert [(e["row"], e["column"]) for e in job.errors] == [(6, "tid")]
    assert job.errors[0]["message"].startswith("”25:99” är inte ett klockslag.")
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    assert "kvarter.csv" in html and "är inte ett klockslag" in html
    body = b"".join(c.get(f"{BASE}{job.pk}/fel.csv").streaming_content).decode("utf-8")
    assert "kvarter.csv;6;tid;" in body


def test_a_category_suggestion_is_used_only_when_confirmed(world, en):
    c = en("analyst")
    data = DATUM_TID + "2024-03-07,10:00,Klottring,62.3908,17.3069,Torget\n"
    upload(c, data.encode(), name="kvarter.csv")
    job = ImportJob.objects.get()
    page = c.get(f"{BASE}{job.pk}/kolumner/")
    rows = {value: (f, confirm) for f, value, _n, confirm in page.context["form"].category_fields}
    field, confirm = rows["Klottring"]
    assert not field.value()  # not chosen for the user
    assert confirm is not None and not confirm.value()
    assert "Use the suggestion “Klotter”" in page.content.decode()
    assert all(confirm is None for value, (_f, confirm) in rows.items() if value != "Klottring")
    # started as shown: the value matches nothing, its row is an error, nothing is written
    start_as_shown(c, job)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and not Incident.objects.exists()
    assert [(e["row"], e["column"]) for e in job.errors] == [(6, "kategori")]
    # confirmed: the suggestion is the value's category
    response = start_as_shown(c, job, **{confirm.name: "on"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.created_count == 5
    assert job.options["mapping"]["categories"]["klottring"] == "klotter"
    assert Incident.objects.filter(category__code="klotter").count() == 3


def test_a_category_chosen_in_the_list_wins_over_a_ticked_suggestion(world, en):
    c = en("analyst")
    data = DATUM_TID + "2024-03-07,10:00,Klottring,62.3908,17.3069,Torget\n"
    upload(c, data.encode(), name="kvarter.csv")
    job = ImportJob.objects.get()
    page = c.get(f"{BASE}{job.pk}/kolumner/")
    field, _value, _n, confirm = page.context["form"].category_fields[-1]
    start_as_shown(c, job, **{confirm.name: "on", field.name: "ovrigt"})
    job.refresh_from_db()
    assert job.options["mapping"]["categories"]["klottring"] == "ovrigt"


def _organisation_shown(c) -> object:
    upload(c, DATUM_TID.encode())
    job = ImportJob.objects.latest("pk")
    return c.get(f"{BASE}{job.pk}/kolumner/").context["form"]["organisation"].value()


def test_the_users_own_organisation_is_preselected(world, en):
    # a coordinator may report for every organisation; their own is preselected
    assert _organisation_shown(en("coordinator")) == world.orgs["kommun"].pk
    assert _organisation_shown(en("analyst")) == world.orgs["police"].pk


def test_no_organisation_is_preselected_for_a_member_of_two(world, en):
    MembershipFactory(
        user=world.users["coordinator"], organisation=world.orgs["housing"], role=Role.REPORTER
    )
    assert _organisation_shown(en("coordinator")) is None


def test_an_empty_choice_stays_empty_when_the_mapping_is_changed(world, en):
    c = en("analyst")
    upload(c, (DATUM_TID + "2024-03-07,10:00,Okänt,62.3908,17.3069,Torget\n").encode())
    job = ImportJob.objects.get()
    start_as_shown(c, job, organisation="")
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.options["organisation_id"] is None
    assert c.get(f"{BASE}{job.pk}/kolumner/").context["form"]["organisation"].value() is None
