"""One audit chain per municipality plus one for the installation (chain 0).

A municipality's rows link to each other and move only that municipality's head, so writers of
different municipalities never wait on one another; sign-ins and rows of no municipality go to
chain 0. `brygga audit verify` walks every chain, names the chain of a bad row, prints one head
per chain and checks expected heads chain by chain."""

from __future__ import annotations

import re
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent, ChainHead
from brygga.audit.services import log_action
from brygga.core import citus

from . import tampering

pytestmark = pytest.mark.django_db

GENESIS = "0" * 64
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the row-number sequence is PostgreSQL's"
)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def head_lines(output: str) -> list[str]:
    return re.findall(r"^Head: (\d+:\d+:[0-9a-f]{64})$", output, flags=re.MULTILINE)


def heads() -> dict[int, tuple[int, str]]:
    return {h.id: (h.seq, h.hash) for h in ChainHead.objects.all()}


def newest(chain: int) -> AuditEvent:
    return AuditEvent.objects.filter(chain=chain).order_by("-seq").first()


def test_rows_of_two_municipalities_go_to_two_chains_with_their_own_heads(world):
    sundsvall, timra = world.sundsvall.pk, world.timra.pk
    assert set(heads()) == {0, sundsvall, timra}
    for chain in (sundsvall, timra):
        rows = tampering.chain_rows(chain)
        assert rows and {r.municipality_id for r in rows} == {chain}
        # linked to each other, from the chain's own genesis, whatever rows came between
        assert rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
        assert heads()[chain] == (rows[-1].seq, rows[-1].hash)

    s1 = log_action(event_type="s1", subject=world.sundsvall)
    t1 = log_action(event_type="t1", subject=world.timra)
    s2 = log_action(event_type="s2", subject=world.sundsvall)
    assert (s1.chain, t1.chain, s2.chain) == (sundsvall, timra, sundsvall)
    assert s1.seq < t1.seq < s2.seq  # unique across the installation, not per chain
    assert s2.prev_hash == s1.hash  # not t1's, written between them
    assert t1.prev_hash != s1.hash
    assert heads()[sundsvall] == (s2.seq, s2.hash) and heads()[timra] == (t1.seq, t1.hash)


def test_a_write_in_one_municipality_does_not_touch_the_other_heads(world):
    before = heads()
    with CaptureQueriesContext(connection) as queries:
        row = log_action(event_type="only_sundsvall", subject=world.sundsvall)
    after = heads()
    assert after[world.sundsvall.pk] == (row.seq, row.hash)
    assert {c: h for c, h in after.items() if c != world.sundsvall.pk} == {
        c: h for c, h in before.items() if c != world.sundsvall.pk
    }
    # Only Sundsvall's head row was read, locked or written.
    on_heads = [q["sql"] for q in queries.captured_queries if "audit_chainhead" in q["sql"]]
    assert on_heads
    for sql in on_heads:
        assert re.search(rf"\bid\b\W* = {world.sundsvall.pk}\b", sql), sql
        assert str(world.timra.pk) not in re.sub(r"'[^']*'", "", sql), sql


def test_a_new_municipality_starts_its_own_chain_at_the_genesis(world):
    assert not ChainHead.objects.filter(id=999_001).exists()
    first = log_action(event_type="first", municipality_id=999_001)
    assert first.chain == 999_001 and first.prev_hash == GENESIS
    assert heads()[999_001] == (first.seq, first.hash)
    assert f"999001:{first.seq}:{first.hash}" in head_lines(verify())


def test_sign_ins_and_rows_of_no_municipality_go_to_chain_0(world):
    before = {c: h for c, h in heads().items() if c != 0}
    user = world.users["coordinator"]  # a member of Sundsvall
    Client().force_login(user)
    for username in (user.username, "nobody-with-this-name"):
        r = Client().post("/konto/logga-in/", {"username": username, "password": "fel"})
        assert r.status_code == 200  # the form again, with its error
    with acting_as(label="import"):
        installation = log_action(event_type="installation_wide_import")
    rows = list(AuditEvent.objects.filter(kind__in=["login", "login_failed"]).order_by("seq")) + [
        installation
    ]
    assert [r.kind for r in rows] == ["login", "login_failed", "login_failed", "action"]
    assert {r.chain for r in rows} == {0}
    assert {r.municipality_id for r in rows} == {None}
    assert [b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False)] == [True] * 3
    assert heads()[0] == (installation.seq, installation.hash)
    assert {c: h for c, h in heads().items() if c != 0} == before
    verify()


@pytest.mark.parametrize("which", ["installation", "sundsvall", "timra"])
def test_verify_names_the_chain_of_an_edited_row(world, which):
    chain = {"installation": 0, "sundsvall": world.sundsvall.pk, "timra": world.timra.pk}[which]
    target = tampering.chain_rows(chain)[1]
    tampering.sql("UPDATE audit_auditevent SET object_repr = 'ändrad' WHERE seq = %s", target.seq)
    prefix = "" if chain == 0 else rf"chain {chain}: "
    with pytest.raises(
        CommandError,
        match=rf"^Audit chain {chain} broken at row seq={target.seq}: {prefix}content does not "
        r"match its hash \(edited\)",
    ):
        verify()


def test_a_row_moved_to_another_chain_is_detected(world):
    """``chain`` is part of a row's hash (when not 0): a row cannot be moved between
    municipalities; its old chain misses it first."""
    timra_rows = tampering.chain_rows(world.timra.pk)
    moved = timra_rows[0]
    if citus.is_citus():
        # a distributed table's rows cannot change their distribution column: the attacker
        # removes the row and inserts it again in the other chain
        columns = [f.column for f in AuditEvent._meta.concrete_fields if f.column != "chain"]
        names = ", ".join(columns)
        tampering.sql(
            f"INSERT INTO audit_auditevent ({names}, chain) SELECT {names}, %s "  # noqa: S608
            "FROM audit_auditevent WHERE seq = %s AND chain = %s",
            world.sundsvall.pk,
            moved.seq,
            world.timra.pk,
        )
        tampering.sql(
            "DELETE FROM audit_auditevent WHERE seq = %s AND chain = %s", moved.seq, world.timra.pk
        )
    else:
        tampering.sql(
            "UPDATE audit_auditevent SET chain = %s WHERE seq = %s", world.sundsvall.pk, moved.seq
        )
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {world.timra.pk} broken at row seq={timra_rows[1].seq}: chain "
        rf"{world.timra.pk}: link to the previous row is broken",
    ):
        verify()


def test_expected_head_per_chain_a_cut_tail_is_found_only_by_its_chains_head(world):
    recorded = head_lines(verify())
    by_chain = {int(h.split(":")[0]): h for h in recorded}
    timra = world.timra.pk
    log_action(event_type="later", subject=world.timra)
    end = tampering.cut_tail(2, chain=timra)  # the row after the anchor and the anchor itself
    others = [a for c, h in by_chain.items() if c != timra for a in ("--expect-head", h)]
    out = verify(*others)  # the other chains still reach their heads
    assert out.count("found in the chain.") == len(by_chain) - 1
    anchor_seq = int(by_chain[timra].split(":")[1])
    with pytest.raises(
        CommandError,
        match=rf"does not reach the expected head: chain {timra}: the chain ends at "
        rf"seq={end.seq}, but the expected head is seq={anchor_seq}: rows were removed",
    ):
        verify(*others, "--expect-head", by_chain[timra])


def test_expected_head_of_a_chain_rewritten_with_the_key_fails_only_there(world):
    from brygga.audit.keys import audit_keys

    recorded = {int(h.split(":")[0]): h for h in head_lines(verify())}
    sundsvall = world.sundsvall.pk
    rows = tampering.chain_rows(sundsvall)
    keys = audit_keys()
    tampering.sql("UPDATE audit_auditevent SET purpose = 'x' WHERE seq = %s", rows[-1].seq)
    tampering.rewrite_chain(
        tampering.keyed_with(keys.current_id, keys.keys[keys.current_id]),
        chain=sundsvall,
        start=len(rows),
    )
    for chain, head in recorded.items():
        if chain == sundsvall:
            with pytest.raises(CommandError, match=rf"chain {sundsvall}: row {rows[-1].seq} has"):
                verify("--expect-head", head)
        else:
            verify("--expect-head", head)


def test_a_seq_hash_expected_head_is_one_of_chain_0(world):
    """Heads recorded before the chains were split have no chain: they are chain 0's."""
    installation = newest(0)
    out = verify("--expect-head", f"{installation.seq}:{installation.hash}")
    assert f"Expected head 0:{installation.seq}:{installation.hash[:12]}… found" in out
    # Sundsvall's head given without its chain is looked for in chain 0, where it is not.
    sundsvall = newest(world.sundsvall.pk)
    with pytest.raises(CommandError, match=rf"expected head is seq={sundsvall.seq}"):
        verify("--expect-head", f"{sundsvall.seq}:{sundsvall.hash}")
    verify("--expect-head", f"{world.sundsvall.pk}:{sundsvall.seq}:{sundsvall.hash}")


def test_verify_prints_one_head_line_per_chain(world):
    out = verify()
    expected = [f"{c}:{s}:{h}" for c, (s, h) in sorted(heads().items())]
    assert head_lines(out) == expected and len(expected) == 3
    assert f"rows verified in {len(expected)} chains." in out
    log_action(event_type="later", subject=world.timra)
    again = head_lines(verify())
    changed = [a for a, b in zip(expected, again, strict=True) if a != b]
    assert changed == [next(h for h in expected if h.startswith(f"{world.timra.pk}:"))]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's numbering")
def test_sqlite_numbers_rows_after_the_largest(world):
    top = AuditEvent.objects.order_by("-seq").first().seq
    rows = [
        log_action(event_type="n", subject=subject)
        for subject in (world.timra, world.sundsvall, None, world.timra)
    ]
    assert [r.seq for r in rows] == [top + 1, top + 2, top + 3, top + 4]


@POSTGRES_ONLY
def test_postgresql_numbers_rows_from_the_sequence(world):
    """seq comes from the sequence audit_auditevent_seq_seq: ascending and unique across the
    chains; a rolled-back write leaves a gap, which verify accepts."""

    def last_value() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT last_value FROM audit_auditevent_seq_seq")
            return cur.fetchone()[0]

    rows = [log_action(event_type="n", subject=world.timra)]
    assert last_value() == rows[0].seq
    try:
        with transaction.atomic():
            log_action(event_type="rolled_back", subject=world.sundsvall)
            raise RuntimeError
    except RuntimeError:
        pass
    gap = last_value()
    rows += [
        log_action(event_type="n", subject=subject)
        for subject in (world.sundsvall, None, world.timra)
    ]
    seqs = [r.seq for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert rows[0].seq < gap < rows[1].seq and last_value() == rows[-1].seq
    assert not AuditEvent.objects.filter(seq=gap).exists()
    all_seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert len(all_seqs) == len(set(all_seqs))
    verify()


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_postgresql_writers_of_different_municipalities_do_not_wait(world):
    """A transaction that holds Timrå's chain (a write not yet committed) does not hold up a
    write in Sundsvall; a second write in Timrå waits for it."""
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def timra_writer():
        try:
            with transaction.atomic():
                log_action(event_type="slow_timra_write", subject=world.timra)
                holding.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=timra_writer)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cur:
                if citus.is_citus():  # the setting must reach the workers, where the locks are
                    cur.execute("SET LOCAL citus.propagate_set_commands = 'local'")
                cur.execute("SET LOCAL lock_timeout = '2s'")
            log_action(event_type="sundsvall_meanwhile", subject=world.sundsvall)
        with pytest.raises(DatabaseError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cur:
                if citus.is_citus():
                    cur.execute("SET LOCAL citus.propagate_set_commands = 'local'")
                cur.execute("SET LOCAL lock_timeout = '300ms'")
            log_action(event_type="timra_meanwhile", subject=world.timra)
    finally:
        release.set()
        thread.join(20)
    assert not errors
    assert AuditEvent.objects.filter(event_type="slow_timra_write").exists()
    assert AuditEvent.objects.filter(event_type="sundsvall_meanwhile").exists()
    verify()
