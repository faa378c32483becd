"""`brygga import-areas FILE --municipality CODE --layer NAME` — import areas from a GIS file
(Shapefile as a zip or a .shp with its sidecar files, GeoPackage, GeoJSON) into a layer of the
municipality. The whole file is checked first; nothing is written if it cannot be imported (the
problems are listed and the command exits with status 1). Importing the same file again
changes nothing. See docs/anvandarguide/omraden.md."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code
from brygga.core.gis import GisError, read_gis_file
from brygga.core.models import AreaLayer, LayerKind
from brygga.core.services.area_import import (
    AreaImportResult,
    NewLayer,
    guess_code_field,
    guess_layer_kind,
    guess_name_field,
    import_areas,
)

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import areas from a GIS file (Shapefile in a zip or a .shp, GeoPackage, GeoJSON) into "
        "a layer of a municipality. Areas already in the layer are updated by code (or name)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument("--layer", metavar="NAME", required=True, help="Created when new.")
        parser.add_argument(
            "--layer-kind",
            choices=[k.value for k in LayerKind],
            help="The kind of a new layer (default: deso/regso when the codes are such, else own).",
        )
        parser.add_argument("--name-field", metavar="F", help="Default: guessed (namn, name…).")
        parser.add_argument(
            "--code-field", metavar="F", help="Default: guessed (DeSO codes, kod…)."
        )
        parser.add_argument("--source-layer", metavar="L", help="The layer in a GeoPackage.")
        parser.add_argument(
            "--crs", metavar="CRS", help="The file's coordinate system when it names none."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count; save nothing.")

    def handle(self, *args, **options):
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        err = Console(file=self.stderr._out, highlight=False, soft_wrap=True)
        municipality = municipality_by_code(options["municipality"])
        path = Path(options["file"])
        try:
            source = read_gis_file(
                path, path.name, source_layer=options["source_layer"], crs=options["crs"]
            )
        except GisError as exc:
            raise CommandError(exc.message) from None
        for warning in source.warnings:
            err.print(warning, markup=False)
        name_field = options["name_field"] or guess_name_field(source.fields)
        if not name_field:
            raise CommandError(
                _(
                    "%(file)s: choose the field with the areas' names (--name-field). Its fields: %(fields)s."
                )
                % {"file": path.name, "fields": ", ".join(source.fields)}
            )
        code_field = options["code_field"]
        if code_field is None:
            code_field = guess_code_field(source.fields, source.features) or ""
        out.print(
            _("Names from the field %(name)s, codes from %(code)s (%(crs)s).")
            % {"name": name_field, "code": code_field or _("no field"), "crs": source.crs_name},
            markup=False,
        )
        layer = AreaLayer.objects.filter(municipality=municipality, name=options["layer"]).first()
        if layer is None:
            kind = options["layer_kind"] or guess_layer_kind(source.features, code_field)
            layer = NewLayer(options["layer"], kind)
        actor = SystemActor("brygga import-areas")
        try:
            with acting_as(actor):
                result = self._import(
                    actor, municipality, layer, source, name_field, code_field, options, err
                )
        except ValidationError as exc:
            for message in exc.messages:
                err.print(message, markup=False)
            raise CommandError(_("%(file)s: nothing was imported.") % {"file": path.name}) from None
        self._report(out, result)

    def _import(self, actor, municipality, layer, source, name_field, code_field, options, err):
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as bar:
            step = bar.add_task(_("Checking"), total=len(source))
            labels = {"check": _("Checking"), "save": _("Saving")}

            def progress(done: int, total: int, stage: str) -> None:
                bar.update(step, description=labels[stage], completed=done, total=total)

            return import_areas(
                actor=actor,
                municipality=municipality,
                layer=layer,
                features=source,
                name_field=name_field,
                code_field=code_field,
                dry_run=options["dry_run"],
                progress=progress,
            )

    def _report(self, out: Console, r: AreaImportResult) -> None:
        title = _("%(file)s into the layer “%(layer)s”") % {
            "file": r.file_name,
            "layer": r.layer_name,
        }
        if r.dry_run:
            title += " " + _("(dry run: nothing saved)")
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column(_("What"))
        table.add_column(_("Number"), justify="right")
        rows = [
            (_("Features in the file"), r.total),
            (_("Created"), r.created),
            (_("Updated"), r.updated),
            (_("Unchanged"), r.unchanged),
            (_("Left out (outside the municipality)"), len(r.left_out)),
            (_("Other municipalities' features (not imported)"), len(r.other_municipalities)),
            (_("Areas of the layer not in the file (left as they are)"), r.not_in_file),
        ]
        if r.layer_created:
            rows.insert(0, (_("New layer"), r.layer_kind))
        for label, value in rows:
            table.add_row(label, str(value))
        out.print(table)
        if r.left_out:
            out.print(_("Left out:"), markup=False)
            for x in r.left_out[:SHOWN]:
                out.print(f"  {x.number} {x.name}: {x.reason}", markup=False)
        for warning in r.warnings[:SHOWN]:
            out.print(_("Warning: %(w)s") % {"w": warning}, markup=False)
