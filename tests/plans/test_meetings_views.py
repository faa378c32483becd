"""The meetings pages and API: a coordinator adds a meeting and an action item through the
forms, bad input is a message on the field (no 500), the sequence of forums shows on both
meetings, overdue items are listed, and the API changes an item's status."""

import datetime as dt

import pytest
from django.urls import reverse

from brygga.plans.models import ActionItem, Meeting

from . import factories as f

pytestmark = pytest.mark.django_db


def test_new_meeting_and_bad_times(world, client_for):
    client = client_for("coordinator")
    url = reverse("plans:meeting_new", args=["2281"])
    data = {
        "forum": world.forums["safety"].pk,
        "title": "Trygghetsgrupp juni",
        "starts_at": "2025-06-10T13:00",
        "ends_at": "2025-06-10T12:00",
        "location": "Polishuset",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400 and 'id="id_ends_at_error"' in bad.content.decode()
    assert not Meeting.objects.exists()
    ok = client.post(url, {**data, "ends_at": "2025-06-10T15:00"})
    assert ok.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.forum, meeting.location) == (world.forums["safety"], "Polishuset")
    # a forum the reporter may not write for is not offered, and is refused
    assert client_for("reporter").get(url).status_code == 403


def test_action_item_form_and_the_overdue_list(world, client_for):
    meeting = f.meeting(world.forums["safety"])
    client = client_for("coordinator")
    url = reverse("plans:action_item_new", args=["2281", meeting.pk])
    bad = client.post(url, {"title": "Belysning", "due_on": "2025-05-01"})
    assert bad.status_code == 400  # no owner
    ok = client.post(
        url,
        {
            "title": "Belysning",
            "due_on": "2000-05-01",
            "owner_organisation": world.orgs["housing"].pk,
        },
    )
    assert ok.status_code == 302
    item = ActionItem.objects.get()
    page = client.get(reverse("plans:meetings", args=["2281"])).content.decode()
    assert f'data-item="{item.pk}"' in page.split('id="overdue-items"')[1]
    detail = client.get(reverse("plans:meeting_detail", args=["2281", meeting.pk])).content.decode()
    assert 'data-overdue="1"' in detail
    client.post(reverse("plans:action_item_status", args=["2281", item.pk]), {"status": "done"})
    item.refresh_from_db()
    assert item.status == "done" and item.done_on is not None
    page = client.get(reverse("plans:meetings", args=["2281"])).content.decode()
    assert 'id="overdue-items"' not in page


def test_the_sequence_shows_on_both_meetings(world, client_for):
    council = f.meeting(world.forums["sspf"], title="Styrgruppen")
    safety = f.meeting(world.forums["safety"], title="Efter styrgruppen", follows=council)
    client = client_for("coordinator")
    for m, other in ((safety, council), (council, safety)):
        page = client.get(reverse("plans:meeting_detail", args=["2281", m.pk])).content.decode()
        sequence = page.split('id="meeting-sequence"')[1].split("</section>")[0]
        assert f'data-meeting="{other.pk}"' in sequence and f'data-meeting="{m.pk}"' in sequence


def test_minutes_are_saved(world, client_for):
    meeting = f.meeting(world.forums["safety"])
    url = reverse("plans:meeting_minutes", args=["2281", meeting.pk])
    response = client_for("analyst").post(
        url,
        {
            "state": "held",
            "organisations": [world.orgs["police"].pk, world.orgs["field"].pk],
            "attendees": "Kommunpolis, fältassistent",
            "minutes": "Läget i centrum.",
            "decisions": "Extra kvällsvandring.",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == "held" and meeting.sequence == 1
    assert set(meeting.organisations.values_list("pk", flat=True)) == {
        world.orgs["police"].pk,
        world.orgs["field"].pk,
    }


def test_api_lists_meetings_and_patches_the_status(world, client_for):
    meeting = f.meeting(world.forums["safety"])
    item = f.action_item(
        meeting, owner_organisation=world.orgs["field"], due_on=dt.date(2025, 5, 1)
    )
    client = client_for("reporter")
    data = client.get(reverse("api:plans-meeting-detail", args=["2281", meeting.pk])).json()
    assert data["uid"] == str(meeting.uid) and [i["id"] for i in data["action_items"]] == [item.pk]
    url = reverse("api:plans-action-item-detail", args=["2281", item.pk])
    assert (
        client.patch(url, {"status": "closed"}, content_type="application/json").status_code == 400
    )
    assert client.patch(url, {"title": "x"}, content_type="application/json").status_code == 400
    response = client.patch(url, {"status": "done"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["done_on"]
    assert (
        client_for("viewer")
        .patch(url, {"status": "open"}, content_type="application/json")
        .status_code
        == 404
    )
    assert client_for("viewer").get(reverse("api:plans-meeting-list", args=["2281"])).json() == []
