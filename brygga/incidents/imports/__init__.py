"""Imports of incidents from files: police events (JSON, JSON Lines, gzip) and CSV/Excel tables.

* :mod:`.tabular` — the CSV/Excel import, one module per stage (detect, read, mapping,
  validate, locate, write) and its public API in ``tabular/__init__.py``;
* :mod:`.police` — the police events import (read, mapping, write);
* :mod:`.jobs` — the one module that changes an ``ImportJob``: its state machine and the
  recovery of stuck jobs;
* :mod:`.storage` — where uploaded files wait for the worker, and for how long;
* :mod:`.tasks` — the two background tasks.

The rows of an import are written by the import's ``write.py`` through
:class:`brygga.incidents.services.IncidentBulkWriter`; profiles, new jobs and the police type
mapping are services in :mod:`brygga.incidents.services.imports`. This package's ``__init__``
imports nothing, so the services can use :mod:`.jobs` without loading the importers.
"""
