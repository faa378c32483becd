"""`brygga area-stats --municipality CODE [--year YEAR] [--series NAME] --format csv|json` —
print the stored area statistics: area code, area name, series, year, value, unit, source,
table."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand

from brygga.areastats.exports import COLUMNS, plain
from brygga.areastats.selectors import stored_rows
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code


class Command(BaseCommand):
    help = "Print the stored area statistics of a municipality as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument("--year", type=int)
        parser.add_argument("--series", metavar="NAME")
        parser.add_argument("--format", choices=("csv", "json"), default="csv")

    def handle(self, *args, **options):
        municipality = municipality_by_code(options["municipality"])
        rows = [
            plain(r)
            for r in stored_rows(
                SystemActor("brygga area-stats"),
                municipality,
                year=options["year"],
                series=options["series"],
            )
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
