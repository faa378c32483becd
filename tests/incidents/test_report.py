"""The report form: a partner files an incident from a phone; the server validates time and
place (the same rules as the API), then shows a confirmation with the organisation's recent
reports."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.geo import wgs84_to_sweref
from brygga.incidents.models import Incident, Source

from .factories import CENTRE, TIMRA_POINT, CategoryFactory, form_data, make_incident

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/handelser"


def test_form_is_ready_for_a_quick_report(world, client_for):
    r = client_for("reporter").get(f"{BASE}/rapportera/")
    assert r.status_code == 200
    form = r.context["form"]
    # the only organisation the reporter may report for is preselected (hidden)
    assert form["reporting_organisation"].value() == world.orgs["field"].pk
    assert form.fields["reporting_organisation"].widget.input_type == "hidden"
    # time defaults to now
    shown = form["occurred_from"].value()  # local wall-clock time, as the input shows it
    assert abs(shown - timezone.localtime().replace(tzinfo=None)) < dt.timedelta(minutes=2)
    body = r.content.decode()
    assert "<optgroup" in body and 'data-report-map="report-map-data"' in body
    assert 'id="no-names"' in body  # the reminder not to write names
    for quick in ("now", "evening", "night", "weekend"):
        assert f'data-quick="{quick}"' in body
    assert "<script>" not in body and "style=" not in body  # CSP: no inline script or style


def test_reporter_files_by_map_point_and_sees_confirmation(world, client_for):
    c = client_for("reporter")
    r = c.post(f"{BASE}/rapportera/", form_data(reporting_organisation=world.orgs["field"].pk))
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert r["Location"] == f"{BASE}/{incident.pk}/kvitto/"
    assert incident.area == world.areas["centrum"]
    assert incident.reporting_organisation == world.orgs["field"]
    assert incident.reported_by == world.users["reporter"]
    assert incident.source == Source.MANUAL and incident.occurred_to is None
    assert incident.sweref_n == pytest.approx(wgs84_to_sweref(CENTRE[1], CENTRE[0])[1], abs=1)
    earlier = make_incident(world, lat=CENTRE[0], lon=CENTRE[1])
    other_org = make_incident(world, reporting_organisation=world.orgs["housing"])
    page = c.get(r["Location"])
    assert page.status_code == 200
    recent = list(page.context["recent"])
    assert incident in recent and earlier in recent and other_org not in recent


def test_sweref_coordinates_and_decimal_comma(world, client_for):
    e, n = wgs84_to_sweref(CENTRE[1], CENTRE[0])
    c = client_for("reporter")
    r = c.post(
        f"{BASE}/rapportera/",
        form_data(lat=None, lon=None, sweref_n=f"{n:,.0f}".replace(",", " "), sweref_e=f"{e:.0f}"),
    )
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.lat == pytest.approx(CENTRE[0], abs=1e-4)
    assert incident.area == world.areas["centrum"]
    r = c.post(f"{BASE}/rapportera/", form_data(lat="62,39", lon="17,305"))
    assert r.status_code == 302


def test_area_only_and_interval(world, client_for):
    start = timezone.localtime() - dt.timedelta(days=2)
    r = client_for("reporter").post(
        f"{BASE}/rapportera/",
        form_data(
            lat=None,
            lon=None,
            area=world.areas["nacksta"].pk,
            time_unknown="on",
            occurred_from=start.strftime("%Y-%m-%dT%H:%M"),
            occurred_to=(start + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.area == world.areas["nacksta"] and not incident.has_point
    assert incident.occurred_to - incident.occurred_from == dt.timedelta(hours=8)


def _errors(response, field):
    assert response.status_code == 400
    return response.context["form"].errors.get(field, [])


@pytest.mark.parametrize(
    "data, field",
    [
        # the time lies in the future
        ({"occurred_from": "2999-01-01T12:00"}, "occurred_from"),
        # outside the municipality (a point in Timrå): on the place as a whole
        ({"lat": str(TIMRA_POINT[0]), "lon": str(TIMRA_POINT[1])}, "location"),
        # latitude and longitude swapped
        ({"lat": str(CENTRE[1]), "lon": str(CENTRE[0])}, "lat"),
        # SWEREF metres typed as WGS84 degrees
        ({"lat": "6919000", "lon": "617000"}, "lat"),
        # WGS84 degrees typed as SWEREF metres
        ({"lat": None, "lon": None, "sweref_n": "62.39", "sweref_e": "17.305"}, "sweref_e"),
        # no place at all: on the place as a whole
        ({"lat": None, "lon": None}, "location"),
        # only one of the two coordinates
        ({"lon": None}, "lat"),
        # an interval that ends before it starts
        (
            {
                "time_unknown": "on",
                "occurred_from": "2024-05-01T22:00",
                "occurred_to": "2024-05-01T20:00",
            },
            "occurred_to",
        ),
        # an interval without its end
        ({"time_unknown": "on"}, "occurred_to"),
        ({"category": ""}, "category"),
        ({"category": "999999"}, "category"),
        ({"lat": "norr"}, "lat"),
    ],
)
def test_bad_input_gets_a_message_on_the_right_field(data, field, world, client_for):
    r = client_for("reporter").post(f"{BASE}/rapportera/", form_data(**data))
    assert _errors(r, field), r.context["form"].errors
    assert not Incident.objects.exists()


def test_category_of_another_municipality_is_refused(world, client_for):
    own = CategoryFactory(municipality=world.timra, code="timra-egen", name="Egen")
    r = client_for("reporter").post(f"{BASE}/rapportera/", form_data(category=own.pk))
    assert _errors(r, "category")


def test_reporter_cannot_report_for_another_organisation(world, client_for):
    r = client_for("reporter").post(
        f"{BASE}/rapportera/", form_data(reporting_organisation=world.orgs["housing"].pk)
    )
    assert _errors(r, "reporting_organisation")
    assert not Incident.objects.exists()


def test_coordinator_chooses_among_all_organisations(world, client_for):
    c = client_for("coordinator")
    form = c.get(f"{BASE}/rapportera/").context["form"]
    assert form["reporting_organisation"].value() == world.orgs["kommun"].pk
    assert form.fields["reporting_organisation"].queryset.count() == 5
    r = c.post(f"{BASE}/rapportera/", form_data(reporting_organisation=world.orgs["housing"].pk))
    assert r.status_code == 302
    assert Incident.objects.get().reporting_organisation == world.orgs["housing"]


def test_personal_data_flag_is_stored(world, client_for):
    r = client_for("reporter").post(f"{BASE}/rapportera/", form_data(has_personal_data="on"))
    assert r.status_code == 302
    assert Incident.objects.get().has_personal_data


@pytest.mark.parametrize("actor", ["viewer", "case_worker"])
def test_roles_without_report_ability_cannot_report(actor, world, client_for):
    c = client_for(actor)
    assert c.get(f"{BASE}/rapportera/").status_code == 403
    assert c.post(f"{BASE}/rapportera/", form_data()).status_code == 403
    assert not Incident.objects.exists()


def test_reporter_edits_own_new_report_but_not_after_review(world, client_for):
    incident = make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    c = client_for("reporter")
    url = f"{BASE}/{incident.pk}/andra/"
    r = c.get(url)
    assert r.status_code == 200 and r.context["form"]["lat"].value() == CENTRE[0]
    r = c.post(url, form_data(description="Två krossade rutor.", count="2"))
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.count == 2 and incident.description == "Två krossade rutor."
    incident.status = "reviewed"
    with acting_as(label="test setup"):
        incident.save()
    assert c.get(url).status_code == 403
    assert client_for("coordinator").get(url).status_code == 200


def test_reporter_removes_own_report(world, client_for):
    incident = make_incident(world, lat=CENTRE[0], lon=CENTRE[1])
    c = client_for("reporter")
    assert c.get(f"{BASE}/{incident.pk}/ta-bort/").status_code == 200
    r = c.post(f"{BASE}/{incident.pk}/ta-bort/")
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.deleted_at is not None
    assert c.get(f"{BASE}/{incident.pk}/").status_code == 404


def test_a_place_wide_error_is_described_on_the_where_fieldset(world, client_for):
    """Issue #12 item 9: "say where it happened" concerns the whole group of place inputs, so
    it is on the fieldset (aria-describedby), not on the latitude input; the error summary at
    the top links to the category and to the group."""
    r = client_for("reporter").post(
        f"{BASE}/rapportera/", form_data(lat=None, lon=None, category="")
    )
    assert r.status_code == 400
    html = r.content.decode()
    fieldset = re.search(r'<fieldset class="where[^"]*"[^>]*>', html).group(0)
    assert 'id="id_location"' in fieldset and 'tabindex="-1"' in fieldset
    assert 'aria-describedby="id_location_error"' in fieldset
    error = re.search(r'<div class="error" id="id_location_error">(.*?)</div>', html).group(1)
    assert "Ange var det hände" in error
    for name in ("lat", "lon", "area"):
        tag = re.search(rf'<(input|select)[^>]*name="{name}"[^>]*>', html).group(0)
        assert "aria-invalid" not in tag, tag
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "autofocus" in summary and "Rätta de markerade fälten nedan." in summary
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["id_category", "id_location"]
    # the old one-line notice is gone: the summary's heading says it
    assert html.count("Rätta de markerade fälten nedan.") == 1
