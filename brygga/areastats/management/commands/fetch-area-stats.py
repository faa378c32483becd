"""`brygga fetch-area-stats [--municipality CODE]` — fetch every active PxWebApi address
(``StatFeed``) and import the responses; run it from cron or a systemd timer. Exits with
status 1 when a fetch failed (the message is also kept on the feed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.areastats.fetch import fetch_all
from brygga.core.cli import municipality_by_code


class Command(BaseCommand):
    help = "Fetch the configured PxWebApi addresses (JSON-stat2) and import the statistics."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", metavar="CODE")

    def handle(self, *args, **options):
        municipality = None
        if options["municipality"]:
            municipality = municipality_by_code(options["municipality"])
        results = fetch_all(municipality)
        for r in results:
            line = f"{r.feed.municipality.code} {r.feed.name}: {r.message}"
            (self.stdout if r.ok else self.stderr).write(line)
        if not results:
            self.stdout.write(_("No active statistics feeds."))
        failed = [r for r in results if not r.ok]
        if failed:
            raise CommandError(
                _("%(n)s of %(total)s fetches failed.") % {"n": len(failed), "total": len(results)}
            )
