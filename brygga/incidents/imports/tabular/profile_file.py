"""An import profile as a file: saved from the web UI (or ``brygga import-incidents --profile
NAME --export-profile FILE``) and given to ``brygga import-incidents FILE --profile-file
PROFILE.json``, so a monthly extract can be imported by a scheduled job without the web UI.

The file is the profile's mapping (:meth:`.mapping.Mapping.to_json`) with its name::

    {"version": 1, "name": "Polisens registerutdrag", "register": "Polisens registerutdrag",
     "columns": {"source_id": "Id", "date": "Brottsdatum", …},
     "categories": {"0893": "skadegorelse", …}, "has_header": true}

A malformed file is refused with a message that names the file and what is wrong."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from .mapping import FIELDS, Mapping
from .report import TabularError

VERSION = 1
_KEYS = {"version", "name", "register", "columns", "categories", "has_header"}


def profile_file(name: str, mapping: Mapping) -> bytes:
    """The profile as the bytes of a JSON file (UTF-8, indented for people to read)."""
    data = {"version": VERSION, "name": name, **mapping.to_json()}
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _refuse(file_name: str, problem: str) -> TabularError:
    return TabularError(
        _("“%(file)s” is not a usable import profile: %(problem)s")
        % {"file": file_name, "problem": problem}
    )


def read_profile_file(data: bytes, file_name: str) -> tuple[str, Mapping]:
    """(name, mapping) from a profile file; :class:`TabularError` for a malformed one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(file_name, _("it is not UTF-8 text.")) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(
            file_name,
            _("the JSON is not valid on line %(line)s, column %(column)s (%(reason)s).")
            % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg},
        ) from None
    if not isinstance(doc, dict):
        raise _refuse(file_name, _("it must hold one JSON object { … }."))
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise _refuse(
            file_name,
            _("unknown keys %(keys)s (known: %(known)s).")
            % {"keys": ", ".join(unknown), "known": ", ".join(sorted(_KEYS))},
        )
    if doc.get("version") != VERSION:
        raise _refuse(
            file_name,
            _("“version” is %(version)s; this version of Brygga reads version %(expected)s.")
            % {"version": json.dumps(doc.get("version")), "expected": VERSION},
        )
    columns = doc.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise _refuse(file_name, _("“columns” must be an object of field → column header."))
    for key, value in columns.items():
        if key not in FIELDS:
            raise _refuse(
                file_name,
                _("“columns” names the unknown field “%(field)s” (known: %(known)s).")
                % {"field": key, "known": ", ".join(FIELDS)},
            )
        if not isinstance(value, str) or not value.strip():
            raise _refuse(
                file_name,
                _("the column for “%(field)s” must be a column header (text).") % {"field": key},
            )
    categories = doc.get("categories", {})
    if not isinstance(categories, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in categories.items()
    ):
        raise _refuse(
            file_name, _("“categories” must be an object of source value → category code.")
        )
    for key in ("name", "register"):
        value = doc.get(key, "")
        if not isinstance(value, str) or len(value) > 100:
            raise _refuse(
                file_name,
                _("“%(key)s” must be text of at most 100 characters.") % {"key": key},
            )
    if not isinstance(doc.get("has_header", True), bool):
        raise _refuse(file_name, _("“has_header” must be true or false."))
    return doc.get("name", "").strip(), Mapping.from_json(doc)
