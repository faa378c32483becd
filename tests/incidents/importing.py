"""Drive the CSV/Excel import as a user does: upload a file, start the import with a column
mapping (the import pages), or run `brygga import-incidents`. The files come from
``factories.csv_bytes``/``factories.xlsx``."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

BASE = "/kommuner/2281/handelser/importer/"


def upload(client, data: bytes, name="export.csv", **extra):
    return client.post(f"{BASE}ny/", {"file": SimpleUploadedFile(name, data), **extra})


def start(client, job, **fields):
    data = {
        "category_column": fields.pop("category_column", "Kategori"),
        "has_header": "on",
        "col_source_id": "Id",
        "col_occurred_at": "Tidpunkt",
        "col_category": "Kategori",
        "col_lat": "Lat",
        "col_lon": "Lon",
        "col_description": "Beskrivning",
        "action": "start",
    }
    data.update(fields)
    return client.post(
        f"{BASE}{job.pk}/kolumner/", {k: v for k, v in data.items() if v is not None}
    )


def command(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import-incidents", str(path), "--municipality", "2281", *args, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()
