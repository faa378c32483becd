"""Database keys of tenant tables that a Citus cluster can distribute (migration operations).

A tenant table (one row per municipality's data) is distributed by ``municipality_id``
(``brygga.core.citus``). Citus accepts a primary key, a unique constraint or a foreign key
between two distributed tables only when it includes that column. So on PostgreSQL (plain or
Citus) the migrations give every tenant table:

- the primary key ``(municipality_id, id)`` (:class:`TenantPrimaryKey`); Django keeps ``id``
  as its ``pk`` and still numbers it from one sequence per table, so ``id`` alone stays
  unique in practice, and every lookup by id works as before;
- for each foreign key to another tenant table, a composite foreign key
  ``(municipality_id, x_id) REFERENCES target (municipality_id, id)``
  (:class:`CompositeForeignKey`). The Django field is a :class:`TenantForeignKey` (or
  :class:`TenantOneToOneField`): it has no single-column constraint of Django's
  (``db_constraint=False``), and its joins compare the municipality too, so that Citus runs
  them on the shard that holds both rows. The composite key is stronger than Django's: it
  also guarantees that both rows belong to the same municipality;
- single-column unique constraints that Django creates for ``OneToOneField`` become
  ``(municipality_id, column)`` (``TenantPrimaryKey(unique=...)``); other unique constraints
  are declared in the models with the municipality among their fields.

SQLite (the demo and development database) keeps Django's plain keys; there the links between
tenant tables have no database constraint and Django's ``on_delete`` handling (which runs in
Python on every backend) keeps them consistent. The rule is checked by
``tests/core/test_citus.py`` for every model, so a new app cannot add a key that would not
distribute.
"""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations.base import Operation

TENANT_COLUMN = "municipality_id"
TENANT_FIELD = "municipality"


class TenantRow:
    """A row of a tenant table (mixed in before ``models.Model``): an update of one row names
    its municipality (``WHERE municipality_id = … AND id = …``), so that Citus sends it to
    one shard, and leaves the municipality itself alone (Citus refuses to write the column a
    table is distributed by, and a row never moves to another municipality)."""

    tenant_row = True

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        row._tenant_loaded = row.__dict__.get(TENANT_COLUMN)
        return row

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        current = getattr(self, TENANT_COLUMN)
        loaded = getattr(self, "_tenant_loaded", current)
        if loaded is not None and current != loaded:
            raise ValueError("A row of a municipality cannot move to another municipality.")
        values = [v for v in values if v[0].attname != TENANT_COLUMN]
        base_qs = base_qs.filter(**{TENANT_COLUMN: current})
        updated = super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        self._tenant_loaded = current
        return updated

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        returned = super()._do_insert(manager, using, fields, returning_fields, raw)
        self._tenant_loaded = getattr(self, TENANT_COLUMN)
        return returned


class _TenantRelation:
    """Joins ``ON a.municipality_id = b.municipality_id AND a.x_id = b.id``: a join Citus can
    run shard by shard for colocated tables (a join on ``x_id`` alone it refuses)."""

    joins_on_tenant = True

    def __init__(self, *args, **kwargs):
        kwargs["db_constraint"] = False  # the composite constraint comes from a migration
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        return name, path, args, kwargs

    def get_joining_fields(self, reverse_join=False):
        pairs = super().get_joining_fields(reverse_join)
        own = self.model._meta.get_field(TENANT_FIELD)
        other = self.remote_field.model._meta.get_field(TENANT_FIELD)
        return ((other, own) if reverse_join else (own, other), *pairs)


class TenantForeignKey(_TenantRelation, models.ForeignKey):
    """A foreign key from one tenant table to another (both with ``municipality``)."""


class TenantOneToOneField(_TenantRelation, models.OneToOneField):
    """A one-to-one link between tenant tables (unique with the municipality on PostgreSQL)."""


def foreign_key_name(table: str, column: str) -> str:
    return f"{table}_{column}_tenant_fk"[:63]


def foreign_key_sql(table: str, column: str, target: str, quote_name) -> str:
    qn = quote_name
    return (
        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(foreign_key_name(table, column))} "
        f"FOREIGN KEY ({qn(TENANT_COLUMN)}, {qn(column)}) "
        f"REFERENCES {qn(target)} ({qn(TENANT_COLUMN)}, {qn('id')}) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def _constraints(schema_editor, table: str) -> dict:
    with schema_editor.connection.cursor() as cursor:
        return schema_editor.connection.introspection.get_constraints(cursor, table)


def _is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class TenantPrimaryKey(Operation):
    """PostgreSQL: the primary key of ``table`` becomes ``(municipality_id, id)``, and each
    single-column unique constraint on ``unique`` becomes ``(municipality_id, column)``.

    Foreign keys that reference the table's old key must be gone first (the referencing
    fields are ``db_constraint=False``; see the module)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, table: str, unique: tuple[str, ...] = ()):
        self.table, self.unique = table, tuple(unique)

    def deconstruct(self):
        kwargs = {"table": self.table}
        if self.unique:
            kwargs["unique"] = self.unique
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def describe(self):
        return f"Primary key ({TENANT_COLUMN}, id) for {self.table} on PostgreSQL"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            self._swap(schema_editor, (TENANT_COLUMN, "id"), lambda c: (TENANT_COLUMN, c))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            self._swap(schema_editor, ("id",), lambda c: (c,))

    def _swap(self, schema_editor, key: tuple[str, ...], unique_key) -> None:
        qn = schema_editor.quote_name
        constraints = _constraints(schema_editor, self.table)
        for name, info in constraints.items():
            if info["primary_key"] and tuple(info["columns"]) != key:
                schema_editor.execute(f"ALTER TABLE {qn(self.table)} DROP CONSTRAINT {qn(name)}")
        if not any(i["primary_key"] and tuple(i["columns"]) == key for i in constraints.values()):
            columns = ", ".join(qn(c) for c in key)
            schema_editor.execute(f"ALTER TABLE {qn(self.table)} ADD PRIMARY KEY ({columns})")
        for column in self.unique:
            wanted = unique_key(column)
            for name, info in constraints.items():
                if (
                    info["unique"]
                    and not info["primary_key"]
                    and column in info["columns"]
                    and tuple(info["columns"]) != wanted
                    and len(info["columns"]) <= 2
                    and set(info["columns"]) <= {TENANT_COLUMN, column}
                ):
                    schema_editor.execute(
                        f"ALTER TABLE {qn(self.table)} DROP CONSTRAINT {qn(name)}"
                    )
            if not any(i["unique"] and tuple(i["columns"]) == wanted for i in constraints.values()):
                name = f"{self.table}_{column}_tenant_uniq"[:63]
                columns = ", ".join(qn(c) for c in wanted)
                schema_editor.execute(
                    f"ALTER TABLE {qn(self.table)} ADD CONSTRAINT {qn(name)} UNIQUE ({columns})"
                )


class CompositeForeignKey(Operation):
    """PostgreSQL: ``(municipality_id, column) REFERENCES target (municipality_id, id)``,
    deferred to the end of the transaction like Django's own foreign keys."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, table: str, column: str, target: str):
        self.table, self.column, self.target = table, column, target

    def deconstruct(self):
        kwargs = {"table": self.table, "column": self.column, "target": self.target}
        return self.__class__.__name__, [], kwargs

    @property
    def name(self) -> str:
        return foreign_key_name(self.table, self.column)

    def state_forwards(self, app_label, state):
        pass

    def describe(self):
        return f"Foreign key ({TENANT_COLUMN}, {self.column}) from {self.table} to {self.target}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _is_postgresql(schema_editor):
            return
        if self.name in _constraints(schema_editor, self.table):
            return
        schema_editor.execute(
            foreign_key_sql(self.table, self.column, self.target, schema_editor.quote_name)
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            qn = schema_editor.quote_name
            schema_editor.execute(
                f"ALTER TABLE {qn(self.table)} DROP CONSTRAINT IF EXISTS {qn(self.name)}"
            )
