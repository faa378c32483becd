"""Personal data in the append-only audit trail only as keyed fingerprints
(``brygga.audit.keys.fingerprint``: ``fp:<key id>:<16 hex>``, an HMAC with a key derived from
the audit key, which lives outside the database): the history of an incident's free text, a
user's name and e-mail address, and a user name typed at the sign-in form that matches no
account (often a password typed into the wrong field). The trail tells versions apart and an
investigator holding the key can check a value, but the value itself is never written."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from brygga.audit.chain import verify_chain
from brygga.audit.keys import audit_keys, fingerprint
from brygga.audit.models import AuditEvent
from brygga.incidents.services import incident_update

from ..conftest import PASSWORD
from ..incidents.factories import make_incident

pytestmark = pytest.mark.django_db
LOGIN = "/konto/logga-in/"
FP = re.compile(r"^fp:[A-Za-z0-9_.-]{1,32}:[0-9a-f]{16}$")
REDACTED_FP = re.compile(r"^\[redacted\] fp:[A-Za-z0-9_.-]{1,32}:[0-9a-f]{16}$")
FIRST_TEXT = "Anna Andersson (f. 2009) hotades vid busshållplatsen"
SECOND_TEXT = "Bertil Berg, Storgatan 12, slog sönder rutan"
# Something a user types into the user-name field by mistake: their password.
TYPED_PASSWORD = "Sommar2026!Kanelbulle"


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def audit_text() -> str:
    """Every field of every audit row, as one text (lower case)."""
    return "\n".join(
        json.dumps(row, default=str, ensure_ascii=False) for row in AuditEvent.objects.values()
    ).lower()


def history(obj, kind: str):
    return AuditEvent.objects.filter(
        kind=kind, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("seq")


# --- incident text ------------------------------------------------------------------------------
def test_an_incident_text_change_is_recorded_as_fingerprints_never_as_text(world):
    incident = make_incident(world, description=FIRST_TEXT, place_description="Busshållplatsen")
    incident_update(actor=world.users["coordinator"], incident=incident, description=SECOND_TEXT)
    (created,) = history(incident, "create")
    (updated,) = history(incident, "update")
    assert REDACTED_FP.match(created.changes["description"][1])
    before, after = updated.changes["description"]
    assert REDACTED_FP.match(before) and REDACTED_FP.match(after)
    assert before != after  # the versions can be told apart
    assert before == created.changes["description"][1]
    # an investigator with the key can check whether a given text was written
    assert after == f"[redacted] {fingerprint(SECOND_TEXT)}"
    assert before == f"[redacted] {fingerprint(FIRST_TEXT)}"
    trail = audit_text()
    for text in (FIRST_TEXT, SECOND_TEXT, "Anna Andersson", "Storgatan 12", "Busshållplatsen"):
        assert text.lower() not in trail, text
    assert verify_chain().ok


def test_the_fingerprint_is_keyed_not_a_plain_hash(world, settings):
    value = "070-123 45 67"
    fp = fingerprint(value)
    assert FP.match(fp)
    key_id, digest = fp.split(":")[1:]
    assert key_id == audit_keys().current_id
    plain = hashlib.sha256(value.encode()).hexdigest()
    assert digest != plain[:16] and digest not in plain  # not guessable by hashing candidates
    assert fingerprint(value) == fp  # stable: repeated values can be recognised
    assert fingerprint("070-123 45 68") != fp

    # another current key: another fingerprint, named by the new key's id
    rotated = f"k2:{new_key()},{settings.BRYGGA_AUDIT_KEYS}"
    with override_settings(BRYGGA_AUDIT_KEYS=rotated):
        other = fingerprint(value)
        assert other.startswith("fp:k2:") and other.split(":")[2] != digest
        # and the history written now carries it
        incident = make_incident(world, description=value)
        (created,) = history(incident, "create")
        assert created.changes["description"][1] == f"[redacted] {other}"
    # a different key under the same id gives a different fingerprint as well
    with override_settings(BRYGGA_AUDIT_KEYS=f"{key_id}:{new_key()}"):
        assert fingerprint(value) != fp and fingerprint(value).startswith(f"fp:{key_id}:")


# --- users --------------------------------------------------------------------------------------
def test_a_users_name_and_email_are_fingerprints_in_the_history(world):
    user = world.users["reporter"]
    user.first_name, user.last_name, user.email = "Greta", "Gröndahl", "greta.grondahl@example.se"
    user.save()
    (updated,) = history(user, "update")
    assert set(updated.changes) == {"first_name", "last_name", "email"}
    for field, value in (
        ("first_name", "Greta"),
        ("last_name", "Gröndahl"),
        ("email", "greta.grondahl@example.se"),
    ):
        before, after = updated.changes[field]
        assert after == f"[redacted] {fingerprint(value)}", field
        assert before is None or before == "" or REDACTED_FP.match(before), field
    assert updated.object_repr == "reporter"  # the user name stays readable
    # the account's creation row, too
    (created,) = history(user, "create")
    assert REDACTED_FP.match(created.changes["email"][1])
    trail = audit_text()
    for value in ("gröndahl", "greta.grondahl@example.se", "reporter@example.invalid"):
        assert value not in trail, value


# --- failed sign-ins ----------------------------------------------------------------------------
def _fail(username: str, password: str = "fel-lösenord") -> None:  # noqa: S107
    r = Client().post(LOGIN, {"username": username, "password": password})
    assert r.status_code == 200  # the form again, with its error


def test_a_failed_sign_in_with_an_unknown_user_name_keeps_only_its_fingerprint(world):
    _fail(TYPED_PASSWORD)
    (row,) = AuditEvent.objects.filter(kind="login_failed")
    assert (row.object_type, row.object_id, row.object_repr) == ("auth.user", "", "")
    assert row.changes == {"unknown_username": fingerprint(TYPED_PASSWORD)}
    assert FP.match(row.changes["unknown_username"])
    trail = audit_text()
    assert TYPED_PASSWORD.lower() not in trail
    assert "kanelbulle" not in trail and "fel-lösenord" not in trail
    # repeated tries of the same name can be recognised without the name
    _fail(TYPED_PASSWORD)
    _fail("someone-else")
    rows = AuditEvent.objects.filter(kind="login_failed").order_by("seq")
    marks = [r.changes["unknown_username"] for r in rows]
    assert marks[0] == marks[1] != marks[2]
    assert TYPED_PASSWORD.lower() not in audit_text()
    assert verify_chain().ok


def test_a_failed_sign_in_with_an_existing_user_name_names_the_account(world):
    viewer = world.users["viewer"]
    _fail("viewer", password="nästan-rätt")
    (row,) = AuditEvent.objects.filter(kind="login_failed")
    assert (row.object_type, row.object_id, row.object_repr) == (
        "auth.user",
        str(viewer.pk),
        "viewer",
    )
    assert row.changes == {}
    assert "nästan-rätt" not in audit_text()
    # the password is right: no failed row, the sign-in goes on to the second factor
    r = Client().post(LOGIN, {"username": "viewer", "password": PASSWORD})
    assert r.status_code == 302
    assert AuditEvent.objects.filter(kind="login_failed").count() == 1


def test_the_user_model_is_what_the_sign_in_checks(world):
    """The account lookup follows the user model's natural key, as the sign-in does: a user
    name differing only in case is another name (Django's default), so it is fingerprinted."""
    assert get_user_model().USERNAME_FIELD == "username"
    _fail("VIEWER", password=PASSWORD)
    (row,) = AuditEvent.objects.filter(kind="login_failed")
    assert row.object_id == "" and row.changes == {"unknown_username": fingerprint("VIEWER")}
