"""Gallring (retention and disposal): how long each kind of data is kept, and the run that
removes what has passed its time.

Core knows no domain app: each app registers its ``Rule`` objects from ``ready()``
(``register``). A rule says what it removes, how its period is counted and its default; a
municipality may set its own period for a rule (``RetentionPeriod``, on the page
Administration → Gallring, through ``services.retention_period_set``). Rows that belong to no
municipality (county-level police events, the installation-wide police feed, sign-in records)
follow the rules' defaults (the *installation* scope).

A run (``brygga gallra``, daily from the systemd timer) first *plans*: each rule lists, per
scope, exactly the rows (or files) it would remove or clear, as ``Disposal`` items that name
no personal data. ``--dry-run`` prints that list and stops. A real run plans again and applies
the same list, scope by scope, each scope in one transaction with one audit row
(``retention_run``) giving the counts per rule; files are removed after the commit. The list
printed by the run is the list it applied, so a dry run and the run that follows agree row for
row (``tests/core/test_retention.py``).

An object is disposed of once per run: when an earlier rule deletes it (a deleted incident),
a later rule's item for the same object (clearing its text) is dropped.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .cells import escape_cell

DAYS = "days"
HOURS = "hours"
DELETE = "delete"
CLEAR = "clear"
REMOVE_FILE = "remove_file"
ACTION_LABELS = {
    DELETE: _("delete"),
    CLEAR: _("clear"),
    REMOVE_FILE: _("remove file"),
}
MUNICIPALITY = "municipality"
INSTALLATION = "installation"


@dataclass(frozen=True)
class Disposal:
    """One thing a run removes: a row deleted, fields of a row cleared or a stored file
    removed. ``description`` says what it is without personal data ("Händelse 2024-03-02,
    Skadegörelse")."""

    rule: str
    municipality_id: int | None
    object_type: str
    object_id: str
    action: str
    description: str
    fields: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.object_type, self.object_id)


@dataclass(frozen=True)
class Rule:
    """A kind of data and how long it is kept.

    ``plan(scope, cutoff, now)`` lists the ``Disposal`` items of ``scope`` (a ``Municipality``,
    or ``None`` for the rows of no municipality) that are older than ``cutoff``;
    ``apply(items, now)`` removes exactly those, inside the run's transaction (files after the
    commit). A period of 0 means "kept until further notice" when ``can_switch_off``."""

    key: str
    label: str | Promise
    help_text: str | Promise
    default: int
    plan: Callable
    apply: Callable
    unit: str = DAYS
    minimum: int = 1
    maximum: int | None = None
    can_switch_off: bool = False
    scopes: tuple[str, ...] = (MUNICIPALITY, INSTALLATION)

    def cutoff(self, now: datetime, period: int) -> datetime | None:
        if period == 0 and self.can_switch_off:
            return None
        return now - (timedelta(hours=period) if self.unit == HOURS else timedelta(days=period))

    def effective_maximum(self) -> int | None:
        return self.maximum() if callable(self.maximum) else self.maximum

    def effective_default(self) -> int:
        return self.default() if callable(self.default) else self.default


_rules: dict[str, Rule] = {}


def register(rule: Rule) -> None:
    """Called from an app's ``ready()``; a second registration of a key is ignored."""
    _rules.setdefault(rule.key, rule)


def rules(scope: str | None = None) -> list[Rule]:
    """The registered rules in registration order (apps in ``INSTALLED_APPS`` order)."""
    return [r for r in _rules.values() if scope is None or scope in r.scopes]


def rule(key: str) -> Rule:
    return _rules[key]


def periods_for(municipality) -> dict[str, int]:
    """Each municipality-scope rule's period for ``municipality`` (its own setting or the
    default); for ``None`` (the installation scope) the defaults."""
    from .models import RetentionPeriod

    values = {r.key: r.effective_default() for r in rules()}
    if municipality is not None:
        for key, value in RetentionPeriod.objects.filter(municipality=municipality).values_list(
            "rule", "value"
        ):
            if key in values:
                # a saved value above a limit lowered since (the installation's upload
                # retention) counts as the limit
                maximum = _rules[key].effective_maximum()
                values[key] = min(value, maximum) if maximum is not None else value
    return values


@dataclass
class Report:
    """What a run planned (``dry_run``) or did: the items in order, per scope."""

    dry_run: bool
    now: datetime
    items: list[Disposal] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(item.rule for item in self.items)


def plan_scope(municipality, now: datetime) -> list[Disposal]:
    """The items of one scope, rule by rule, each object once."""
    scope = MUNICIPALITY if municipality is not None else INSTALLATION
    periods = periods_for(municipality)
    seen: set[tuple[str, str]] = set()
    items: list[Disposal] = []
    for r in rules(scope):
        cutoff = r.cutoff(now, periods[r.key])
        if cutoff is None:
            continue
        for item in r.plan(municipality, cutoff, now):
            if item.key in seen:
                continue
            seen.add(item.key)
            items.append(item)
    return items


def _scopes(municipalities: Iterable | None, installation: bool) -> list:
    from .models import Municipality

    chosen = list(municipalities) if municipalities is not None else None
    if chosen is None:
        chosen = list(Municipality.objects.order_by("code"))
    return [*chosen, *([None] if installation else [])]


def run(
    *,
    municipalities: Sequence | None = None,
    installation: bool = True,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[object, int], None] | None = None,
) -> Report:
    """Plan (and unless ``dry_run`` apply) the disposals of the given municipalities (all when
    ``None``) and, with ``installation``, of the rows of no municipality."""
    from brygga.audit.context import acting_as
    from brygga.audit.services import log_action

    from .access import SystemActor

    now = now or timezone.now()
    report = Report(dry_run=dry_run, now=now)
    for scope in _scopes(municipalities, installation):
        if dry_run:
            items = plan_scope(scope, now)
        else:
            with acting_as(SystemActor("gallring")), transaction.atomic():
                items = plan_scope(scope, now)
                if items:
                    for r in rules():
                        mine = [i for i in items if i.rule == r.key]
                        if mine:
                            r.apply(mine, now)
                    log_action(
                        event_type="retention_run",
                        subject=scope,
                        municipality_id=getattr(scope, "pk", None),
                        details=_run_details(items),
                    )
        report.items.extend(items)
        if progress:
            progress(scope, len(items))
    return report


def _run_details(items: list[Disposal]) -> dict:
    """The run's audit row: counts per rule and the ids of everything removed or cleared,
    by rule and object type (ids only: the trail never holds what was removed)."""
    objects: dict[str, dict[str, list[str]]] = {}
    for i in items:
        objects.setdefault(i.rule, {}).setdefault(f"{i.object_type} {i.action}", []).append(
            i.object_id
        )
    return {"counts": dict(Counter(i.rule for i in items)), "objects": objects}


COLUMNS = ("rule", "municipality", "object_type", "object_id", "action", "fields", "description")


def rows(items: Iterable[Disposal], codes: dict[int, str]) -> list[list[str]]:
    """The items as table rows (the municipality by its code; "" for the installation)."""
    return [
        [
            i.rule,
            codes.get(i.municipality_id, "") if i.municipality_id is not None else "",
            i.object_type,
            i.object_id,
            i.action,
            " ".join(i.fields),
            i.description,
        ]
        for i in items
    ]


def to_csv(items: Iterable[Disposal], codes: dict[int, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[escape_cell(cell) for cell in row] for row in rows(items, codes)])
    return out.getvalue()
