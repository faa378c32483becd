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
from django.test.utils import CaptureQueriesContext

from brygga.core import citus

BRYGGA_APPS = ("core", "audit", "incidents", "areastats", "surveys", "situation", "plans")
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


@dataclass(frozen=True)
class Keys:
    """The tenant keys the migrations make (``brygga.core.tenant_keys`` operations)."""

    primary: frozenset[str]  # tables with TenantPrimaryKey
    unique: frozenset[tuple[str, str]]  # (table, column) made unique with the municipality
    foreign: dict[tuple[str, str], str]  # (table, column) -> target table


def migration_keys() -> Keys:
    from django.db.migrations.loader import MigrationLoader

    from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey

    primary, unique, foreign = set(), set(), {}
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        for op in migration.operations:
            if isinstance(op, TenantPrimaryKey):
                primary.add(op.table)
                unique.update((op.table, c) for c in op.unique)
            elif isinstance(op, CompositeForeignKey):
                foreign[(op.table, op.column)] = op.target
    return Keys(frozenset(primary), frozenset(unique), foreign)


def _unique_sets(model) -> list[tuple[str, ...]]:
    meta = model._meta
    sets = [
        (f.column,)
        for f in meta.concrete_fields
        if getattr(f, "unique", False) and not getattr(f, "primary_key", False)
    ]
    for c in getattr(meta, "constraints", []):
        if isinstance(c, models.UniqueConstraint):
            sets.append(tuple(meta.get_field(name).column for name in c.fields))
    return sets


def shape_problems(layout: dict, tables: dict[str, type[models.Model]], keys: Keys) -> list[str]:
    """What would keep the layout from distributing: unclassified tables; a distributed table
    whose database key, unique constraints or foreign keys lack the distribution column; a
    foreign key to a distributed table from a table that is not distributed with it."""
    problems = []
    for table in sorted(tables):
        if table not in layout:
            problems.append(f"{table}: not classified (citus.register)")
    for table, spec in sorted(layout.items()):
        fields = spec.model._meta.concrete_fields
        columns = {f.column for f in fields}
        distributed = isinstance(spec, citus.Distributed)
        if distributed:
            if spec.column not in columns:
                problems.append(f"{table}: no column {spec.column}")
            if spec.column not in spec.primary_key:
                problems.append(f"{table}: primary key {spec.primary_key} lacks {spec.column}")
            elif spec.primary_key == (spec.column, "id"):
                if table not in keys.primary:
                    problems.append(f"{table}: no TenantPrimaryKey migration")
                if not getattr(spec.model, "tenant_row", False):
                    problems.append(f"{table}: not a TenantRow (updates would not route)")
            for unique in _unique_sets(spec.model):
                single = len(unique) == 1 and (table, unique[0]) in keys.unique
                if spec.column not in unique and not single:
                    problems.append(f"{table}: unique {unique} lacks {spec.column}")
        for f in fields:
            if not f.is_relation:
                continue
            target_table = f.related_model._meta.db_table
            target = layout.get(target_table)
            if isinstance(target, citus.Reference):
                continue
            if isinstance(target, citus.Distributed):
                composite = keys.foreign.get((table, f.column)) == target_table
                joins = getattr(f, "joins_on_tenant", False)
                if distributed and not f.db_constraint and composite and joins:
                    continue
                if not distributed and not f.db_constraint:
                    continue  # no constraint from a shared or coordinator table
            problems.append(f"{table}.{f.column}: foreign key to a table that does not distribute")
    return problems


def test_every_table_is_classified_and_every_declared_key_distributes():
    assert shape_problems(citus.layout(), brygga_tables(), migration_keys()) == []


def test_the_shape_rule_sees_a_wrong_model():
    """The rule itself: a new tenant model nobody classified, a distributed table whose key
    lacks the column or has no migration for it, a unique constraint without the column, and
    foreign keys that would not distribute."""

    class Field:
        def __init__(self, column, related=None, *, db_constraint=True, unique=False):
            self.column, self.is_relation = column, related is not None
            self.related_model, self.db_constraint, self.unique = related, db_constraint, unique
            self.joins_on_tenant = not db_constraint

    class Model:
        def __init__(self, table, *fields, tenant_row=True):
            self.tenant_row = tenant_row
            self._meta = type(
                "M", (), {"db_table": table, "concrete_fields": list(fields), "constraints": []}
            )()

    shared = Model("shared")
    tenant_target = Model("target", Field("id"), Field("municipality_id"))
    good = Model(
        "good",
        Field("id"),
        Field("municipality_id"),
        Field("shared_id", shared),
        Field("target_id", tenant_target, db_constraint=False),
    )
    bad_key = Model("bad_key", Field("id"), Field("municipality_id"))
    no_migration = Model("no_migration", Field("id"), Field("municipality_id"), tenant_row=False)
    bad_unique = Model(
        "bad_unique", Field("id"), Field("municipality_id"), Field("code", unique=True)
    )
    plain_fk = Model(
        "plain_fk", Field("id"), Field("municipality_id"), Field("t_id", tenant_target)
    )
    shared_fk = Model("shared_fk", Field("id"), Field("target_id", tenant_target))
    plain_join = Model(
        "plain_join", Field("id"), Field("municipality_id"), Field("t_id", tenant_target)
    )
    plain_join._meta.concrete_fields[-1].db_constraint = False  # no constraint, plain joins
    pk = ("municipality_id", "id")
    layout = {
        "shared": citus.Reference(shared),
        "target": citus.Distributed(tenant_target, "municipality_id", pk),
        "good": citus.Distributed(good, "municipality_id", pk),
        "bad_key": citus.Distributed(bad_key, "municipality_id", ("id",)),
        "no_migration": citus.Distributed(no_migration, "municipality_id", pk),
        "bad_unique": citus.Distributed(bad_unique, "municipality_id", pk),
        "plain_fk": citus.Distributed(plain_fk, "municipality_id", pk),
        "shared_fk": citus.Reference(shared_fk),
        "plain_join": citus.Distributed(plain_join, "municipality_id", pk),
    }
    tables = {m._meta.db_table: m for m in (shared, tenant_target, good, bad_key)}
    tables["new_tenant_table"] = Model("new_tenant_table")
    keys = Keys(
        primary=frozenset({"target", "good", "bad_key", "bad_unique", "plain_fk", "plain_join"}),
        unique=frozenset(),
        foreign={
            ("good", "target_id"): "target",
            ("plain_fk", "t_id"): "target",
            ("plain_join", "t_id"): "target",
        },
    )
    assert shape_problems(layout, tables, keys) == [
        "new_tenant_table: not classified (citus.register)",
        "bad_key: primary key ('id',) lacks municipality_id",
        "bad_unique: unique ('code',) lacks municipality_id",
        "no_migration: no TenantPrimaryKey migration",
        "no_migration: not a TenantRow (updates would not route)",
        "plain_fk.t_id: foreign key to a table that does not distribute",
        "plain_join.t_id: foreign key to a table that does not distribute",
        "shared_fk.target_id: foreign key to a table that does not distribute",
    ]


@pytest.mark.django_db
def test_libraries_tables_are_the_only_ones_left_on_the_coordinator():
    """Every table in the database is Brygga's (classified above), Django's auth and content
    types (reference tables) or on the short list of coordinator-only tables."""
    layout = citus.layout()
    brygga = brygga_tables()
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    other = sorted(present - set(layout) - set(brygga) - COORDINATOR_ONLY)
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
        if wanted in ("reference", "coordinator"):
            assert now == {"reference": "reference", "coordinator": "not distributed"}[wanted]
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
        distributed = sorted(
            t for t, s in citus.layout().items() if isinstance(s, citus.Distributed)
        )
        assert [t for (t,) in cursor.fetchall()] == distributed
        assert {"incidents_incident", "core_organisation", "audit_auditevent"} <= set(distributed)
        # one municipality's chain is read from one shard
        cursor.execute("EXPLAIN SELECT * FROM audit_auditevent WHERE chain = 250 ORDER BY seq")
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "Task Count: 1" in plan


@pytest.mark.django_db
def test_on_citus_one_municipality_s_queries_run_on_one_shard():
    """A municipality's incident list (with the joins to areas and organisations), its forums
    with their areas and one row of it each run as one task on one shard. (No test data: EXPLAIN
    needs connections that Citus refuses after local writes in the same transaction.)"""
    if not citus.is_citus():
        pytest.skip("needs a Citus coordinator (the Citus stage of CI)")
    from brygga.core.models import Forum, Municipality
    from brygga.incidents.models import Incident

    s = Municipality.objects.get(code="2281")
    scope = Incident.objects.in_scope_of([s.pk], [s.county_id])
    queries = {
        "list": scope.filter(area__name="Centrum").select_related("area")[:50],
        "forums": Forum.objects.filter(municipality=s, areas__name="Centrum").values("name"),
        "organisation": scope.filter(reporting_organisation__name__startswith="F"),
        "one row": Incident.objects.filter(municipality_id=s.pk, pk=1),
    }
    for name, qs in queries.items():
        assert "Task Count: 1" in qs.explain(), name


@pytest.mark.django_db
def test_an_update_of_one_row_names_its_municipality_and_leaves_it_alone(world):
    """On every database: the UPDATE of a saved tenant row has ``municipality_id`` in its WHERE
    (Citus routes it to one shard) and not among the columns it sets (Citus refuses that)."""
    from ..incidents.factories import make_incident

    incident = make_incident(world, area=world.areas["centrum"])
    with CaptureQueriesContext(connection) as captured:
        incident.status = "reviewed"
        incident.save()
    sqls = [q["sql"] for q in captured.captured_queries]
    (update,) = [q for q in sqls if q.startswith('UPDATE "incidents_incident"')]
    changes, where = update.split(" WHERE ")
    assert '"municipality_id"' in where and '"municipality_id"' not in changes
    incident.municipality = world.timra
    with pytest.raises(ValueError, match="cannot move to another municipality"):
        incident.save()
