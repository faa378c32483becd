"""Uploaded GIS files of areas while the user goes through the import's steps (fields,
preview, confirm).

The rules are those of the incident imports' uploads (brygga/incidents/imports/storage.py,
which core may not import): a random name below ``area-imports/`` in the upload storage, files
0600 and directories 0700 on the file system, removed when the import is done or cancelled and
at the latest after ``BRYGGA_UPLOAD_RETENTION_HOURS`` (default 24), swept on every upload.
Which file belongs to whom is kept in the user's session, never in a URL.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

logger = logging.getLogger(__name__)

UPLOAD_DIR = "area-imports"
FILE_MODE, DIR_MODE = 0o600, 0o700


def upload_storage() -> Storage:
    default = storages["default"]
    if not isinstance(default, FileSystemStorage):
        return default
    location = default.base_location or Path(settings.VAR_DIR) / "uploads"
    return FileSystemStorage(
        location=location, file_permissions_mode=FILE_MODE, directory_permissions_mode=DIR_MODE
    )


def save_upload(content, suffix: str) -> str:
    """Store an uploaded file under a random name; returns the stored name."""
    purge_expired()
    with contextlib.suppress(AttributeError, ValueError):
        content.seek(0)
    return upload_storage().save(f"{UPLOAD_DIR}/{secrets.token_hex(16)}{suffix}", content)


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """The stored upload as a local file (GDAL reads paths), removed afterwards.
    ``FileNotFoundError`` when it is gone."""
    if not name.startswith(f"{UPLOAD_DIR}/"):
        raise FileNotFoundError(name)
    with tempfile.TemporaryDirectory(prefix="brygga-gis-") as tmp:
        target = Path(tmp) / Path(name).name
        with upload_storage().open(name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield target


def delete_upload(name: str) -> None:
    if name.startswith(f"{UPLOAD_DIR}/"):
        with contextlib.suppress(FileNotFoundError):
            upload_storage().delete(name)


def purge_expired() -> int:
    """Remove stored area uploads older than the retention time."""
    hours = max(1, int(getattr(settings, "BRYGGA_UPLOAD_RETENTION_HOURS", 24)))
    cutoff = timezone.now() - timedelta(hours=hours)
    storage = upload_storage()
    try:
        _dirs, files = storage.listdir(UPLOAD_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return 0
    n = 0
    for f in files:
        name = f"{UPLOAD_DIR}/{f}"
        try:
            if storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                n += 1
        except (OSError, NotImplementedError):
            logger.warning("cannot check or remove the stored area upload %s", name)
    return n
