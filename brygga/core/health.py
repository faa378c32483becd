"""Health checks for load balancers and installers: database, schema, static files, queue.

``GET /healthz`` answers 200 only when a page can really be served: the database answers, every
migration of the installed code is applied, and (with the production manifest storage) the
static files were collected for this version. Otherwise 503 with the failing part named, so a
forgotten ``brygga migrate`` or ``brygga collectstatic`` after an upgrade shows up in the load
balancer instead of as a 500 on every page.

The schema and static checks read files and the migration graph; once they pass they are
remembered for the life of the process (an upgrade restarts the processes). The database is
checked on every call.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# A file every page links to; if the manifest has no entry for it, every page answers 500.
STATIC_PROBE = "brygga/favicon.svg"

_passed: set[str] = set()


def check_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    try:
        with connections[alias].cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # the answer is what we report; details go to the log only
        logger.exception("health check: database unavailable")
        return "unavailable"
    return "ok"


def check_schema(alias: str = DEFAULT_DB_ALIAS) -> str:
    """``ok`` when every migration of the installed code is applied."""
    if "schema" in _passed:
        return "ok"
    try:
        connection = connections[alias]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        logger.exception("health check: migration state could not be read")
        return "unavailable"
    if plan:
        logger.error("health check: %d migrations not applied; run `brygga migrate`", len(plan))
        return "migrations pending"
    _passed.add("schema")
    return "ok"


def check_static() -> str:
    """``ok`` when static files can be resolved by the configured storage. With the manifest
    storage of the production settings that needs ``brygga collectstatic`` for this version."""
    if "static" in _passed:
        return "ok"
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        try:
            staticfiles_storage.stored_name(STATIC_PROBE)
        except ValueError:
            logger.error("health check: static files not collected; run `brygga collectstatic`")
            return "not collected"
    _passed.add("static")
    return "ok"


# A worker counts as alive when it picked up or finished a task this recently, or is running
# one it picked up within WORKER_BUSY (a long import reports no task activity meanwhile).
WORKER_SEEN = timedelta(minutes=5)
WORKER_BUSY = timedelta(minutes=30)
# The command an administrator starts the worker with, and its systemd unit (docs/ADMIN.md).
WORKER_COMMAND = "brygga worker"
WORKER_UNIT = "brygga-worker.service"


def queue_state(now: datetime | None = None) -> dict:
    """The task queue and its workers (information only: a stopped worker does not make the
    site unhealthy, but it shows here and on the import pages).

    ``waiting``: tasks ready to run; ``oldest_waiting_seconds``: how long the oldest has
    waited; ``running``: tasks a worker has picked up and not finished;
    ``last_activity_seconds``: since a worker last picked up or finished a task (``None``
    when no task is recorded); ``worker``: ``"alive"`` when that was within
    :data:`WORKER_SEEN` or a task picked up within :data:`WORKER_BUSY` is still running,
    otherwise ``"not seen"`` (stopped, or idle for longer: tasks that keep waiting tell)."""
    now = now or timezone.now()
    try:
        from django.db.models import Max
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.ready()
        count = waiting.count()
        oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        running = DBTaskResult.objects.running()
        running_count = running.count()
        busy = running.filter(started_at__gte=now - WORKER_BUSY).exists()
        last = DBTaskResult.objects.aggregate(
            started=Max("started_at"), finished=Max("finished_at")
        )
    except Exception:
        logger.exception("health check: task queue could not be read")
        return {"state": "unavailable"}
    seconds = timedelta(seconds=1)
    age = max(0, int((now - oldest) / seconds)) if oldest else 0
    moments = [t for t in (last["started"], last["finished"]) if t is not None]
    activity = max(0, int((now - max(moments)) / seconds)) if moments else None
    alive = busy or (activity is not None and activity <= WORKER_SEEN / seconds)
    return {
        "waiting": count,
        "oldest_waiting_seconds": age,
        "running": running_count,
        "last_activity_seconds": activity,
        "worker": "alive" if alive else "not seen",
    }


def reset() -> None:
    """Forget passed checks (tests)."""
    _passed.clear()


@never_cache
@require_GET
def healthz(request):
    database = check_database()
    body: dict = {"database": database}
    if database == "ok":
        body["schema"] = check_schema()
        body["queue"] = queue_state()
    body["static"] = check_static()
    healthy = database == "ok" and body.get("schema") == "ok" and body["static"] == "ok"
    body = {"status": "ok" if healthy else "error", **body}
    return JsonResponse(body, status=200 if healthy else 503)
