"""The database's side of "append-only": what the triggers of migration 0003 ask a connection.

Django's test runner empties every table between transactional tests (PostgreSQL: one
TRUNCATE of all tables; SQLite: DELETE FROM each table), and the triggers would refuse that
for the audit table. ``BRYGGA_AUDIT_ALLOW_FLUSH`` (True in the test settings only; not read
from the environment) lets a connection do it:

- PostgreSQL: the session sets ``brygga.audit_allow_truncate = on`` when it opens; TRUNCATE is
  then allowed in a test database (name ``test_…``), UPDATE and DELETE never are.
- SQLite: every connection gets the function ``brygga_audit_flush_allowed()``, which the DELETE
  trigger asks; it answers with the setting, read at call time, and only for an in-memory
  database (the test runner's).

So the test settings pointed at a production database by mistake still cannot empty its audit
table.
"""

from __future__ import annotations

from django.conf import settings

FLUSH_SETTING = "BRYGGA_AUDIT_ALLOW_FLUSH"
PG_ALLOW_TRUNCATE = "brygga.audit_allow_truncate"
SQLITE_FUNCTION = "brygga_audit_flush_allowed"


def flush_allowed() -> bool:
    return bool(getattr(settings, FLUSH_SETTING, False))


def on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        in_memory = connection.is_in_memory_db()
        connection.connection.create_function(
            SQLITE_FUNCTION, 0, lambda: int(in_memory and flush_allowed()), deterministic=False
        )
    elif connection.vendor == "postgresql" and flush_allowed():
        with connection.cursor() as cursor:
            cursor.execute(f"SET {PG_ALLOW_TRUNCATE} = 'on'")
