"""Publishing a public tip's text on the open Open311 lists (issue #10, item 4): a moderation
step of its own, with its own permission and audit row, apart from the review status."""

from __future__ import annotations

import pytest

from brygga.audit.models import AuditEvent
from brygga.incidents.models import Status
from brygga.incidents.services import incident_set_status

from .factories import field_key, submitted, tip
from .georeport import BASE, as_records, post, validate

H = "/kommuner/2281/handelser/"
PRIVATE = "Grannen Ylva Zetterqvist klottrar"
PUBLIC = "Klotter på muren vid torget"


@pytest.fixture
def reviewed_tip(world, client):
    _key, secret = field_key(world)
    r = post(client, "json", tip(secret, description=PRIVATE))
    incident = submitted(r)
    return incident_set_status(
        actor=world.users["coordinator"], incident=incident, status=Status.REVIEWED
    )


def _public(client) -> list[dict]:
    return as_records(validate(client.get(f"{BASE}/requests.json"), "json", "requests"), "json")


def test_reviewing_does_not_publish(world, reviewed_tip, client):
    assert _public(client) == []
    assert not AuditEvent.objects.filter(event_type="open311_tip_published").exists()


@pytest.mark.parametrize("actor", ["coordinator", "municipal_admin"])
def test_moderator_publishes_an_edited_text_with_an_audit_row(
    actor, world, reviewed_tip, client, client_for
):
    c = client_for(actor)
    page = c.get(f"{H}{reviewed_tip.pk}/").content.decode()
    assert "open311/tips/" in page and "publicering" in page  # the control is there
    r = c.post(f"{H}open311/tips/{reviewed_tip.pk}/publicering/", {"text": PUBLIC})
    assert r.status_code == 302
    (item,) = _public(client)
    assert item["description"] == PUBLIC and PRIVATE not in str(item)
    assert item["service_request_id"] == reviewed_tip.open311_request.token
    row = AuditEvent.objects.get(event_type="open311_tip_published")
    assert row.object_id == str(reviewed_tip.pk) and row.actor_label == actor
    assert PUBLIC not in str(row.changes) and row.changes["text"].startswith("fp:")
    # withdrawn: gone from the list, with its own row
    c.post(f"{H}open311/tips/{reviewed_tip.pk}/publicering/", {"action": "unpublish"})
    assert _public(client) == []
    assert AuditEvent.objects.filter(event_type="open311_tip_unpublished").count() == 1


@pytest.mark.parametrize("actor", ["viewer", "reporter", "analyst", "case_worker", "outsider"])
def test_others_may_not_publish(actor, world, reviewed_tip, client, client_for):
    c = client_for(actor)
    r = c.post(f"{H}open311/tips/{reviewed_tip.pk}/publicering/", {"text": PUBLIC})
    assert r.status_code in (403, 404)
    assert _public(client) == []
    page = c.get(f"{H}{reviewed_tip.pk}/")
    assert b"publicering" not in page.content


def test_a_new_tip_cannot_be_published(world, client, client_for):
    _key, secret = field_key(world)
    incident = submitted(post(client, "json", tip(secret, description=PRIVATE)))
    c = client_for("coordinator")
    c.post(f"{H}open311/tips/{incident.pk}/publicering/", {"text": PUBLIC})
    assert _public(client) == []
    assert not AuditEvent.objects.filter(event_type="open311_tip_published").exists()


def test_migration_gives_existing_tips_a_token_and_the_personal_data_flag(world):
    from importlib import import_module

    from django.apps import apps

    from brygga.incidents.models import Incident, Open311Request

    from .factories import make_incident

    old = make_incident(world, source="open311", has_personal_data=False)
    manual = make_incident(world)
    migration = import_module("brygga.incidents.migrations.0005_open311_request")
    migration.forwards(apps, None)
    old.refresh_from_db()
    manual.refresh_from_db()
    assert old.has_personal_data and not manual.has_personal_data
    token = Open311Request.objects.get(incident=old).token
    assert len(token) == 22 and token != str(old.pk)
    assert Open311Request.objects.get(incident=old).published_at is None
    assert not Open311Request.objects.filter(incident=manual).exists()
    assert Incident.objects.filter(open311_request__isnull=False).count() == 1
