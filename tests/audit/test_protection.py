"""The database itself refuses to change or remove audit rows (migration 0003's triggers), for
every role and every client, not only through Brygga's ORM."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from brygga.audit.models import AuditEvent
from brygga.core import citus

pytestmark = pytest.mark.django_db


def run(statement: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params)


def triggers() -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                "AND NOT tgisinternal AND tgenabled = 'O'"
            )
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_auditevent'"
            )
        return {name for (name,) in cur.fetchall()}


def test_the_triggers_exist_after_the_migrations():
    """A later migration that rebuilds the table (SQLite does, for most column changes) drops
    its triggers; it must create them again."""
    expected = (
        {"audit_auditevent_append_only"}
        if connection.vendor == "postgresql"
        else {"audit_auditevent_no_update", "audit_auditevent_no_delete"}
    )
    if citus.is_citus():
        # `brygga citus distribute`: row-level UPDATE/DELETE triggers reach every shard, the
        # statement-level TRUNCATE trigger stays on the coordinator's table (brygga/audit/apps.py)
        expected = {"audit_auditevent_append_only", "audit_auditevent_append_only_row"}
    assert triggers() == expected


@override_settings(BRYGGA_AUDIT_ALLOW_FLUSH=False)  # what every non-test installation has
def test_database_refuses_update_and_delete_of_audit_rows(world):
    row = AuditEvent.objects.order_by("seq")[2]
    with pytest.raises(IntegrityError, match="append-only: UPDATE is not allowed"):
        run("UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", "x", row.seq)
    with pytest.raises(IntegrityError, match="append-only: DELETE is not allowed"):
        run("DELETE FROM audit_auditevent WHERE seq = %s", row.seq)
    with pytest.raises(IntegrityError, match="append-only: DELETE is not allowed"):
        run("DELETE FROM audit_auditevent")
    AuditEvent.objects.get(seq=row.seq, actor_label=row.actor_label)  # untouched


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate_without_the_test_runners_allowance(world):
    n = AuditEvent.objects.count()
    with transaction.atomic():
        run("SET LOCAL brygga.audit_allow_truncate = 'off'")
        with pytest.raises(IntegrityError, match="append-only: TRUNCATE is not allowed"):
            run("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == n


def test_the_test_runner_may_empty_the_table(world):
    """The allowance of the test settings (BRYGGA_AUDIT_ALLOW_FLUSH): Django's flush between
    transactional tests, TRUNCATE on PostgreSQL and DELETE on SQLite, still works; rolled
    back here."""
    statement = (
        "TRUNCATE audit_auditevent"
        if connection.vendor == "postgresql"
        else "DELETE FROM audit_auditevent"
    )
    with transaction.atomic():
        run(statement)
        assert not AuditEvent.objects.exists()
        transaction.set_rollback(True)
    assert AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_be_flushed_afterwards():
    """The browser tests are transactional: the runner's flush after them must get through the
    triggers (a failing flush shows as an error in this test's teardown)."""
    from brygga.audit.services import log_action

    log_action(event_type="committed_for_real")
    assert AuditEvent.objects.filter(event_type="committed_for_real").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_allows_truncate_only_in_a_test_database():
    """The test settings' allowance is a session setting anyone can make; the trigger also
    wants a test database (test_…), so even the test settings pointed at a production database
    by mistake cannot empty its audit table."""
    import uuid

    import psycopg

    install = importlib.import_module("brygga.audit.migrations.0003_append_only_triggers")
    db = connection.settings_dict
    params = {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = f"brygga_audit_guard_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**{**params, "dbname": name}) as conn:
            conn.execute("CREATE TABLE audit_auditevent (seq bigint PRIMARY KEY)")
            conn.execute(install.PG_INSTALL)
            conn.execute("INSERT INTO audit_auditevent VALUES (1)")
            conn.execute("SET brygga.audit_allow_truncate = 'on'")
            with pytest.raises(psycopg.Error, match="append-only: TRUNCATE is not allowed"):
                conn.execute("TRUNCATE audit_auditevent")
            assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's DELETE trigger")
@override_settings(BRYGGA_AUDIT_ALLOW_FLUSH=True)
def test_sqlite_allows_the_flush_only_for_the_test_runners_in_memory_database(tmp_path):
    """A database file (every real installation) refuses DELETE even under the test settings."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    install = importlib.import_module("brygga.audit.migrations.0003_append_only_triggers")
    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "brygga.sqlite3")}, alias="guard"
    )
    try:
        with wrapper.cursor() as cur:
            cur.execute("CREATE TABLE audit_auditevent (seq integer PRIMARY KEY)")
            for statement in install.SQLITE_INSTALL:
                cur.execute(statement)
            cur.execute("INSERT INTO audit_auditevent VALUES (1)")
            with pytest.raises(IntegrityError, match="append-only: DELETE is not allowed"):
                cur.execute("DELETE FROM audit_auditevent")
    finally:
        wrapper.close()
