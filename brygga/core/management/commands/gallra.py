"""`brygga gallra [--dry-run]` — remove what has passed its retention period.

``--dry-run`` lists exactly what a run would remove and changes nothing; the run lists what it
removed, in the same form, so the two can be compared row for row. Run it daily (the systemd
timer ``brygga-gallra.timer`` does). See ``brygga.core.retention`` and docs/ADMIN.md.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.table import Table

from brygga.core import retention
from brygga.core.models import Municipality


class Command(BaseCommand):
    help = (
        "Remove the data whose retention period has passed (incidents, public contact details, "
        "import files and error details, sign-in records). --dry-run lists exactly what would "
        "be removed and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what a run would remove now, and change nothing.",
        )
        parser.add_argument(
            "--municipality",
            "-m",
            action="append",
            metavar="CODE",
            help="Only this municipality (kommunkod, e.g. 2281); may be repeated. Without it: "
            "every municipality and the data of no municipality.",
        )
        parser.add_argument(
            "--format",
            choices=("table", "csv", "json", "summary"),
            default="table",
            help="table (default): one line per row removed, then the counts; csv or json: "
            "the list for a program or a spreadsheet; summary: the counts only.",
        )

    def handle(self, *args, **options):
        codes = options["municipality"]
        municipalities = None
        if codes:
            found = {m.code: m for m in Municipality.objects.filter(code__in=codes)}
            missing = [c for c in codes if c not in found]
            if missing:
                raise CommandError(
                    _("No municipality has the code %(codes)s.") % {"codes": ", ".join(missing)}
                )
            municipalities = [found[c] for c in codes]
        report = retention.run(
            municipalities=municipalities,
            installation=not codes,
            dry_run=options["dry_run"],
        )
        code_of = dict(Municipality.objects.values_list("pk", "code"))
        fmt = options["format"]
        if fmt == "csv":
            self.stdout.write(retention.to_csv(report.items, code_of), ending="")
            return
        if fmt == "json":
            data = [
                dict(zip(retention.COLUMNS, row, strict=True))
                for row in retention.rows(report.items, code_of)
            ]
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        if not out.is_terminal:
            out.width = 200
        if fmt == "table" and report.items:
            table = Table(
                title=_("Would be removed") if report.dry_run else _("Removed"),
                title_justify="left",
            )
            for header in (
                _("Rule"),
                _("Municipality"),
                _("Object"),
                _("Id"),
                _("Action"),
                _("Description"),
            ):
                table.add_column(header, overflow="fold")
            for row in retention.rows(report.items, code_of):
                rule, code, object_type, object_id, action, _fields, description = row
                table.add_row(
                    rule,
                    code or _("(installation)"),
                    object_type,
                    object_id,
                    str(retention.ACTION_LABELS.get(action, action)),
                    description,
                )
            out.print(table)
        counts = report.counts()
        for r in retention.rules():
            if counts.get(r.key):
                out.print(f"{r.key}: {counts[r.key]}  ({r.label})", markup=False)
        total = len(report.items)
        if report.dry_run:
            line = ngettext(
                "Dry run: %(n)s row would be removed or cleared. Nothing was changed.",
                "Dry run: %(n)s rows would be removed or cleared. Nothing was changed.",
                total,
            )
        else:
            line = ngettext(
                "%(n)s row removed or cleared.", "%(n)s rows removed or cleared.", total
            )
        out.print(line % {"n": total}, markup=False)
