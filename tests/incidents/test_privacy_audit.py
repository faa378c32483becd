"""Regression tests: incident free text never enters the audit trail; removed incidents are
hidden from system administrators too."""

import pytest
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.incidents import services
from brygga.incidents.location import Location
from brygga.incidents.models import Category, Incident

pytestmark = pytest.mark.django_db


def _report(world, text):
    return services.incident_create(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        category=Category.objects.get(code="klotter", municipality=None),
        occurred_from=timezone.now(),
        location=Location(area=world.areas["centrum"]),
        description=text,
        has_personal_data=True,
    )


def test_description_is_redacted_in_the_change_history(world):
    incident = _report(world, "Kalle Anka sprayade på väggen")
    services.incident_update(
        actor=world.users["coordinator"], incident=incident, description="Okänd person sprayade"
    )
    rows = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk))
    assert rows.filter(kind="create").exists() and rows.filter(kind="update").exists()
    dump = str(list(rows.values_list("changes", flat=True)))
    assert "Kalle" not in dump and "Okänd person" not in dump
    update = rows.get(kind="update")
    before, after = update.changes["description"]
    assert before.startswith("[redacted]") and after.startswith("[redacted]") and before != after


def test_removed_incident_is_hidden_from_system_admin(world):
    incident = _report(world, "text")
    services.incident_delete(actor=world.users["coordinator"], incident=incident)
    assert (
        not Incident.objects.visible_to(world.users["system_admin"]).filter(pk=incident.pk).exists()
    )
    assert Incident.objects.filter(pk=incident.pk).exists()  # soft: the row is kept
