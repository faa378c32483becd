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

from brygga.audit.models import AuditEvent, ChainHead, SigningKey
from brygga.audit.services import log_action
from brygga.core import citus

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


def printed_heads(output: str) -> dict[int, str]:
    """The ``Head: CHAIN:SEQ:HASH`` lines, one per chain: chain -> "CHAIN:SEQ:HASH"."""
    heads = re.findall(r"^Head: ((\d+):\d+:[0-9a-f]{64})$", output, flags=re.MULTILINE)
    assert len({chain for _, chain in heads}) == len(heads), output
    return {int(chain): head for head, chain in heads}


def printed_head(output: str, chain: int) -> str:
    return printed_heads(output)[chain]


def seq_of(head: str) -> int:
    return int(head.split(":")[1])


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
    """One head per chain: the installation's (users), Sundsvall's and Timrå's."""
    out = verify()
    heads = {h.id: f"{h.id}:{h.seq}:{h.hash}" for h in ChainHead.objects.all()}
    assert set(heads) == {0, world.sundsvall.pk, world.timra.pk}
    assert printed_heads(out) == heads
    for chain, head in heads.items():
        newest = AuditEvent.objects.filter(chain=chain).order_by("-seq").first()
        assert head == f"{chain}:{newest.seq}:{newest.hash}"
    n = AuditEvent.objects.count()
    assert f"Audit chain intact: {n} rows verified in 3 chains." in out
    assert f"Rows per key: {audit_keys().current_id}: {n}." in out


def test_chain_recomputed_with_plain_sha256_is_detected(world):
    """The attacker rewrites every row's hash of a chain (and its head) with plain SHA-256, as
    the chain was computed before it was keyed: every link and hash holds, but no row carries a
    key."""
    chain = world.sundsvall.pk
    third = tampering.chain_rows(chain)[2]
    tampering.sql(
        "UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = %s", third.seq
    )
    tampering.rewrite_chain(tampering.plain_sha256, chain=chain)
    last = ChainHead.objects.get(id=chain).seq
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {chain} broken at row seq={last}: chain {chain}: the newest row has "
        r"no audit key",
    ):
        verify()


def test_chain_recomputed_with_a_wrong_key_is_detected(world):
    chain = world.sundsvall.pk
    first, _, third, *_ = tampering.chain_rows(chain)
    tampering.sql(
        "UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = %s", third.seq
    )
    tampering.rewrite_chain(tampering.keyed_with(audit_keys().current_id), chain=chain)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {chain} broken at row seq={first.seq}: chain {chain}: content does "
        "not match its hash",
    ):
        verify()


def test_chain_signed_under_a_key_id_of_the_attackers_own_is_detected(world):
    chain = world.sundsvall.pk
    fifth = tampering.chain_rows(chain)[4]
    tampering.rewrite_chain(tampering.keyed_with("k9"), chain=chain, start=5)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {chain} broken at row seq={fifth.seq}: chain {chain}: row is signed "
        "with the key 'k9'",
    ):
        verify()


@pytest.mark.parametrize("where", ["installation", "municipality"])
def test_forged_row_with_a_keyless_hash_is_detected(world, where):
    """A row appended with plain SQL, its hash computed as a legacy (key-less) row and its
    chain's head moved to it: links and head hold, but a key-less row cannot follow signed
    ones."""
    chain = 0 if where == "installation" else world.timra.pk
    seq = tampering.append_row(
        tampering.plain_sha256, chain=chain, event_type="lägesbild_published"
    )
    with pytest.raises(
        CommandError, match=rf"Audit chain {chain} broken at row seq={seq}: .*row has no audit key"
    ):
        verify()


def test_truncated_tail_is_detected_with_the_expected_head(world):
    chain = world.sundsvall.pk
    anchor = printed_head(verify(), chain)
    seq = seq_of(anchor)
    log_action(event_type="after_the_anchor", subject=world.sundsvall)
    end = tampering.cut_tail(4, chain=chain)  # the row after the anchor and three before it
    assert end == tampering.chain_rows(chain)[-1] and end.seq < seq
    verify()  # the database alone cannot tell: the head was moved with the rows
    with pytest.raises(
        CommandError,
        match=rf"does not reach the expected head: chain {chain}: the chain ends at "
        rf"seq={end.seq}, but the expected head is seq={seq}: rows were removed from the end\. "
        rf"The chain in the database ends at Head: {chain}:{end.seq}:{end.hash}\.",
    ):
        verify("--expect-head", anchor)


def test_chain_rewritten_with_the_key_is_detected_at_the_expected_head(world):
    """Even someone holding the key (stolen with the server) cannot rewrite rows up to a head
    recorded outside the database."""
    chain = world.sundsvall.pk
    anchor = printed_head(verify(), chain)
    seq = seq_of(anchor)
    rows = tampering.chain_rows(chain)
    assert rows[-1].seq == seq
    keys = audit_keys()
    tampering.sql(
        "UPDATE audit_auditevent SET object_repr = 'rewritten' WHERE seq = %s", rows[-2].seq
    )
    tampering.rewrite_chain(
        tampering.keyed_with(keys.current_id, keys.keys[keys.current_id]),
        chain=chain,
        start=len(rows) - 1,
    )
    verify()  # valid with the key
    with pytest.raises(
        CommandError,
        match=rf"chain {chain}: row {seq} has the hash [0-9a-f]{{64}}, but the expected head is "
        rf"{seq}:[0-9a-f]{{64}}: the chain was rewritten",
    ):
        verify("--expect-head", anchor)


def test_expected_heads_that_hold_are_confirmed(world):
    first = printed_heads(verify())
    log_action(event_type="later", subject=world.sundsvall)
    genesis = "0" * 64
    args = [a for head in first.values() for a in ("--expect-head", head)]
    out = verify(
        *args, "--expect-head", f"0:{genesis}", "--expect-head", f"{world.timra.pk}:0:{genesis}"
    )
    for head in first.values():
        chain, seq, h = head.split(":")
        assert f"Expected head {chain}:{seq}:{h[:12]}… found in the chain." in out
    # a SEQ:HASH head (from before the chains were split) is one of chain 0
    assert f"Expected head 0:0:{genesis[:12]}… found in the chain." in out
    assert f"Expected head {world.timra.pk}:0:{genesis[:12]}… found in the chain." in out
    now = printed_heads(out)
    assert now[world.sundsvall.pk] != first[world.sundsvall.pk]
    assert {c: h for c, h in now.items() if c != world.sundsvall.pk} == {
        c: h for c, h in first.items() if c != world.sundsvall.pk
    }


def test_expected_head_must_be_chain_seq_and_hash(world):
    for wrong in ("12", "x:12:" + "0" * 64, "1:2:3:" + "0" * 64, "0:12:" + "0" * 63):
        with pytest.raises(CommandError, match="is not a head: give CHAIN:SEQ:HASH"):
            verify("--expect-head", wrong)


def test_key_rotation_new_rows_signed_with_the_new_key_old_rows_verify(world, settings):
    old = audit_keys()
    before = AuditEvent.objects.count()
    settings.BRYGGA_AUDIT_KEYS = f"k2:{new_key()},{settings.BRYGGA_AUDIT_KEYS}"
    event = log_action(event_type="after_rotation", subject=world.sundsvall)
    assert event.key_id == "k2" and event.prev_hash != ""
    assert SigningKey.objects.get().key_id == "k2"
    assert SigningKey.objects.get().since_seq == event.seq
    # The other chains go on with the new key, too.
    other = log_action(event_type="after_rotation", subject=world.timra)
    assert other.key_id == "k2" and other.chain == world.timra.pk
    out = verify()
    assert f"Rows per key: {old.current_id}: {before}, k2: 2." in out
    # The old key is still needed for the rows it signed.
    settings.BRYGGA_AUDIT_KEYS = settings.BRYGGA_AUDIT_KEYS.split(",")[0]
    first = tampering.chain_rows(0)[0]
    with pytest.raises(
        CommandError,
        match=rf"Audit chain 0 broken at row seq={first.seq}: row is signed with the key "
        rf"'{old.current_id}', which",
    ):
        verify()


def test_rows_of_a_migrated_database_verify_as_legacy_and_are_sealed(db):
    """A database from before the keyed chain: plain SHA-256 rows, key id "", one head (id 1).
    Migration 0002 seals them with one signed row, migration 0004 makes them chain 0 (its head
    moves to id 0); they verify, and rewriting them all without the key (the seal included) is
    found."""
    if citus.is_citus():
        pytest.skip(
            "a database from before audit.0002 is migrated on plain PostgreSQL before "
            "`brygga citus distribute`; a distributed table never holds that state"
        )
    assert not AuditEvent.objects.exists()
    ChainHead.objects.create(id=1)
    legacy = [
        tampering.append_row(tampering.plain_sha256, head_id=1, kind="login", actor_label="old")
        for _ in range(3)
    ]
    schema_editor = SimpleNamespace(
        connection=connection, execute=lambda sql, params=None: connection.cursor().execute(sql)
    )
    migration = importlib.import_module("brygga.audit.migrations.0002_keyed_chain")
    migration.seal_legacy_rows(apps, schema_editor)
    split = importlib.import_module("brygga.audit.migrations.0004_chain_per_municipality")
    split.move_head(apps, schema_editor)
    split.sequence_and_triggers(apps, schema_editor)
    keys = audit_keys()
    seal = AuditEvent.objects.get(seq=legacy[-1] + 1)
    assert seal.event_type == "audit_chain_keyed" and seal.key_id == keys.current_id
    assert seal.changes == {"legacy_rows": legacy[-1], "key_id": keys.current_id}
    assert list(ChainHead.objects.values_list("id", "seq", "hash")) == [(0, seal.seq, seal.hash)]
    assert SigningKey.objects.get().key_id == keys.current_id
    assert set(AuditEvent.objects.values_list("chain", flat=True)) == {0}
    after = log_action(event_type="after_the_upgrade")
    assert after.chain == 0 and after.prev_hash == seal.hash
    out = verify("--expect-head", f"{legacy[-1]}:{AuditEvent.objects.get(seq=legacy[-1]).hash}")
    assert f"Rows per key: legacy SHA-256 (no key): 3, {keys.current_id}: 2." in out
    assert printed_heads(out) == {0: f"0:{after.seq}:{after.hash}"}
    tampering.rewrite_chain(tampering.plain_sha256)
    with pytest.raises(
        CommandError,
        match=rf"chain 0 broken at row seq={after.seq}: the newest row has no audit key",
    ):
        verify()


def test_a_keyless_row_cannot_be_inserted_before_the_seal_either(world):
    """Legacy rows verify only as the oldest part of the chain."""
    first, second, third, *_ = tampering.chain_rows(0)
    tampering.rewrite_chain(tampering.plain_sha256, start=1)
    keys = audit_keys()
    signed = tampering.keyed_with(keys.current_id, keys.keys[keys.current_id])
    tampering.rewrite_chain(signed, start=2)
    tampering.rewrite_chain(tampering.plain_sha256, start=3)
    with pytest.raises(
        CommandError,
        match=rf"chain 0 broken at row seq={third.seq}: row has no audit key .* "
        rf"since seq={second.seq}",
    ):
        verify()


@override_settings(BRYGGA_AUDIT_KEYS="")
def test_without_keys_no_row_is_written(world):
    from django.core.exceptions import ImproperlyConfigured

    n = AuditEvent.objects.count()
    with pytest.raises(ImproperlyConfigured, match="BRYGGA_AUDIT_KEYS is empty"):
        log_action(event_type="unsigned", subject=world.sundsvall)
    assert AuditEvent.objects.count() == n


@pytest.mark.parametrize("into", ["the chain just walked", "a chain walked before"])
def test_a_row_committed_while_verify_runs_is_not_taken_for_a_cut_tail(world, monkeypatch, into):
    """The daily job runs while people work: a row appended (row and head in one commit) after
    verify read a chain's last batch and before it read that chain's head is verified too, not
    reported as "removed from the end"; one committed to a chain verify has finished with is
    left for the next run, not taken for a row appended outside Brygga."""
    from brygga.audit import chain as chain_module

    sundsvall, timra = world.sundsvall, world.timra
    assert sorted(ChainHead.objects.values_list("id", flat=True)) == [0, timra.pk, sundsvall.pk]
    # Chains are walked in order: 0, Timrå, Sundsvall. The row is committed when verify reads
    # Sundsvall's head (the last chain), into Sundsvall's chain or into Timrå's.
    target = sundsvall if into == "the chain just walked" else timra

    class Heads:
        committed = None

        def __getattr__(self, name):
            return getattr(ChainHead.objects, name)

        def filter(self, *args, **kwargs):
            if kwargs.get("id") == sundsvall.pk and Heads.committed is None:
                Heads.committed = log_action(event_type="while_verifying", subject=target)
            return ChainHead.objects.filter(*args, **kwargs)

    before = AuditEvent.objects.count()
    heads_before = printed_heads(verify())
    monkeypatch.setattr(chain_module, "ChainHead", SimpleNamespace(objects=Heads()))
    out = verify()
    row = Heads.committed
    assert row is not None and row.chain == target.pk
    if target == sundsvall:
        assert f"Audit chain intact: {before + 1} rows verified in 3 chains." in out
        assert printed_heads(out) == {
            **heads_before,
            sundsvall.pk: f"{sundsvall.pk}:{row.seq}:{row.hash}",
        }
    else:
        # Timrå's chain was walked before the row came: verified up to its head then.
        assert f"Audit chain intact: {before} rows verified in 3 chains." in out
        assert printed_heads(out) == heads_before
        assert row.prev_hash == heads_before[timra.pk].split(":")[2]
        again = verify()  # the next run verifies it
        assert f"Audit chain intact: {before + 1} rows verified in 3 chains." in again
        assert printed_head(again, timra.pk) == f"{timra.pk}:{row.seq}:{row.hash}"


def rotate(settings) -> tuple[str, str]:
    """Put a new key k2 first, as docs/ADMIN.md says; returns (old setting, old key id)."""
    old_setting, old_id = settings.BRYGGA_AUDIT_KEYS, audit_keys().current_id
    settings.BRYGGA_AUDIT_KEYS = f"k2:{new_key()},{old_setting}"
    return old_setting, old_id


@pytest.mark.parametrize("where", ["the same chain", "another chain", "the installation chain"])
def test_a_replaced_key_cannot_sign_rows_after_the_rotation(world, settings, where):
    """Someone who holds the old key (it leaked; that is why it was replaced) appends a row
    signed with it after the rotation: every hash holds, but keys do not go back, in any chain,
    also one that no row has reached since the rotation."""
    _, old_id = rotate(settings)
    first_k2 = log_action(event_type="after_rotation", subject=world.sundsvall)
    chain = {
        "the same chain": world.sundsvall.pk,
        "another chain": world.timra.pk,
        "the installation chain": 0,
    }[where]
    keys = audit_keys()
    seq = tampering.append_row(tampering.keyed_with(old_id, keys.keys[old_id]), chain=chain)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {chain} broken at row seq={seq}: .*row is signed with the key "
        rf"'{old_id}', which a newer key replaced at seq={first_k2.seq}: .*forged with an old key",
    ):
        verify()


@pytest.mark.parametrize("where", ["the same chain", "another chain", "the installation chain"])
def test_a_process_with_the_setting_from_before_the_rotation_refuses_to_write(
    world, settings, where
):
    """A worker not yet restarted after the rotation writes nothing, rather than a row signed
    with the replaced key that would break the chain for good: not in the chain the new key
    first signed in, nor in any other (their heads have not seen the new key yet)."""
    from django.core.exceptions import ImproperlyConfigured

    old_setting, old_id = rotate(settings)
    first_k2 = log_action(event_type="after_rotation", subject=world.sundsvall)
    n = AuditEvent.objects.count()
    heads = list(ChainHead.objects.order_by("id").values_list("id", "seq", "hash"))
    settings.BRYGGA_AUDIT_KEYS = old_setting
    kwargs = {
        "the same chain": {"subject": world.sundsvall},
        "another chain": {"subject": world.timra},
        "the installation chain": {},
    }[where]
    with pytest.raises(
        ImproperlyConfigured,
        match=rf"'{old_id}' was replaced by 'k2' .* from before a key rotation, or with",
    ):
        log_action(event_type="stale_process", **kwargs)
    assert AuditEvent.objects.count() == n
    assert list(ChainHead.objects.order_by("id").values_list("id", "seq", "hash")) == heads
    assert SigningKey.objects.get().key_id == "k2"
    assert SigningKey.objects.get().since_seq == first_k2.seq


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite writers take the database's one write lock"
)
@pytest.mark.django_db(transaction=True)
def test_a_stale_process_writing_while_the_new_keys_first_row_commits_is_refused(world, settings):
    """The rotation races a process not yet restarted, in another chain (so no chain lock
    orders them): the new key's first row is written but not yet committed when the old
    process writes. The old process must wait and then refuse, not commit a row signed with
    the replaced key after the new key's first row, which verify would report as forged for
    good."""
    import threading

    from django.core.exceptions import ImproperlyConfigured
    from django.db import connections, transaction

    old_setting, old_id = rotate(settings)
    rotated = settings.BRYGGA_AUDIT_KEYS
    first_k2: list = []
    stale: list = []
    holding, release = threading.Event(), threading.Event()

    def new_process():
        try:
            with transaction.atomic():
                first_k2.append(log_action(event_type="after_rotation", subject=world.sundsvall))
                holding.set()
                release.wait(10)
        finally:
            holding.set()
            connections.close_all()

    def old_process():
        try:
            stale.append(log_action(event_type="stale_process", subject=world.timra))
        except Exception as exc:  # noqa: BLE001 - checked below
            stale.append(exc)
        finally:
            connections.close_all()

    new = threading.Thread(target=new_process)
    new.start()
    try:
        assert holding.wait(10) and first_k2
        settings.BRYGGA_AUDIT_KEYS = old_setting
        old = threading.Thread(target=old_process)
        old.start()
        old.join(1)  # it waits for the new key's first row to commit (or fail)
    finally:
        release.set()
        new.join(10)
    old.join(10)
    assert not old.is_alive() and len(stale) == 1
    assert isinstance(stale[0], ImproperlyConfigured), stale[0]
    assert f"'{old_id}' was replaced by 'k2'" in str(stale[0])
    assert not AuditEvent.objects.filter(event_type="stale_process").exists()
    assert SigningKey.objects.get().key_id == "k2"
    assert SigningKey.objects.get().since_seq == first_k2[0].seq
    settings.BRYGGA_AUDIT_KEYS = rotated
    verify()


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
    assert SigningKey.objects.get().key_id == "k2"
    first = tampering.chain_rows(0)[0]
    with pytest.raises(
        CommandError,
        match=rf"Audit chain 0 broken at row seq={first.seq}: row is signed with the key "
        rf"'{old_id}'",
    ):
        verify()
