"""What other apps add to core's commands, without core importing them.

An app takes part by defining a method on its ``AppConfig``; core's commands call the methods
of the installed apps in ``INSTALLED_APPS`` order:

``load_demo(self, *, status) -> list[str]``
    ``brygga demo``: load the app's demo data, after core's demo municipality (idempotent).
    ``status(text)`` is a context manager that shows ``text`` while the work runs. Returns
    the lines (rich markup) printed after the municipality's summary.

``worker_starting(self) -> list[str]``
    ``brygga worker``, before it takes the first task: tidy up what an interrupted worker left
    behind. Returns the messages to print (none when there was nothing to do).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps


def app_hooks(name: str) -> list[Callable]:
    """The bound ``name`` methods of the installed apps' configs that define one."""
    return [
        hook for config in apps.get_app_configs() if callable(hook := getattr(config, name, None))
    ]
