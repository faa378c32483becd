"""The distributed layout on a Citus cluster (``brygga citus distribute``).

Each app declares how its tables spread over a cluster, from ``ready()`` (core knows no app):

- ``Reference(model)``: shared data, copied to every node (counties, municipalities, users, …).
- ``Distributed(model, column, primary_key=…)``: tenant data, hash-distributed by ``column``
  and colocated with the other distributed tables, so the rows of one municipality live on
  one node; ``primary_key`` is the database key it gets there (it must include ``column``;
  Django keeps its own ``pk``). ``before``/``after`` are SQL run around the distribution (a
  table with triggers cannot be distributed, so they are dropped and created again).
  ``tenant(model)`` is the usual case: by ``municipality_id``, with the keys the migrations
  give every tenant table on PostgreSQL (``brygga.core.tenant_keys``).
- ``Coordinator(model)``: an app's table that stays on the coordinator (throttling data).

Tables of libraries stay on the coordinator too (sessions, the task queue, the cache,
django-axes). ``distribute()`` applies the layout in the order Citus needs (reference tables
first, then the distributed ones, each colocation group from its first table) and skips what
is already in place, so a second run changes nothing. On plain PostgreSQL and SQLite it does
nothing and says so. Every table of Brygga's apps must be declared, and the declared keys must
distribute: ``tests/core/test_citus.py`` checks both for every model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Model

from .tenant_keys import foreign_key_name, foreign_key_sql


@dataclass(frozen=True)
class Reference:
    model: type[Model]


@dataclass(frozen=True)
class Distributed:
    model: type[Model]
    column: str
    primary_key: tuple[str, ...]
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coordinator:
    """A table that stays an ordinary table on the coordinator (throttling data read and
    written by one node only); nothing distributed may have a foreign key to it."""

    model: type[Model]


def tenant(model: type[Model]) -> Distributed:
    """A tenant table: distributed by ``municipality_id``, primary key
    ``(municipality_id, id)`` (the migrations make it so on PostgreSQL: core.tenant_keys)."""
    return Distributed(model, "municipality_id", primary_key=("municipality_id", "id"))


_layout: dict[str, Reference | Distributed | Coordinator] = {}


def register(*tables: Reference | Distributed | Coordinator) -> None:
    for table in tables:
        _layout.setdefault(table.model._meta.db_table, table)


def layout() -> dict[str, Reference | Distributed | Coordinator]:
    return dict(_layout)


def is_citus(conn=connection) -> bool:
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


def _placed() -> dict[str, str]:
    """Tables Citus already manages: ``{table: "reference" | "distributed" | "local"}``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT logicalrelid::regclass::text, partmethod, repmodel FROM pg_dist_partition"
        )
        kinds = {}
        for table, method, repmodel in cursor.fetchall():
            if method == "h":
                kinds[table] = "distributed"
            elif repmodel == "t":
                kinds[table] = "reference"
            else:
                kinds[table] = "local"
        return kinds


def _workers() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0"
        )
        return int(cursor.fetchone()[0])


class CitusError(RuntimeError):
    pass


@dataclass
class Plan:
    reference: list[str] = field(default_factory=list)
    distributed: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)


def distribute(*, report: Callable[[str], None] = lambda _msg: None) -> Plan:
    """Apply the layout on a Citus coordinator (idempotent). ``CitusError`` when this is not
    a coordinator with workers."""
    if not is_citus():
        raise CitusError("not a Citus database")
    if _workers() == 0:
        raise CitusError(
            "the coordinator has no workers: add them first, e.g. "
            "SELECT citus_add_node('10.0.0.2', 5432)"
        )
    placed = _placed()
    plan = Plan()
    tables = layout()
    references = [t for t, spec in tables.items() if isinstance(spec, Reference)]
    distributed = [t for t, spec in tables.items() if isinstance(spec, Distributed)]
    with connection.cursor() as cursor:
        # Every table loses its identity columns first: a table with a foreign key to a
        # reference table becomes a Citus-managed local table, which allows no DROP IDENTITY.
        for table in _identity_tables(cursor, set(placed)):
            report(f"sequence keys for {table}")
            _identity_to_sequence(cursor, table)
        for table in references:
            if placed.get(table) == "reference":
                plan.done.append(table)
                continue
            # a shared table keeps no composite key to a tenant table (Citus allows a reference
            # table no foreign key to a distributed one); Django keeps such links consistent
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname LIKE %s "
                "AND conrelid = %s::regclass",
                ["%_tenant_fk", table],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} "
                    f"DROP CONSTRAINT {connection.ops.quote_name(name)}"
                )
            # a Citus-managed local table (one with a foreign key to a reference table made
            # before it) becomes a reference table the same way
            report(f"reference table {table}")
            cursor.execute("SELECT create_reference_table(%s)", [table])
            plan.reference.append(table)
        # Citus distributes no table that a local table's foreign key points at: the composite
        # keys between tenant tables go first and come back once all are distributed.
        links = tenant_links(tables)
        todo = {t for t in distributed if placed.get(t) != "distributed"}
        for table, column, target in links:
            if table in todo or target in todo:
                name = foreign_key_name(table, column)
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} "
                    f"DROP CONSTRAINT IF EXISTS {connection.ops.quote_name(name)}"
                )
        first: str | None = None
        for table in distributed:
            spec = tables[table]
            if placed.get(table) == "distributed":
                plan.done.append(table)
                first = first or table
                continue
            report(f"distributed table {table} by {spec.column}")
            with transaction.atomic():
                for statement in spec.before:
                    cursor.execute(statement)
                _set_primary_key(cursor, table, spec.primary_key)
                cursor.execute(
                    "SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                    [table, spec.column, first or "default"],
                )
                if spec.after:
                    cursor.execute("SET LOCAL citus.enable_unsafe_triggers = on")
                for statement in spec.after:
                    cursor.execute(statement)
            plan.distributed.append(table)
            first = first or table
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname LIKE %s",
            ["%_tenant_fk"],
        )
        present = {name for (name,) in cursor.fetchall()}
        for table, column, target in links:
            if foreign_key_name(table, column) not in present:
                report(f"foreign key {table}.{column} -> {target}")
                cursor.execute(foreign_key_sql(table, column, target, connection.ops.quote_name))
        # A transaction that has read several shards in parallel may not then write a reference
        # table that distributed tables point at (a user, a municipality): Citus then needs one
        # connection per node. One municipality's queries run on one shard anyway, so every
        # new session of this database runs multi-shard commands that way.
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(
            f"ALTER DATABASE {database} SET citus.multi_shard_modify_mode = 'sequential'"
        )
        cursor.execute("SET citus.multi_shard_modify_mode = 'sequential'")
    return plan


def tenant_links(tables: dict | None = None) -> list[tuple[str, str, str]]:
    """``(table, column, target)``: the composite foreign keys between distributed tables
    (fields with ``db_constraint=False`` whose migrations add a CompositeForeignKey)."""
    tables = layout() if tables is None else tables
    links = []
    for table, spec in tables.items():
        if not isinstance(spec, Distributed):
            continue
        for f in spec.model._meta.concrete_fields:
            if not f.is_relation or f.db_constraint:
                continue
            target = f.related_model._meta.db_table
            if isinstance(tables.get(target), Distributed):
                links.append((table, f.column, target))
    return links


def _identity_tables(cursor, placed: set[str]) -> list[str]:
    """The tables of the public schema, not yet managed by Citus, with an identity column."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind = 'r' AND a.attidentity <> '' ORDER BY 1"
    )
    return [t for (t,) in cursor.fetchall() if t not in placed]


def _identity_to_sequence(cursor, table: str) -> None:
    """Django's PostgreSQL backend makes its automatic keys identity columns, which Citus does
    not accept on a distributed table and numbers wrongly on a reference table (inserts then
    collide). The key becomes an ordinary sequence default starting after the largest id;
    Django does not notice the difference (it reads the id back with RETURNING)."""
    qn = connection.ops.quote_name
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> ''",
        [table],
    )
    for (column,) in cursor.fetchall():
        sequence = f"{table}_{column}_seq"[:63]
        cursor.execute(f"ALTER TABLE {qn(table)} ALTER COLUMN {qn(column)} DROP IDENTITY")
        cursor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {qn(sequence)} OWNED BY {qn(table)}.{qn(column)}"
        )
        cursor.execute(
            f"SELECT setval(%s, COALESCE((SELECT max({qn(column)}) FROM {qn(table)}), 0) + 1, "  # noqa: S608 - quoted identifiers
            "false)",
            [sequence],
        )
        cursor.execute(
            f"ALTER TABLE {qn(table)} ALTER COLUMN {qn(column)} "
            f"SET DEFAULT nextval('{sequence}'::regclass)"
        )


def _set_primary_key(cursor, table: str, columns: tuple[str, ...]) -> None:
    qn = connection.ops.quote_name
    cursor.execute(
        "SELECT conname, array_agg(a.attname ORDER BY k.n) FROM pg_constraint c "
        "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'p' GROUP BY conname",
        [table],
    )
    row = cursor.fetchone()
    if row is not None and tuple(row[1]) == tuple(columns):
        return
    if row is not None:
        cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(row[0])}")
    cursor.execute(f"ALTER TABLE {qn(table)} ADD PRIMARY KEY ({', '.join(qn(c) for c in columns)})")


def status() -> list[tuple[str, str, str]]:
    """``(table, wanted, now)`` for every table of the layout."""
    placed = _placed() if is_citus() else {}
    rows = []
    for table, spec in sorted(layout().items()):
        if isinstance(spec, Coordinator):
            wanted = "coordinator"
        elif isinstance(spec, Reference):
            wanted = "reference"
        else:
            wanted = f"distributed by {spec.column}"
        rows.append((table, wanted, placed.get(table, "not distributed")))
    return rows
