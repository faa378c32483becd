"""`brygga backup`: one archive with the database, the uploaded files and a manifest.

The archive is a plain tar file:

- ``database.sqlite3`` (a consistent copy made with SQLite's online backup API) or
  ``database.pgdump`` (``pg_dump --format=custom``, run inside an exported snapshot);
- ``media/…``: the files under ``MEDIA_ROOT``;
- ``manifest.json`` (the last member): format version, Brygga version, database vendor, time,
  applied migrations, the row count of every model table and the audit chain head(s), all read
  from the same snapshot of the database as the copy itself.

Everything written here is private to the service user: the umask is 0o077 while the work runs,
the archive is created with mode 0600 under a temporary name and renamed at the end, and the
temporary files live in a 0700 directory that is removed afterwards. The restore side is in
``brygga.core.restore``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from brygga.audit.models import ChainHead

from .pgclient import find_pg_tool, postgres_env, run_pg_tool

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA_PREFIX = "media"
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

Report = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot go on; the message is meant for the administrator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    rows: int
    tables: int
    media_files: int
    manifest: dict[str, Any]


# --- small helpers shared with the restore side ------------------------------------------------


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories created inside are readable by the current user only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def quote(name: str) -> str:
    """An SQL identifier in double quotes (the same rule on SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def brygga_version() -> str:
    try:
        return metadata.version("brygga")
    except metadata.PackageNotFoundError:
        return "unknown"


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover


def model_tables() -> list[str]:
    """The table of every installed model, including the auto-created many-to-many tables."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def existing_tables(cursor: Any, *, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
    return {row[0] for row in cursor.fetchall()}


def row_counts(cursor: Any, tables: Iterable[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - quoted identifier
        counts[table] = int(cursor.fetchone()[0])
    return counts


def chain_heads(cursor: Any, present: set[str]) -> list[dict[str, Any]]:
    """The rows of ``ChainHead`` (id, seq, hash), read through a plain DB-API cursor."""
    meta = ChainHead._meta
    if meta.db_table not in present:
        return []
    cols = [quote(meta.get_field(name).column) for name in ("id", "seq", "hash")]
    cursor.execute(
        f"SELECT {', '.join(cols)} FROM {quote(meta.db_table)} ORDER BY {cols[0]}"  # noqa: S608
    )
    return [{"id": int(i), "seq": int(s), "hash": str(h)} for i, s, h in cursor.fetchall()]


def collect_state(cursor: Any, *, vendor: str) -> dict[str, Any]:
    """Migrations, row counts and chain heads, read with ``cursor`` (one snapshot)."""
    present = existing_tables(cursor, vendor=vendor)
    migrations: list[list[str]] = []
    if "django_migrations" in present:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [[str(app), str(name)] for app, name in cursor.fetchall()]
    tables = [t for t in model_tables() if t in present]
    return {
        "migrations": migrations,
        "tables": row_counts(cursor, tables),
        "audit_chain_heads": chain_heads(cursor, present),
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the database copy -----------------------------------------------------------------------------


def _dump_postgres(target: Path, *, alias: str, report: Report) -> dict[str, Any]:
    connection = connections[alias]
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    pg_dump, major = find_pg_tool("pg_dump", minimum_major=server_major)
    env = postgres_env(connection.settings_dict, application="brygga-backup")
    # One snapshot for the dump and for the manifest: pg_dump imports the snapshot that this
    # transaction exports, so the counts in the manifest describe exactly what was dumped.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        report("Counting rows")
        state = collect_state(cursor, vendor="postgresql")
        report(f"Dumping the PostgreSQL database with pg_dump {major}")
        args = [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}"]
        run_pg_tool([*args, f"--file={target}"], env=env, what="pg_dump")
    state["database"] = {"server_major": server_major, "pg_dump_major": major}
    return state


def _copy_sqlite(target: Path, *, alias: str, report: Report) -> dict[str, Any]:
    connection = connections[alias]
    connection.ensure_connection()
    report("Copying the SQLite database (online backup)")
    copy = sqlite3.connect(target)
    try:
        # One step: the copy is a consistent snapshot even while Brygga writes (WAL mode).
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The SQLite database failed its integrity check: {check}")
        report("Counting rows")
        state = collect_state(copy.cursor(), vendor="sqlite")
    finally:
        copy.close()
    state["database"] = {"sqlite_version": sqlite3.sqlite_version}
    return state


# --- the uploaded files ----------------------------------------------------------------------------


def media_files(root: Path) -> list[tuple[Path, str]]:
    """Regular files under ``root`` as (path, archive name); symbolic links are not followed."""
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_file() and not path.is_symlink():
                found.append((path, f"{MEDIA_PREFIX}/{path.relative_to(root).as_posix()}"))
    return found


def _private_tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> int | None:
    """Add one file; None if it disappeared meanwhile (an import finished and removed it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        tar.addfile(_private_tarinfo(name, st.st_size, st.st_mtime), fh)
    return st.st_size


# --- the archive -------------------------------------------------------------------------------


def default_archive_name(now: datetime) -> str:
    return f"brygga-backup-{now.astimezone(UTC):%Y%m%d-%H%M%S}.tar"


def resolve_output(output: str | os.PathLike[str] | None, *, now: datetime) -> Path:
    """The archive path: a file name, or a default name inside a directory (default: cwd)."""
    path = Path(output).expanduser() if output else Path.cwd()
    if path.is_dir():
        path = path / default_archive_name(now)
    path = path.absolute()
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    if path.exists() or path.is_symlink():
        raise BackupError(f"{path} already exists. Choose another name or move it away first.")
    return path


def create_backup(
    *,
    output: str | os.PathLike[str] | None = None,
    alias: str = DEFAULT_DB_ALIAS,
    report: Report | None = None,
) -> BackupResult:
    """Write the archive and return what it holds. Raises ``BackupError`` on any failure and
    then leaves no archive behind."""
    report = report or (lambda _message: None)
    vendor = connections[alias].vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Brygga backs up SQLite and PostgreSQL only, not {vendor}.")
    now = datetime.now(UTC)
    final = resolve_output(output, now=now)
    media_root = Path(settings.MEDIA_ROOT)
    with private_umask():
        workdir = Path(tempfile.mkdtemp(prefix=".brygga-backup-tmp-", dir=final.parent))
        partial = final.with_name(f".{final.name}.partial-{os.getpid()}")
        created = False
        try:
            db_file = workdir / DATABASE_MEMBERS[vendor]
            if vendor == "postgresql":
                state = _dump_postgres(db_file, alias=alias, report=report)
            else:
                state = _copy_sqlite(db_file, alias=alias, report=report)
            if not state["tables"]:
                raise BackupError(
                    f"The database ({vendor_name(vendor)}) has no Brygga tables: check that "
                    "DATABASE_URL (or BRYGGA_VAR_DIR) points at the installation's database."
                )
            report("Writing the archive")
            fd = os.open(
                partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
            created = True
            with os.fdopen(fd, "wb") as fh:
                with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    db_size = _add_file(tar, db_file, DATABASE_MEMBERS[vendor])
                    files = media_files(media_root)
                    stored, stored_bytes = 0, 0
                    for i, (path, name) in enumerate(files, start=1):
                        report(f"Adding uploaded files ({i}/{len(files)})")
                        size = _add_file(tar, path, name)
                        if size is not None:
                            stored, stored_bytes = stored + 1, stored_bytes + size
                    manifest = {
                        "format_version": FORMAT_VERSION,
                        "brygga_version": brygga_version(),
                        "database_vendor": vendor,
                        "created_at": now.isoformat(timespec="seconds"),
                        "database": {
                            **state["database"],
                            "member": DATABASE_MEMBERS[vendor],
                            "size": db_size,
                            "sha256": sha256_of(db_file),
                        },
                        "media": {"files": stored, "bytes": stored_bytes},
                        "migrations": state["migrations"],
                        "tables": state["tables"],
                        "audit_chain_heads": state["audit_chain_heads"],
                    }
                    data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
                    info = _private_tarinfo(MANIFEST_NAME, len(data), now.timestamp())
                    tar.addfile(info, io.BytesIO(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, final)
            _fsync_dir(final.parent)
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    partial.unlink()
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return BackupResult(
        path=final,
        size=final.stat().st_size,
        rows=sum(manifest["tables"].values()),
        tables=len(manifest["tables"]),
        media_files=stored,
        manifest=manifest,
    )


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
