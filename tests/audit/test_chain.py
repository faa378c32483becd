"""The audit trail is append-only and hash-chained; `brygga audit verify` finds tampering."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brygga.audit.models import AppendOnlyError, AuditEvent
from brygga.audit.services import log_access, log_action

from . import tampering

pytestmark = pytest.mark.django_db


def verify(capsys) -> str:
    call_command("audit", "verify")
    return capsys.readouterr().out


def test_chain_is_intact_after_normal_work(world, capsys):
    n = AuditEvent.objects.count()
    assert n > 10
    assert f"{n} rows verified" in verify(capsys)


def test_orm_refuses_to_change_or_delete_rows(world):
    event = AuditEvent.objects.order_by("seq").first()
    event.actor_label = "someone else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=event.seq).update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def _sql(statement: str, *params):
    # As someone with write access to the database: the append-only triggers switched off.
    tampering.sql(statement, *params)


def test_edited_row_is_named(world):
    target = AuditEvent.objects.order_by("seq")[4]
    _sql("UPDATE audit_auditevent SET object_repr = %s WHERE seq = %s", "ändrad", target.seq)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {target.chain} broken at row seq={target.seq}: "
        rf"chain {target.chain}: content does not match",
    ):
        call_command("audit", "verify")


def test_edited_changes_json_is_named(world):
    target = AuditEvent.objects.filter(kind="create").order_by("seq")[2]
    _sql(
        "UPDATE audit_auditevent SET changes = %s WHERE seq = %s",
        '{"name": [null, "x"]}',
        target.seq,
    )
    with pytest.raises(CommandError, match=rf"seq={target.seq}"):
        call_command("audit", "verify")


def test_deleted_row_is_named(world):
    """Row numbers have gaps within a chain (they are unique across the installation), so a
    row removed from the middle shows as the broken link of the next row of its chain."""
    target = AuditEvent.objects.order_by("seq")[3]
    after = AuditEvent.objects.filter(chain=target.chain, seq__gt=target.seq).order_by("seq")[0]
    _sql("DELETE FROM audit_auditevent WHERE seq = %s", target.seq)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {target.chain} broken at row seq={after.seq}: chain {target.chain}: "
        r"link to the previous row is broken \(a row before it was removed",
    ):
        call_command("audit", "verify")


def test_deleted_last_rows_are_found(world):
    last = AuditEvent.objects.order_by("-seq").first()
    _sql("DELETE FROM audit_auditevent WHERE seq = %s", last.seq)
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {last.chain} broken at row .* removed from the end \(the chain's "
        rf"head is seq={last.seq}\)",
    ):
        call_command("audit", "verify")


def test_row_inserted_out_of_band_is_named(world):
    """A forger who recomputes the hash (with the key) and links the row to its chain's newest
    row still breaks the link to the chain head."""
    chain = world.sundsvall.pk
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").first()
    forged = AuditEvent(
        seq=tampering.free_seq(),
        chain=chain,
        created_at=last.created_at,
        actor_label="forger",
        municipality_id=chain,
        kind="action",
        prev_hash=last.hash,
        key_id=last.key_id,  # signed with the key, as someone who stole it with the server
    )
    forged.hash = forged.compute_hash()
    _sql(
        "INSERT INTO audit_auditevent (seq, chain, created_at, actor_label, municipality_id, "
        "kind, event_type, object_type, object_id, object_repr, changes, purpose, request_id, "
        "prev_hash, key_id, hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, '', '', '', '', %s, '', '', %s, %s, %s)",
        forged.seq,
        forged.chain,
        forged.created_at,
        "forger",
        chain,
        "action",
        "{}",
        forged.prev_hash,
        forged.key_id,
        forged.hash,
    )
    with pytest.raises(
        CommandError,
        match=rf"Audit chain {chain} broken at row seq={forged.seq}: chain {chain}: rows were "
        r"appended outside Brygga",
    ):
        call_command("audit", "verify")


def test_row_inserted_in_the_middle_is_named(world):
    rows = list(AuditEvent.objects.order_by("seq")[:3])
    _sql("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq >= %s", rows[2].seq)
    with pytest.raises(CommandError, match=r"seq="):
        call_command("audit", "verify")


def test_log_access_and_actions_are_chained(world, capsys):
    reader = world.users["case_worker"]
    e1 = log_access(reader, world.orgs["social"], "SSPF-möte", fields=("name",))
    e2 = log_action(
        event_type="lägesbild_published", subject=world.sundsvall, details={"version": 1}
    )
    assert e2.prev_hash == e1.hash and e2.seq == e1.seq + 1
    assert e1.actor_label == "case_worker" and e1.purpose == "SSPF-möte"
    assert e1.municipality_id == world.sundsvall.pk
    assert "rows verified" in verify(capsys)


def test_every_domain_model_is_tracked():
    from django.apps import apps

    from brygga.audit.tracking import is_tracked

    for app_label in ("core",):
        for model in apps.get_app_config(app_label).get_models():
            assert is_tracked(model), model
