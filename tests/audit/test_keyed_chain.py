"""The chain is keyed (HMAC-SHA256 with BRYGGA_AUDIT_KEYS, kept outside the database), so write
access to the database is not enough to rewrite it; `brygga audit verify --expect-head` finds a
tail cut off together with the head."""

import base64
import hashlib
import hmac
import importlib
import re
import secrets
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from brygga.audit.models import AuditEvent, ChainHead
from brygga.audit.services import log_action

from . import tampering

pytestmark = pytest.mark.django_db


def audit_keys():
    # Imported when used, so that the attacks below also run (and fail) against the unkeyed
    # chain this replaced.
    from brygga.audit.keys import audit_keys as configured

    return configured()


def verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def printed_head(output: str) -> str:
    (head,) = re.findall(r"^Head: (\d+:[0-9a-f]{64})$", output, flags=re.MULTILINE)
    return head


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def test_rows_are_signed_with_the_current_key_not_plain_sha256(world):
    keys = audit_keys()
    row = AuditEvent.objects.order_by("-seq").first()
    assert row.key_id == keys.current_id != ""
    data = tampering.canonical(tampering.fields_of(row))
    assert row.hash == hmac.new(keys.keys[row.key_id], data, hashlib.sha256).hexdigest()
    assert row.hash != hashlib.sha256(data).hexdigest()


def test_verify_prints_the_head_it_verified(world):
    out = verify()
    head = ChainHead.objects.get(id=1)
    assert printed_head(out) == f"{head.seq}:{head.hash}"
    assert f"Rows per key: {audit_keys().current_id}: {head.seq}." in out


def test_chain_recomputed_with_plain_sha256_is_detected(world):
    """The attacker rewrites every row's hash (and the head) with plain SHA-256, as the chain
    was computed before it was keyed: every link and hash holds, but no row carries a key."""
    tampering.sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 3")
    tampering.rewrite_chain(tampering.plain_sha256)
    last = ChainHead.objects.get(id=1).seq
    with pytest.raises(CommandError, match=rf"seq={last}: the newest row has no audit key"):
        verify()


def test_chain_recomputed_with_a_wrong_key_is_detected(world):
    tampering.sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 3")
    tampering.rewrite_chain(tampering.keyed_with(audit_keys().current_id))
    with pytest.raises(CommandError, match=r"seq=1: content does not match its hash"):
        verify()


def test_chain_signed_under_a_key_id_of_the_attackers_own_is_detected(world):
    tampering.rewrite_chain(tampering.keyed_with("k9"), start=5)
    with pytest.raises(CommandError, match=r"seq=5: row is signed with the key 'k9'"):
        verify()


def test_forged_row_with_a_keyless_hash_is_detected(world):
    """A row appended with plain SQL, its hash computed as a legacy (key-less) row and the
    head moved to it: links and head hold, but a key-less row cannot follow signed ones."""
    seq = tampering.append_row(tampering.plain_sha256, event_type="lägesbild_published")
    with pytest.raises(CommandError, match=rf"seq={seq}: row has no audit key"):
        verify()


def test_truncated_tail_is_detected_with_the_expected_head(world):
    anchor = printed_head(verify())
    log_action(event_type="after_the_anchor", subject=world.sundsvall)
    tampering.cut_tail(4)  # rows after the anchor and three before it, head moved back
    seq = int(anchor.split(":")[0])
    verify()  # the database alone cannot tell: the head was moved with the rows
    with pytest.raises(
        CommandError,
        match=rf"does not reach the expected head: the chain ends at seq={seq - 3}, but the "
        rf"expected head is seq={seq}: rows {seq - 2}–{seq} were removed from the end",
    ):
        verify("--expect-head", anchor)


def test_chain_rewritten_with_the_key_is_detected_at_the_expected_head(world):
    """Even someone holding the key (stolen with the server) cannot rewrite rows up to a head
    recorded outside the database."""
    anchor = printed_head(verify())
    seq = int(anchor.split(":")[0])
    keys = audit_keys()
    tampering.sql("UPDATE audit_auditevent SET object_repr = 'rewritten' WHERE seq = %s", seq - 1)
    tampering.rewrite_chain(
        tampering.keyed_with(keys.current_id, keys.keys[keys.current_id]), start=seq - 1
    )
    verify()  # valid with the key
    with pytest.raises(CommandError, match=rf"row {seq} has the hash [0-9a-f]{{64}}, but the"):
        verify("--expect-head", anchor)


def test_expected_heads_that_hold_are_confirmed(world):
    first = printed_head(verify())
    log_action(event_type="later", subject=world.sundsvall)
    out = verify("--expect-head", first, "--expect-head", "0:" + "0" * 64)
    assert f"Expected head {first[: first.index(':') + 13]}… found in the chain." in out
    assert printed_head(out) != first


def test_expected_head_must_be_seq_and_hash(world):
    with pytest.raises(CommandError, match="is not a head: give SEQ:HASH"):
        verify("--expect-head", "12")


def test_key_rotation_new_rows_signed_with_the_new_key_old_rows_verify(world, settings):
    old = audit_keys()
    before = ChainHead.objects.get(id=1).seq
    settings.BRYGGA_AUDIT_KEYS = f"k2:{new_key()},{settings.BRYGGA_AUDIT_KEYS}"
    event = log_action(event_type="after_rotation", subject=world.sundsvall)
    assert event.key_id == "k2" and event.prev_hash != ""
    out = verify()
    assert f"Rows per key: {old.current_id}: {before}, k2: 1." in out
    # The old key is still needed for the rows it signed.
    settings.BRYGGA_AUDIT_KEYS = settings.BRYGGA_AUDIT_KEYS.split(",")[0]
    with pytest.raises(
        CommandError, match=rf"seq=1: row is signed with the key '{old.current_id}', which"
    ):
        verify()


def test_rows_of_a_migrated_database_verify_as_legacy_and_are_sealed(db):
    """A database from before the keyed chain: plain SHA-256 rows, key id "". Migration 0002
    seals them with one signed row; they verify, and rewriting them all without the key (the
    seal included) is found."""
    assert not AuditEvent.objects.exists()
    ChainHead.objects.get_or_create(id=1)
    for _ in range(3):
        tampering.append_row(tampering.plain_sha256, kind="login", actor_label="old")
    migration = importlib.import_module("brygga.audit.migrations.0002_keyed_chain")
    migration.seal_legacy_rows(apps, SimpleNamespace(connection=connection))
    keys = audit_keys()
    seal = AuditEvent.objects.get(seq=4)
    assert seal.event_type == "audit_chain_keyed" and seal.key_id == keys.current_id
    assert seal.changes == {"legacy_rows": 3, "key_id": keys.current_id}
    log_action(event_type="after_the_upgrade")
    out = verify()
    assert f"Rows per key: legacy SHA-256 (no key): 3, {keys.current_id}: 2." in out
    tampering.rewrite_chain(tampering.plain_sha256)
    with pytest.raises(CommandError, match=r"seq=5: the newest row has no audit key"):
        verify()


def test_a_keyless_row_cannot_be_inserted_before_the_seal_either(world):
    """Legacy rows verify only as the oldest part of the chain."""
    tampering.rewrite_chain(tampering.plain_sha256, start=1)
    keys = audit_keys()
    signed = tampering.keyed_with(keys.current_id, keys.keys[keys.current_id])
    tampering.rewrite_chain(signed, start=2)
    tampering.rewrite_chain(tampering.plain_sha256, start=3)
    with pytest.raises(CommandError, match=r"seq=3: row has no audit key .* since seq=2"):
        verify()


@override_settings(BRYGGA_AUDIT_KEYS="")
def test_without_keys_no_row_is_written(world):
    from django.core.exceptions import ImproperlyConfigured

    n = AuditEvent.objects.count()
    with pytest.raises(ImproperlyConfigured, match="BRYGGA_AUDIT_KEYS is empty"):
        log_action(event_type="unsigned", subject=world.sundsvall)
    assert AuditEvent.objects.count() == n


def test_a_row_committed_while_verify_runs_is_not_taken_for_a_cut_tail(world, monkeypatch):
    """The daily job runs while people work: a row appended (row and head in one commit) after
    verify read its last batch and before it read the head is verified too, not reported as
    "removed from the end"."""
    from brygga.audit import chain

    class HeadReadJustAfterACommit:
        class objects:
            committed = False

            @classmethod
            def filter(cls, **kwargs):
                if not cls.committed:
                    cls.committed = True
                    log_action(event_type="while_verifying", subject=world.sundsvall)
                return ChainHead.objects.filter(**kwargs)

    monkeypatch.setattr(chain, "ChainHead", HeadReadJustAfterACommit)
    before = ChainHead.objects.get(id=1).seq
    out = verify()
    assert HeadReadJustAfterACommit.objects.committed
    assert f"Audit chain intact: {before + 1} rows verified." in out
    assert printed_head(out) == f"{before + 1}:{ChainHead.objects.get(id=1).hash}"


def rotate(settings) -> tuple[str, str]:
    """Put a new key k2 first, as docs/ADMIN.md says; returns (old setting, old key id)."""
    old_setting, old_id = settings.BRYGGA_AUDIT_KEYS, audit_keys().current_id
    settings.BRYGGA_AUDIT_KEYS = f"k2:{new_key()},{old_setting}"
    return old_setting, old_id


def test_a_replaced_key_cannot_sign_rows_after_the_rotation(world, settings):
    """Someone who holds the old key (it leaked; that is why it was replaced) appends a row
    signed with it after the rotation: every hash holds, but keys do not go back."""
    _, old_id = rotate(settings)
    first_k2 = log_action(event_type="after_rotation", subject=world.sundsvall)
    keys = audit_keys()
    seq = tampering.append_row(tampering.keyed_with(old_id, keys.keys[old_id]))
    with pytest.raises(
        CommandError,
        match=rf"seq={seq}: row is signed with the key '{old_id}', which the chain replaced at "
        rf"seq={first_k2.seq}",
    ):
        verify()


def test_a_process_with_the_setting_from_before_the_rotation_refuses_to_write(world, settings):
    """A worker not yet restarted after the rotation writes nothing, rather than a row signed
    with the replaced key that would break the chain for good."""
    from django.core.exceptions import ImproperlyConfigured

    old_setting, _ = rotate(settings)
    log_action(event_type="after_rotation", subject=world.sundsvall)
    n = AuditEvent.objects.count()
    settings.BRYGGA_AUDIT_KEYS = old_setting
    with pytest.raises(ImproperlyConfigured, match=r"from before a key rotation, or with"):
        log_action(event_type="stale_process", subject=world.sundsvall)
    assert AuditEvent.objects.count() == n


def test_keys_in_the_wrong_order_are_refused_before_a_row_is_written(world, settings):
    old_setting, old_id = rotate(settings)
    log_action(event_type="after_rotation", subject=world.sundsvall)
    from django.core.exceptions import ImproperlyConfigured

    n = AuditEvent.objects.count()
    k2_entry = settings.BRYGGA_AUDIT_KEYS.split(",")[0]
    settings.BRYGGA_AUDIT_KEYS = f"{old_setting},{k2_entry}"  # the replaced key first again
    with pytest.raises(ImproperlyConfigured, match=rf"'{old_id}' was replaced by 'k2'"):
        log_action(event_type="wrong_order", subject=world.sundsvall)
    assert AuditEvent.objects.count() == n
    verify()


def test_a_new_key_can_follow_a_lost_one(world, settings):
    """The old key is lost: with a new key alone Brygga goes on recording; verify says which
    rows it can no longer check."""
    old_id = audit_keys().current_id
    settings.BRYGGA_AUDIT_KEYS = f"k2:{new_key()}"
    event = log_action(event_type="after_the_loss", subject=world.sundsvall)
    assert event.key_id == "k2"
    with pytest.raises(CommandError, match=rf"seq=1: row is signed with the key '{old_id}'"):
        verify()
