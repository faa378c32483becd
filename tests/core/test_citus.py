"""The distributed layout (brygga/core/citus.py): every table of Brygga's apps is classified,
the declared keys can be distributed, and the command says so when there is nothing to do.

The key-shape rule fails for a new model that no app classified, or whose declared key would
not distribute: the apps to come are born distributable instead of converted later."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from brygga.core import citus

BRYGGA_APPS = ("core", "audit", "incidents")
# Tables of libraries and of Django that stay on the coordinator: sessions, the cache, the
# task queue, sign-in throttling and second factors (per user, read at sign-in only).
COORDINATOR_ONLY = {
    "django_session",
    "django_migrations",
    "brygga_cache",
    "django_tasks_database_dbtaskresult",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accesslog",
    "axes_accessfailurelog",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "otp_totp_totpdevice",
}


def brygga_tables() -> dict[str, type[models.Model]]:
    tables = {}
    for label in BRYGGA_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if not model._meta.managed or model._meta.proxy:
                continue
            tables[model._meta.db_table] = model
    return tables


def shape_problems(layout: dict, pending: dict, tables: dict[str, type[models.Model]]) -> list[str]:
    """What would keep the layout from distributing: unclassified tables, distributed keys
    without the distribution column, and foreign keys from a distributed table to a table
    that is neither a reference table nor distributed by the same column."""
    problems = []
    for table in sorted(tables):
        if table not in layout and table not in pending:
            problems.append(f"{table}: not classified (citus.register or register_pending)")
    for table, spec in sorted(layout.items()):
        if not isinstance(spec, citus.Distributed):
            continue
        columns = {f.column for f in spec.model._meta.concrete_fields}
        if spec.column not in columns:
            problems.append(f"{table}: no column {spec.column}")
        if spec.column not in spec.primary_key:
            problems.append(f"{table}: primary key {spec.primary_key} lacks {spec.column}")
        for f in spec.model._meta.concrete_fields:
            if not f.is_relation or not f.db_constraint:
                continue
            target = layout.get(f.related_model._meta.db_table)
            if isinstance(target, citus.Reference):
                continue
            if isinstance(target, citus.Distributed) and spec.column in {
                g.column for g in spec.model._meta.concrete_fields
            }:
                continue
            problems.append(f"{table}.{f.column}: foreign key to a table that does not distribute")
    return problems


def test_every_table_is_classified_and_every_declared_key_distributes():
    assert shape_problems(citus.layout(), citus.pending(), brygga_tables()) == []


def test_the_shape_rule_sees_a_wrong_model():
    """The rule itself: a new tenant model nobody classified, a distributed table whose key
    lacks the column, and one with a foreign key to a table that does not distribute."""

    @dataclass(frozen=True)
    class Meta:
        db_table: str

    class Field:
        def __init__(self, column, related=None):
            self.column, self.is_relation = column, related is not None
            self.related_model, self.db_constraint = related, True

    class Model:
        def __init__(self, table, *fields):
            self._meta = type("M", (), {"db_table": table, "concrete_fields": list(fields)})()

    shared = Model("shared")
    local = Model("local_only", Field("id"))
    good = Model("good", Field("id"), Field("municipality_id"), Field("shared_id", shared))
    bad_key = Model("bad_key", Field("id"), Field("municipality_id"))
    bad_fk = Model("bad_fk", Field("id"), Field("municipality_id"), Field("other_id", local))
    layout = {
        "shared": citus.Reference(shared),
        "good": citus.Distributed(good, "municipality_id", ("municipality_id", "id")),
        "bad_key": citus.Distributed(bad_key, "municipality_id", ("id",)),
        "bad_fk": citus.Distributed(bad_fk, "municipality_id", ("municipality_id", "id")),
    }
    tables = {
        "shared": shared,
        "good": good,
        "bad_key": bad_key,
        "bad_fk": bad_fk,
        "new_tenant_table": Model("new_tenant_table"),
    }
    assert shape_problems(layout, {}, tables) == [
        "new_tenant_table: not classified (citus.register or register_pending)",
        "bad_fk.other_id: foreign key to a table that does not distribute",
        "bad_key: primary key ('id',) lacks municipality_id",
    ]


@pytest.mark.django_db
def test_libraries_tables_are_the_only_ones_left_on_the_coordinator():
    """Every table in the database is Brygga's (classified above), Django's auth and content
    types (reference tables) or on the short list of coordinator-only tables."""
    layout = citus.layout()
    brygga = brygga_tables()
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    other = sorted(present - set(layout) - set(citus.pending()) - set(brygga) - COORDINATOR_ONLY)
    assert other == []


@pytest.mark.django_db
def test_the_command_has_nothing_to_do_without_citus(capsys):
    if citus.is_citus():
        pytest.skip("runs on plain PostgreSQL and SQLite")
    call_command("citus", "distribute")
    call_command("citus", "status")
    out = capsys.readouterr().out
    assert out.count("Nothing to do: the database") == 2
    assert f"({connection.vendor})" in out


@pytest.mark.django_db
def test_on_citus_the_layout_is_applied_and_a_second_run_changes_nothing(capsys):
    """The Citus stage of CI: the test database was distributed by `brygga citus distribute`
    (tests/conftest.py); every declared table is in place, so another run makes nothing."""
    if not citus.is_citus():
        pytest.skip("needs a Citus coordinator (the Citus stage of CI)")
    for table, wanted, now in citus.status():
        if wanted == "reference":
            assert now == "reference", table
        elif wanted.startswith("distributed"):
            assert now == "distributed", table
    call_command("citus", "distribute")
    out = capsys.readouterr().out
    assert "Reference tables made: 0; distributed tables made: 0;" in out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT logicalrelid::regclass::text FROM pg_dist_partition WHERE partmethod = 'h' "
            "AND partkey IS NOT NULL ORDER BY 1"
        )
        assert [t for (t,) in cursor.fetchall()] == ["audit_auditevent", "audit_chainhead"]
        # one municipality's chain is read from one shard
        cursor.execute("EXPLAIN SELECT * FROM audit_auditevent WHERE chain = 250 ORDER BY seq")
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "Task Count: 1" in plan
