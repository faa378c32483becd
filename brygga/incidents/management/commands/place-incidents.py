"""`brygga place-incidents --municipality 2281 [--layer NAME]` — place every incident of a
municipality in the areas of each of its layers (or of one layer) again, with a progress bar.

The worker does this by itself whenever a layer's areas change; the command is for a first
install and after an upgrade (docs/ADMIN.md, "Upgrading"). ``--all`` does every municipality
that has layers.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from brygga.core.models import AreaLayer, Municipality
from brygga.incidents.services.placements import place_layer


class Command(BaseCommand):
    help = "Place every incident of a municipality in the areas of its layers again."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--municipality", help="municipality code (kommunkod), e.g. 2281")
        which.add_argument(
            "--all", action="store_true", help="every municipality that has area layers"
        )
        parser.add_argument("--layer", help="only this layer (its name)")

    def _layers(self, options) -> list[AreaLayer]:
        layers = AreaLayer.objects.select_related("municipality").order_by(
            "municipality__code", "name"
        )
        if options["all"]:
            if options["layer"]:
                raise CommandError(_("--layer needs --municipality."))
            return list(layers)
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(
                _("No municipality with the code %(code)s.") % {"code": options["municipality"]}
            )
        layers = list(layers.filter(municipality=municipality))
        if options["layer"]:
            chosen = [layer for layer in layers if layer.name == options["layer"]]
            if not chosen:
                names = ", ".join(layer.name for layer in layers) or "–"
                raise CommandError(
                    _("%(municipality)s has no area layer “%(name)s” (there are: %(names)s).")
                    % {"municipality": municipality.name, "name": options["layer"], "names": names}
                )
            layers = chosen
        return layers

    def handle(self, *args, **options):
        layers = self._layers(options)
        console = Console(file=self.stderr._out, stderr=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            for layer in layers:
                label = f"{layer.municipality.name}: {layer.name}"
                task = bar.add_task(label, total=None)

                def progress(done: int, total: int, task=task) -> None:
                    bar.update(task, completed=done, total=total)

                placed = place_layer(layer=layer, progress=progress)
                bar.update(task, visible=False)
                self.stdout.write(
                    _("%(layer)s: %(n)s incidents lie in an area of the layer.")
                    % {"layer": label, "n": placed}
                )
        if not layers:
            self.stdout.write(_("No area layers: nothing to place."))
