"""The database refuses to change or remove audit rows.

PostgreSQL: one statement-level trigger refuses UPDATE, DELETE and TRUNCATE on
``audit_auditevent``, for every role, the table's owner included. TRUNCATE passes only in a
test database (a name beginning with ``test_``, as Django's test runner makes them) and in a
session that has set ``brygga.audit_allow_truncate = on``: the test settings do that
(``BRYGGA_AUDIT_ALLOW_FLUSH``) because Django's test runner empties every table with one
TRUNCATE between transactional tests; nothing in Brygga sets it otherwise. The name check
keeps a production database safe even from the test settings pointed at it by mistake
(``DJANGO_SETTINGS_MODULE=…test brygga flush``).

SQLite: triggers refuse UPDATE, and DELETE unless the connection's function
``brygga_audit_flush_allowed()`` says yes (``brygga.audit.protection``; only with the test
settings, and only for an in-memory database, which is what Django's test runner uses). SQLite has no TRUNCATE; a connection without that function (the sqlite3 shell) gets
an error for every DELETE.

This is a guard against mistakes and injected SQL, not against the table's owner, who can
disable a trigger; the keyed hash chain and the heads kept outside the database are what
detect that. A later migration that rebuilds this table on SQLite drops the triggers and must
create them again (tests/audit/test_protection.py checks that they exist).
"""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION brygga_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_database() LIKE 'test\\_%'
       AND coalesce(current_setting('brygga.audit_allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit trail (%) is append-only: % is not allowed.', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Audit rows are never changed or removed (docs/ADMIN.md, audit trail).';
END;
$$;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION brygga_audit_append_only();
"""
PG_REMOVE = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS brygga_audit_append_only();
"""
SQLITE_INSTALL = [
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'The audit trail (audit_auditevent) is append-only: UPDATE is not allowed.');
    END""",
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT brygga_audit_flush_allowed()
    BEGIN
        SELECT RAISE(ABORT, 'The audit trail (audit_auditevent) is append-only: DELETE is not allowed.');
    END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_keyed_chain"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
