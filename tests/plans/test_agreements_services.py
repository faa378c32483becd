"""The services of cooperation agreements: who may write, the checks of every bad input (the
period, the parties, the priorities, the signed document by its content), renewal, and the
audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from brygga.audit.models import AuditEvent
from brygga.core.models import PoliceArea
from brygga.plans import services
from brygga.plans.models import Agreement
from brygga.plans.services.agreements import DOCX_TYPE, PDF_TYPE, check_signed_document

from . import factories
from .agreement_files import PDF, PNG, TEXT, docx_bytes, upload, zip_without_document

pytestmark = pytest.mark.django_db

PRIORITIES = [
    "Arbeta förebyggande med barn och unga",
    "Trygga miljöer",
    "Våld i nära relationer",
    "Våld i offentlig miljö",
]


def _create(world, actor="coordinator", **kw):
    kw.setdefault("title", "Samverkan 2025–2028")
    kw.setdefault("period_start", dt.date(2025, 1, 1))
    kw.setdefault("period_end", dt.date(2028, 12, 31))
    return services.agreement_create(actor=world.users[actor], municipality=world.sundsvall, **kw)


def test_coordinator_creates_with_parties_priorities_and_document(world):
    a = _create(
        world,
        parties=[
            {"organisation": world.orgs["kommun"], "mandate": "KS", "signatory": "Anna A"},
            {"organisation": world.orgs["police"], "commitments": "Närvaro"},
        ],
        priorities=PRIORITIES,
        signed_on=dt.date(2025, 1, 15),
        signed_document=upload("avtal.pdf", PDF),
    )
    assert [p.title for p in a.priorities.all()] == PRIORITIES
    assert [p.position for p in a.priorities.all()] == [1, 2, 3, 4]
    assert {p.organisation_id for p in a.parties.all()} == {
        world.orgs["kommun"].pk,
        world.orgs["police"].pk,
    }
    a.refresh_from_db()
    assert bytes(a.signed_document) == PDF
    assert (a.signed_document_name, a.signed_document_type) == ("avtal.pdf", PDF_TYPE)
    event = AuditEvent.objects.get(event_type="agreement_document_attached")
    assert event.object_id == str(a.pk) and event.changes["bytes"] == len(PDF)


@pytest.mark.parametrize("actor", ["viewer", "reporter", "analyst", "case_worker", "outsider"])
def test_only_coordinators_write(world, actor):
    with pytest.raises(PermissionDenied):
        _create(world, actor=actor)
    agreement = factories.agreement(world.sundsvall)
    with pytest.raises(PermissionDenied):
        services.agreement_update(
            actor=world.users[actor],
            municipality=world.sundsvall,
            instance=agreement,
            title="x",
            period_start=agreement.period_start,
            period_end=agreement.period_end,
        )
    assert Agreement.objects.count() == 1


def test_period_end_before_start_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, period_start=dt.date(2025, 6, 1), period_end=dt.date(2025, 5, 1))
    assert "period_end" in exc.value.message_dict
    assert not Agreement.objects.exists()


def test_party_of_another_municipality_and_twice_refused(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, parties=[{"organisation": world.orgs["timra"]}])
    assert "parties" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _create(world, parties=[{"organisation": world.orgs["kommun"]}] * 2)
    with pytest.raises(ValidationError) as exc:
        _create(world, priorities=["Trygga miljöer", "trygga miljöer"])
    assert "priorities" in exc.value.message_dict
    assert not Agreement.objects.exists()


def test_police_area_must_cover_the_municipality(world):
    from brygga.audit.context import acting_as

    with acting_as(label="test setup"):
        elsewhere = PoliceArea.objects.create(name="LPO Annanstans")
    with pytest.raises(ValidationError) as exc:
        _create(world, police_area=elsewhere)
    assert "police_area" in exc.value.message_dict


def test_document_types_by_content():
    assert check_signed_document(name="a.pdf", content=PDF) == PDF_TYPE
    assert check_signed_document(name="a.docx", content=docx_bytes()) == DOCX_TYPE
    # a real DOCX renamed .pdf is still a DOCX: the name decides nothing
    assert check_signed_document(name="a.pdf", content=docx_bytes()) == DOCX_TYPE
    for content in (PNG, TEXT, zip_without_document(), b"PK\x03\x04broken"):
        with pytest.raises(ValidationError) as exc:
            check_signed_document(name="bild.pdf", content=content)
        assert "bild.pdf" in exc.value.message_dict["signed_document"][0]


def test_document_too_large(world, settings, monkeypatch):
    from brygga.plans.services import agreements as mod

    monkeypatch.setattr(mod, "SIGNED_DOCUMENT_MAX_BYTES", 10)
    with pytest.raises(ValidationError) as exc:
        _create(world, signed_document=upload("stor.pdf", PDF))
    assert "stor.pdf" in exc.value.message_dict["signed_document"][0]
    assert not Agreement.objects.exists()


def test_png_renamed_pdf_refused_and_nothing_written(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, signed_document=upload("skannad.pdf", PNG))
    assert "skannad.pdf" in exc.value.message_dict["signed_document"][0]
    assert not Agreement.objects.exists()


def test_update_replaces_lists_and_keeps_document(world):
    a = _create(
        world,
        parties=[{"organisation": world.orgs["kommun"]}],
        priorities=PRIORITIES,
        signed_document=upload("avtal.docx", docx_bytes()),
    )
    services.agreement_update(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        instance=a,
        title="Ny titel",
        period_start=a.period_start,
        period_end=a.period_end,
        parties=[{"organisation": world.orgs["police"]}],
        priorities=["Trygga miljöer", "Våld i offentlig miljö"],
    )
    a.refresh_from_db()
    assert a.title == "Ny titel"
    assert [p.organisation_id for p in a.parties.all()] == [world.orgs["police"].pk]
    assert [p.title for p in a.priorities.all()] == ["Trygga miljöer", "Våld i offentlig miljö"]
    assert a.signed_document_type == DOCX_TYPE and a.signed_document_name == "avtal.docx"


def test_renewal_copies_parties_and_priorities(world):
    old = _create(
        world,
        parties=[
            {"organisation": world.orgs["kommun"], "commitments": "Belysning", "signatory": "A"},
            {"organisation": world.orgs["police"], "mandate": "LPO"},
        ],
        priorities=PRIORITIES,
        signed_on=dt.date(2025, 1, 10),
    )
    new = services.agreement_renew(
        actor=world.users["coordinator"],
        agreement=old,
        period_start=dt.date(2029, 1, 1),
        period_end=dt.date(2032, 12, 31),
        title="Samverkan 2029–2032",
    )
    assert new.renews == old and new.pk != old.pk
    assert [p.title for p in new.priorities.all()] == PRIORITIES
    assert {(p.organisation_id, p.commitments, p.mandate) for p in new.parties.all()} == {
        (world.orgs["kommun"].pk, "Belysning", ""),
        (world.orgs["police"].pk, "", "LPO"),
    }
    assert all(p.signatory == "" for p in new.parties.all())
    assert new.signed_on is None
    assert AuditEvent.objects.filter(event_type="agreement_renewed", object_id=str(new.pk)).exists()
    with pytest.raises(ValidationError):
        services.agreement_renew(
            actor=world.users["coordinator"],
            agreement=old,
            period_start=dt.date(2029, 1, 1),
            period_end=dt.date(2028, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        services.agreement_renew(
            actor=world.users["viewer"],
            agreement=old,
            period_start=dt.date(2029, 1, 1),
            period_end=dt.date(2030, 1, 1),
        )
