"""`brygga send-weekly-digest [--week 2026-V48]` — e-mail the weekly picture of each safety
group to the users who opted in, for the last full ISO week (or the one given). A second run
for the same week sends nothing again. Run every Monday morning by ``brygga-digest.timer``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.situation.digest import send_weekly_digests
from brygga.situation.scope import Period, ScopeError
from brygga.situation.views.weekly import last_full_week


class Command(BaseCommand):
    help = "E-mail the weekly picture of the safety groups to the users who opted in."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-V48 (default: the last full week)")

    def handle(self, *args, **options):
        week_start = last_full_week()
        if options["week"]:
            try:
                period = Period.parse(options["week"])
            except ScopeError as exc:
                raise CommandError(exc.message) from None
            if period.kind != "week":
                raise CommandError(_("Give a week, e.g. 2026-V48."))
            week_start = period.start
        result = send_weekly_digests(week_start)
        self.stdout.write(
            _(
                "Weekly picture of %(week)s: %(sent)s e-mails sent, %(already)s already sent, "
                "%(skipped)s subscribers without an e-mail address or access."
            )
            % {
                "week": week_start.isoformat(),
                "sent": result.sent,
                "already": result.already,
                "skipped": result.skipped,
            }
        )
