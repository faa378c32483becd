"""`brygga area-stats-feed --municipality CODE [--name NAME --url URL [--query FILE]
[--pause]]` — list a municipality's PxWebApi addresses for the scheduled fetch, or add or change
one (by name). ``--query`` is a PxWebApi v1 query saved from Statistikdatabasen ("Om tabellen"
→ "API för denna tabell"); without it the address is fetched with GET (PxWebApi v2)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.areastats.selectors import feeds_for
from brygga.areastats.services import stat_feed_save
from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code


class Command(BaseCommand):
    help = "List, add or change the PxWebApi addresses that fetch-area-stats fetches."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument("--name")
        parser.add_argument("--url")
        parser.add_argument("--query", metavar="FILE", help="PxWebApi v1 query (JSON).")
        parser.add_argument("--pause", action="store_true", help="Keep it, but do not fetch.")

    def handle(self, *args, **options):
        actor = SystemActor("brygga area-stats-feed")
        municipality = municipality_by_code(options["municipality"])
        if options["name"]:
            if not options["url"]:
                raise CommandError(_("Give the address with --url."))
            query = None
            if options["query"]:
                try:
                    query = json.loads(Path(options["query"]).read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise CommandError(
                        _("%(file)s: not a readable JSON file (%(error)s).")
                        % {"file": options["query"], "error": exc}
                    ) from None
            try:
                with acting_as(actor):
                    stat_feed_save(
                        actor=actor,
                        municipality=municipality,
                        name=options["name"],
                        url=options["url"],
                        query=query,
                        active=not options["pause"],
                    )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        for feed in feeds_for(actor, municipality):
            state = _("active") if feed.active else _("paused")
            method = "POST" if feed.query else "GET"
            self.stdout.write(f"{feed.name}\t{state}\t{method} {feed.url}\t{feed.last_status}")
