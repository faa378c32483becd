"""Placing incidents in a layer again when its areas change, as a background task with a
progress bar on the areas page.

A change to a layer's areas (``brygga.core.services.areas.layer_changed``, sent after the
commit) queues a run: an :class:`~brygga.incidents.models.ImportJob` of kind ``placement``
(its ``file_name`` is the layer's name, ``options["layer"]`` its id) and the task
:func:`run_layer_placement`, which the worker (``brygga worker``; inline under the test
settings) runs with :func:`brygga.incidents.services.placements.place_layer`. Import jobs
already carry what a run needs: a state machine that one task at a time can take, progress,
and the worker's recovery of a run that stopped. A run waiting for the worker is not queued
twice: it reads the layer's areas when it starts. The areas page shows the runs of the last
hour (:func:`area_list_panels`; core's page hook ``area_list_panels``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.core.hooks import Panel
from brygga.core.models import AreaLayer

from .imports import jobs
from .models import ImportJob
from .services.placements import place_layer

logger = logging.getLogger(__name__)

PLACEMENT = ImportJob.Kind.PLACEMENT


def queue_layer_placement(layer: AreaLayer, *, created_by=None) -> ImportJob:
    """A run that places every incident of the layer's municipality in ``layer`` again, queued
    for the worker (the run already waiting for it, if there is one)."""
    waiting = (
        ImportJob.objects.filter(
            kind=PLACEMENT, state=ImportJob.State.PENDING, municipality_id=layer.municipality_id
        )
        .filter(options__layer=layer.pk)
        .first()
    )
    if waiting is not None:
        return waiting
    job = jobs.create(
        kind=PLACEMENT,
        municipality=layer.municipality,
        file_name=layer.name,
        options={"layer": layer.pk, "language": get_language() or settings.LANGUAGE_CODE},
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    run_layer_placement.enqueue(job.pk)
    return job


def on_layer_changed(sender, *, layer: AreaLayer, **kwargs) -> None:
    """``layer_changed``: place the incidents again (a deleted layer took its placements)."""
    if layer.pk is None or not AreaLayer.objects.filter(pk=layer.pk).exists():
        return
    queue_layer_placement(layer)


@task()
def run_layer_placement(job_id: int) -> dict:
    """Run the placement job ``job_id``; returns its final state."""
    job = ImportJob.objects.filter(pk=job_id, kind=PLACEMENT).first()
    if job is None or job.state != ImportJob.State.PENDING:
        return {"job": job_id, "state": job.state if job else "missing"}
    try:
        jobs.start(job)
    except jobs.IllegalTransition:  # another task took it
        return {"job": job_id, "state": "taken"}
    language = job.options.get("language") or settings.LANGUAGE_CODE
    layer = AreaLayer.objects.filter(
        pk=job.options.get("layer"), municipality_id=job.municipality_id
    ).first()

    def report(done: int, total: int) -> None:
        jobs.progress(
            job, processed_rows=done, total_rows=total, progress=int(100 * done / max(total, 1))
        )

    try:
        placed = place_layer(layer=layer, progress=report) if layer is not None else 0
    except Exception:  # never leave a run "running"; the details go to the log only
        logger.exception("placement job %s failed", job_id)
        with translation.override(language):
            message = _("Placing the incidents stopped because of an internal error.")
        try:
            jobs.fail(job, message=message)
        except jobs.IllegalTransition:
            logger.warning("placement job %s had already ended", job_id)
        return {"job": job_id, "state": ImportJob.State.FAILED}
    with translation.override(language):
        message = _("%(n)s incidents lie in an area of the layer.") % {"n": placed}
    try:
        jobs.finish(
            job,
            processed_rows=job.total_rows,
            created_count=placed,
            unchanged_count=0,
            message=message,
        )
    except jobs.IllegalTransition:  # marked as stuck while it still ran
        logger.warning("placement job %s had already ended", job_id)
    return {"job": job_id, "state": job.state, "placed": placed}


def area_list_panels(request, municipality) -> list[Panel]:
    """The areas page: the placement runs of the last hour, with their progress, for those
    who may see the municipality's imports."""
    from .selectors import placement_runs

    runs = placement_runs(request.user, municipality)
    if not runs:
        return []
    active = any(r.state in (ImportJob.State.PENDING, ImportJob.State.RUNNING) for r in runs)
    return [Panel("incidents/panels/placement.html", {"runs": runs, "active": active})]
