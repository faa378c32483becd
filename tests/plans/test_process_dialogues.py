"""Dialogues: recorded by analysts and coordinators, refused without findings, and their
findings of the chosen period shown on the list."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from brygga.plans import services
from brygga.plans.models import Dialogue

pytestmark = pytest.mark.django_db


def _create(world, actor, **kw):
    kw.setdefault("kind", "citizen")
    kw.setdefault("title", "Medborgardialog Nacksta")
    kw.setdefault("held_on", dt.date(2025, 3, 1))
    kw.setdefault("findings", "Otrygghet vid centrumbyggnaden kvällstid.")
    return services.dialogue_create(actor=world.users[actor], municipality=world.sundsvall, **kw)


def test_who_records_and_bad_input(world):
    assert _create(world, "analyst").pk
    assert _create(world, "coordinator", organisations=[world.orgs["housing"]]).pk
    for actor in ("viewer", "reporter", "outsider"):
        with pytest.raises(PermissionDenied):
            _create(world, actor)
    with pytest.raises(ValidationError) as exc:
        _create(world, "coordinator", findings="  ")
    assert "findings" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _create(world, "coordinator", area=world.areas["timra"])
    assert Dialogue.objects.count() == 2


def test_the_list_shows_the_findings_of_the_period(world, client_for):
    early = _create(world, "coordinator", title="Tidig", held_on=dt.date(2024, 5, 1))
    late = _create(world, "coordinator", title="Sen", kind="staff", held_on=dt.date(2025, 4, 1))
    url = reverse("plans:dialogues", args=["2281"]) + "?fran=2025-01-01&till=2025-12-31"
    page = client_for("viewer").get(url).content.decode()
    findings = page.split('id="dialogue-findings"')[1].split("</ul>")[0]
    assert f'data-dialogue="{late.pk}"' in findings
    assert f'data-dialogue="{early.pk}"' not in findings
    bad = client_for("coordinator").post(
        reverse("plans:dialogue_new", args=["2281"]),
        {"kind": "citizen", "title": "x", "held_on": "2025-13-01", "findings": ""},
    )
    assert bad.status_code == 400
