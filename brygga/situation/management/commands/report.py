"""`brygga report lagesbild --municipality 2281 --from 2025-01-01 --to 2025-12-31 --format pdf -o FILE`
— write a lägesbild for a period as PDF, print HTML or JSON without storing a report.

The figures are computed exactly as a published report's (``snapshot.build_snapshot`` on an
unsaved ``SituationReport``), by Brygga itself (``SystemActor``, which the resolver allows to
read everything; audit rows name it). The period is a year, quarter or month when the dates are
exactly one (so it is compared with the previous one of its kind), else the days given. Without
``--layer`` the figures are broken down by the municipality's first area layer (by name) that
has areas with a boundary, so the map and the area tables are there; with ``--forum`` the
forum's areas. On bad input the command stops with a message and writes no file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import AreaLayer, Municipality

from ...models import Audience, SituationReport
from ...scope import Period, ScopeError
from ...snapshot import build_snapshot, report_scope

ACTOR = SystemActor("brygga report")
FORMATS = ("pdf", "html", "json")


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: “%(value)s” is not a date; write it as 2025-01-31.")
            % {"option": option, "value": value}
        ) from None


def period_param(start: dt.date, end: dt.date) -> str:
    """The ``period`` parameter: a year, quarter or month when the days are exactly one."""
    for candidate in (
        str(start.year),
        f"{start.year}-K{(start.month - 1) // 3 + 1}",
        f"{start.year}-{start.month:02d}",
    ):
        p = Period.parse(candidate)
        if (p.start, p.end) == (start, end):
            return candidate
    return f"{start.isoformat()}..{end.isoformat()}"


def default_layer(municipality) -> AreaLayer | None:
    """The municipality's first area layer (by name) with an area that has a boundary."""
    return (
        AreaLayer.objects.filter(municipality=municipality, areas__geometry__isnull=False)
        .distinct()
        .order_by("name", "pk")
        .first()
    )


class Command(BaseCommand):
    help = "Write documents of Brygga's lägesbild (see `brygga report lagesbild --help`)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="document", required=True, metavar="DOCUMENT")
        p = sub.add_parser(
            "lagesbild",
            help="A lägesbild for a period as PDF, HTML or JSON, computed now and not stored.",
            description=(
                "Compute a lägesbild for a municipality and a period (as a published report "
                "would be) and write it to a file. Without --layer the figures are broken down "
                "by the municipality's first area layer (by name) with areas that have a "
                "boundary, so the map and the area tables are present; with --forum by the "
                "forum's areas."
            ),
        )
        p.add_argument(
            "--municipality", "-m", required=True, metavar="CODE", help="Kommunkod, e.g. 2281."
        )
        p.add_argument(
            "--from",
            dest="start",
            required=True,
            metavar="YYYY-MM-DD",
            help="First day of the period.",
        )
        p.add_argument(
            "--to", dest="end", required=True, metavar="YYYY-MM-DD", help="Last day of the period."
        )
        p.add_argument(
            "--format",
            "-f",
            required=True,
            choices=FORMATS,
            help="pdf, html (the print document) or json (the snapshot).",
        )
        p.add_argument("--output", "-o", required=True, metavar="FILE", help="The file to write.")
        p.add_argument(
            "--audience",
            choices=Audience.values,
            default=Audience.PARTNERS,
            help="partners (default: every count), council or public (counts under "
            "the threshold hidden, no free text).",
        )
        p.add_argument(
            "--layer",
            type=int,
            metavar="ID",
            help="The area layer to break the figures down by (default: see above).",
        )
        p.add_argument("--forum", type=int, metavar="ID",
                       help="A forum of the municipality: its areas are the report's scope.")  # fmt: skip

    def handle(self, *args, **options):
        if options["document"] == "lagesbild":
            self.lagesbild(options)

    def lagesbild(self, o: dict) -> None:
        municipality = Municipality.objects.filter(code=o["municipality"]).first()
        if municipality is None:
            raise CommandError(
                _("No municipality has the code %(codes)s.") % {"codes": o["municipality"]}
            )
        start, end = _date(o["start"], "--from"), _date(o["end"], "--to")
        if start > end:
            raise CommandError(
                _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            )
        out = Path(o["output"])
        if not out.parent.is_dir():
            raise CommandError(
                _("The folder %(folder)s does not exist.") % {"folder": str(out.parent)}
            )
        scope = {"period": period_param(start, end)}
        if o["forum"] is not None:
            scope["forum"] = str(o["forum"])
        layer = o["layer"]
        if layer is None and o["forum"] is None:
            found = default_layer(municipality)
            layer = found.pk if found else None
        if layer is not None:
            scope["lager"] = str(layer)
        report = SituationReport(
            municipality=municipality,
            title="",
            period_start=start,
            period_end=end,
            scope=scope,
            audience=o["audience"],
            texts={},
            version=1,
        )
        with acting_as(ACTOR):
            try:
                s = report_scope(ACTOR, report)
                report.title = _("Lägesbild %(title)s, %(period)s") % {
                    "title": s.title,
                    "period": s.period.label,
                }
                snapshot = build_snapshot(ACTOR, report)
            except ScopeError as exc:
                raise CommandError(f"{exc.param}: {exc.message}") from None
        fmt = o["format"]
        pages = None
        if fmt == "pdf":
            from ...pdf import render_document

            document = render_document(snapshot)
            pages = len(document.pages)
            data = document.write_pdf()
        elif fmt == "html":
            from ...pdf import render_print_html

            data = render_print_html(snapshot).encode("utf-8")
        else:
            data = json.dumps(snapshot, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode(
                "utf-8"
            )
        out.write_bytes(data)
        if pages is not None:
            line = _("Wrote %(file)s: %(format)s, %(pages)s pages, %(bytes)s bytes.") % {
                "file": out,
                "format": fmt.upper(),
                "pages": pages,
                "bytes": len(data),
            }
        else:
            line = _("Wrote %(file)s: %(format)s, %(bytes)s bytes.") % {
                "file": out,
                "format": fmt.upper(),
                "bytes": len(data),
            }
        self.stdout.write(line)
