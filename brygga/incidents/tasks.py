"""Kept for tasks queued before the imports moved to :mod:`brygga.incidents.imports`.

django-tasks stores a queued task by the import path of its function (``task_path``) and the
worker finds it again with ``import_string``. A CSV/Excel import queued by an earlier version
carries ``brygga.incidents.tasks.run_tabular_import``, so this name must keep pointing at the
task object itself (``Task.get_result`` compares a result's task with the one it is called
on). New tasks are queued under ``brygga.incidents.imports.tasks``. Import nothing else
from here; remove this module once no queue can hold tasks from before the move.
"""

from brygga.incidents.imports.tasks import run_tabular_import

__all__ = ["run_tabular_import"]
