"""`brygga plans-reminders [--date 2026-05-01] [--days 3]` — e-mail each open action item's
owner once, a few days before it is due (``brygga.plans.tasks``). A second run sends nothing
again. Run it daily (e.g. a systemd timer like ``brygga-digest.timer``)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.plans.tasks import send_action_item_reminders


class Command(BaseCommand):
    help = "E-mail the owners of open action items a reminder before they are due."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: today)")
        parser.add_argument("--days", type=int, help="days before the due date (default: 3)")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(_("Give a date as YYYY-MM-DD.")) from None
        if options["days"] is not None and options["days"] < 0:
            raise CommandError(_("The number of days cannot be negative."))
        result = send_action_item_reminders(today, options["days"])
        self.stdout.write(
            _("Action item reminders: %(sent)s sent, %(skipped)s without an address.")
            % {"sent": result.sent, "skipped": result.skipped}
        )
