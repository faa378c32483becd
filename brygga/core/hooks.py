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

What apps add to core's pages (the start page of a municipality, an area, a forum):

``overview_panels(self, request, municipality) -> list[Panel]``
    the municipality's overview (``/kommuner/<code>/``), shown under its heading;
``area_list_panels(self, request, municipality) -> list[Panel]``
    the list of a municipality's areas (``/kommuner/<code>/omraden/``), e.g. the progress of
    placing things in a layer whose areas changed;
``area_panels(self, request, municipality, area) -> list[Panel]`` and
``forum_panels(self, request, municipality, forum) -> list[Panel]``
    an area's and a forum's page.

    Each returns what the signed-in user may see, read through the app's selectors (so the
    resolver decides), and never free text that may hold personal data. A panel is a template
    of the app and its context; core includes it without knowing the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps


def app_hooks(name: str) -> list[Callable]:
    """The bound ``name`` methods of the installed apps' configs that define one."""
    return [
        hook for config in apps.get_app_configs() if callable(hook := getattr(config, name, None))
    ]


@dataclass(frozen=True)
class Panel:
    """A part of a core page that an app renders: ``template`` is included with ``panel`` (this
    object) in the context, so the template reads ``panel.context``."""

    template: str
    context: dict = field(default_factory=dict)


def page_panels(name: str, request, *args) -> list[Panel]:
    """The panels the installed apps add to a core page (``name``: ``overview_panels``,
    ``area_list_panels``, ``area_panels`` or ``forum_panels``), in ``INSTALLED_APPS`` order."""
    return [panel for hook in app_hooks(name) for panel in hook(request, *args)]
