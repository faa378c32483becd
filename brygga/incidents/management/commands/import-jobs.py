"""`brygga import-jobs` — list the import jobs (police and CSV/Excel) with their state;
`brygga import-jobs --recover` marks the jobs left unfinished by an interrupted worker or
command as failed (see :mod:`brygga.incidents.imports.jobs`); `brygga import-jobs --purge-files`
removes the uploaded files kept longer than ``BRYGGA_UPLOAD_RETENTION_HOURS`` (see
:mod:`brygga.incidents.imports.storage`; suggested daily, e.g. from cron or a systemd timer)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.table import Table

from brygga.incidents.imports.jobs import find_stale_jobs, recover_stale_jobs, stale_limit
from brygga.incidents.imports.storage import purge_expired_uploads, retention_hours
from brygga.incidents.models import ImportJob


class Command(BaseCommand):
    help = (
        "List the import jobs with their state (newest first). With --recover, mark the jobs "
        "that stopped without finishing (their worker or command was interrupted) as failed. "
        "With --purge-files, remove the uploaded files kept longer than the retention time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recover",
            action="store_true",
            help="Mark running jobs without progress for longer than the stale limit, and "
            "waiting jobs whose task is lost, as failed.",
        )
        parser.add_argument(
            "--purge-files",
            action="store_true",
            help="Remove the uploaded files whose import has not changed for "
            "BRYGGA_UPLOAD_RETENTION_HOURS (24), and print how many were removed. Run it daily.",
        )
        parser.add_argument(
            "--stale-minutes",
            type=int,
            metavar="N",
            help="The stale limit in minutes (default: BRYGGA_IMPORT_STALE_MINUTES, 30).",
        )
        parser.add_argument(
            "--limit", type=int, default=50, metavar="N", help="List at most N jobs (50)."
        )
        parser.add_argument(
            "--active", action="store_true", help="List only waiting and running jobs."
        )

    def handle(self, *args, **options):
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        if not out.is_terminal:
            out.width = 160  # a log file or a pipe: do not cut the table at 80 columns
        minutes = options["stale_minutes"]
        if minutes is not None and minutes < 1:
            raise CommandError(_("--stale-minutes must be at least 1."))
        limit = timedelta(minutes=minutes) if minutes is not None else stale_limit()
        now = timezone.now()
        if options["purge_files"]:
            removed = purge_expired_uploads(now)
            hours = retention_hours()
            out.print(
                ngettext(
                    "%(n)s uploaded file removed (retention time %(hours)s h).",
                    "%(n)s uploaded files removed (retention time %(hours)s h).",
                    removed,
                )
                % {"n": removed, "hours": hours},
                markup=False,
            )
            if not options["recover"]:
                return
        if options["recover"]:
            recovered = recover_stale_jobs(now, stale_after=limit)
            if recovered:
                out.print(
                    _("Import jobs marked as failed (they stopped without finishing): %(jobs)s")
                    % {"jobs": ", ".join(str(j.pk) for j in recovered)},
                    markup=False,
                )
            else:
                out.print(_("No import job is stuck."), markup=False)
            return
        stale = {job.pk for job, _reason in find_stale_jobs(now, stale_after=limit)}
        jobs = ImportJob.objects.select_related("municipality", "created_by").order_by("-pk")
        if options["active"]:
            jobs = jobs.filter(state__in=[ImportJob.State.PENDING, ImportJob.State.RUNNING])
        table = Table(title=_("Import jobs"), title_justify="left")
        for header, justify in (
            (_("Id"), "right"),
            (_("Kind"), "left"),
            (_("Municipality"), "left"),
            (_("File"), "left"),
            (_("Status"), "left"),
            (_("Progress"), "right"),
            (_("Imported"), "right"),
            (_("Updated"), "left"),
            (_("By"), "left"),
        ):
            table.add_column(header, justify=justify, overflow="fold")
        for job in jobs[: max(0, options["limit"])]:
            state = str(job.get_state_display())
            if job.pk in stale:
                state += " " + _("(stuck)")
            table.add_row(
                str(job.pk),
                str(job.get_kind_display()),
                job.municipality.code if job.municipality else "–",
                job.file_name,
                state,
                f"{job.progress} %",
                str(job.created_count),
                timezone.localtime(job.updated_at).strftime("%Y-%m-%d %H:%M"),
                job.created_by.get_username()
                if job.created_by
                else (_("command line") if job.options.get("cli") else "–"),
            )
        out.print(table)
        if stale:
            out.print(
                ngettext(
                    "%(n)s job stopped without finishing; mark it as failed with "
                    "“brygga import-jobs --recover”.",
                    "%(n)s jobs stopped without finishing; mark them as failed with "
                    "“brygga import-jobs --recover”.",
                    len(stale),
                )
                % {"n": len(stale)},
                markup=False,
            )
