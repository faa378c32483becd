"""Uploaded import files while they wait for the worker: where they are stored, with which
permissions, and for how long.

An uploaded CSV/Excel or police events file may hold personal data, so:

* it is stored under a random name below ``imports/`` in the upload storage
  (:func:`upload_storage`: ``MEDIA_ROOT``, which is ``$BRYGGA_VAR_DIR/uploads``), never under
  the user's file name;
* on the file system every file is written with mode 0600 and every directory created with
  mode 0700, whatever the process umask (``FILE_UPLOAD_PERMISSIONS`` and
  ``FILE_UPLOAD_DIRECTORY_PERMISSIONS``; :func:`save_upload` also closes existing
  ``imports/`` directories left readable by earlier versions);
* it is removed as soon as it is of no further use: when its rows are written, when its job
  fails for any other reason than a failed validation
  (:func:`brygga.incidents.imports.jobs.discard_file`), and at the latest when its job has not
  changed for ``BRYGGA_UPLOAD_RETENTION_HOURS`` (default 24; :func:`purge_expired_uploads`). A
  purged job keeps its state and counts; its ``options["upload_expired_hours"]`` tells its
  page why the file is gone.

The purge runs when a CSV/Excel file is uploaded, when ``brygga worker`` starts (from
:func:`brygga.incidents.imports.jobs.recover_stale_jobs`) and from ``brygga import-jobs
--purge-files``. It also removes files below ``imports/`` that no job refers to (a job row
deleted, a request that died between storing the file and creating its job) once they are
older than the limit.

This module handles the files; the job rows that name them are changed only by
:mod:`brygga.incidents.imports.jobs` (the purge asks it to let go of a file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

from ..models import ImportJob

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
UPLOAD_DIR = "imports"
DEFAULT_RETENTION_HOURS = 24
EXPIRED_KEY = "upload_expired_hours"  # in ImportJob.options once the purge removed the file


def upload_storage() -> Storage:
    """Where uploaded files wait for the worker: the default storage, or ``var/uploads/``
    when the default is the file system without a ``MEDIA_ROOT``. A file system storage always
    writes files 0600 and creates directories 0700, even if the settings were changed."""
    default = storages["default"]
    if not isinstance(default, FileSystemStorage):
        return default  # e.g. object storage: access is the bucket's business
    location = default.base_location or Path(settings.VAR_DIR) / "uploads"
    if (
        default.base_location
        and default.file_permissions_mode == FILE_MODE
        and default.directory_permissions_mode == DIR_MODE
    ):
        return default
    return FileSystemStorage(
        location=location, file_permissions_mode=FILE_MODE, directory_permissions_mode=DIR_MODE
    )


def retention_hours() -> int:
    """``BRYGGA_UPLOAD_RETENTION_HOURS`` (default 24, at least 1)."""
    hours = getattr(settings, "BRYGGA_UPLOAD_RETENTION_HOURS", DEFAULT_RETENTION_HOURS)
    return max(1, int(hours))


def retention() -> timedelta:
    return timedelta(hours=retention_hours())


def kept_until(job: ImportJob) -> datetime | None:
    """When the purge removes ``job``'s stored file if the job does not change before."""
    if not job.stored_file:
        return None
    return job.updated_at + retention()


def _close_directories(storage: Storage, name: str) -> None:
    """Make the existing directories from ``imports/`` down to ``name``'s 0700 (older
    versions created them 0755). Directories still missing are created 0700 by the storage."""
    if not isinstance(storage, FileSystemStorage):
        return
    parts = PurePosixPath(name).parent.parts
    if not parts or parts[0] != UPLOAD_DIR:
        return
    path = Path(storage.location)
    for part in parts:
        path = path / part
        try:
            st = path.lstat()
            if stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) != DIR_MODE:
                os.chmod(path, DIR_MODE)
        except FileNotFoundError:
            return
        except PermissionError:
            logger.warning("cannot restrict the upload directory %s to mode 0700", path)


def save_upload(name: str, content) -> str:
    """Store ``content`` (an uploaded file) as ``name`` (``imports/…``, a random name chosen
    by the caller); returns the name actually stored."""
    storage = upload_storage()
    _close_directories(storage, name)
    with contextlib.suppress(AttributeError, ValueError):
        content.seek(0)
    return storage.save(name, content)


def open_upload(name: str) -> IO[bytes]:
    """Open a stored upload for reading; ``FileNotFoundError`` if it is gone (or was never
    stored)."""
    if not name:
        raise FileNotFoundError("no stored file")
    return upload_storage().open(name, "rb")


def delete_upload(name: str) -> bool:
    """Remove a stored upload; a file that is already gone is no error. Returns whether the
    storage could be asked (``False`` only when it failed; the purge tries again later)."""
    if not name:
        return True
    try:
        upload_storage().delete(name)
    except FileNotFoundError:
        pass
    except Exception:
        logger.exception("could not remove the stored upload %s", name)
        return False
    return True


def private_opener(path, flags: int) -> int:
    """An ``opener`` for :func:`open` that creates the file 0600 (and makes an existing regular
    file 0600), for files written outside the storage that quote rows of an upload."""
    fd = os.open(path, flags, FILE_MODE)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        with contextlib.suppress(PermissionError):  # an existing file of another owner
            os.fchmod(fd, FILE_MODE)
    return fd


def _files_below(storage: Storage, path: str):
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    except (OSError, NotImplementedError):
        logger.warning("cannot list the stored uploads in %s", path)
        return
    for f in files:
        yield f"{path}/{f}"
    for d in directories:
        yield from _files_below(storage, f"{path}/{d}")


def _purge_orphans(storage: Storage, cutoff: datetime) -> int:
    referenced = set(
        ImportJob.objects.exclude(stored_file="").values_list("stored_file", flat=True)
    )
    n = 0
    for name in _files_below(storage, UPLOAD_DIR):
        if name in referenced:
            continue
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue
        except (OSError, NotImplementedError):
            continue
        if delete_upload(name):
            n += 1
    return n


def purge_expired_uploads(now: datetime | None = None) -> int:
    """Remove every stored upload whose job has not changed for the retention time, and files
    no job refers to that are older than that. The jobs keep their state and counts. Returns
    the number of files removed."""
    from . import jobs  # jobs uses this module's files; it alone changes the job rows

    now = now or timezone.now()
    hours = retention_hours()
    cutoff = now - timedelta(hours=hours)
    storage = upload_storage()
    expired = ImportJob.objects.filter(updated_at__lt=cutoff).exclude(stored_file="")
    n = 0
    for pk, name, options, updated_at in expired.values_list(
        "pk", "stored_file", "options", "updated_at"
    ):
        # only if the job did not change meanwhile (a user starting it again, a worker)
        released = jobs.release_expired_file(
            pk, stored_file=name, updated_at=updated_at, options=options, hours=hours
        )
        if released and delete_upload(name):
            n += 1
    n += _purge_orphans(storage, cutoff)
    if n:
        logger.info("removed %s stored uploads older than %s hours", n, hours)
    return n
