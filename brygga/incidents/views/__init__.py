"""Incident pages under /kommuner/<code>/handelser/, one module per page group; urls.py routes
to them. Thin: reads through ``selectors`` (restricted by the resolver), writes through
``services``; the municipality in the URL is resolved for the user by core's
``municipality_view`` or generic views, so another municipality's code answers 404.

* ``lists``      the list, the map and the exports
* ``report``     filing a report, its receipt, editing an incident
* ``detail``     one incident with its history, its status, its removal
* ``weekly``     the weekly reporting round of the local safety groups
* ``police``     police events: counts, the upload and its job, the type mapping
* ``tabular``    the CSV/Excel import: upload, mapping, progress, errors, profiles
* ``categories`` the national and the municipality's own categories
* ``common``     the context and helpers the pages share

The Open311 key administration is in ``brygga.incidents.open311.admin_views``.
"""
