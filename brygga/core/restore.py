"""`brygga restore`: put a `brygga backup` archive back into the configured database.

The archive is checked before anything is touched: every member name must be relative and free
of ``..`` (and pass tarfile's ``data`` filter), the manifest's format version must be known and
its database vendor must be the target's. The target must be empty (no tables, or no users and
no audit events, which is what a freshly migrated database holds) unless ``force`` is given.
Afterwards every table's row count is compared with the manifest, the audit hash chain is
verified and its head compared with the manifest's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from brygga.audit.chain import verify_chain
from brygga.audit.models import AuditEvent, ChainHead

from .backup import (
    DATABASE_MEMBERS,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MEDIA_PREFIX,
    BackupError,
    Report,
    existing_tables,
    private_umask,
    quote,
    row_counts,
    vendor_name,
)
from .pgclient import find_pg_tool, postgres_env, run_pg_tool


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    rows: int = 0
    tables: int = 0
    media_files: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- reading the archive safely ----------------------------------------------------------------


def check_members(
    members: list[tarfile.TarInfo], *, media_root: Path
) -> tuple[dict[str, tarfile.TarInfo], list[tarfile.TarInfo]]:
    """All members by name, and the media files; ``BackupError`` for anything unsafe."""
    by_name: dict[str, tarfile.TarInfo] = {}
    media: list[tarfile.TarInfo] = []
    top_level = {MANIFEST_NAME, *DATABASE_MEMBERS.values()}
    for member in members:
        name = member.name
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or PurePosixPath(name).is_absolute() or ".." in parts:
            raise BackupError(
                f"The archive is not safe to restore: the member {name!r} has an absolute path "
                "or '..'. It was not made by `brygga backup` or has been tampered with."
            )
        if name in by_name:
            raise BackupError(f"The archive holds {name!r} twice; it has been tampered with.")
        by_name[name] = member
        if parts[0] == MEDIA_PREFIX:
            if not (member.isreg() or member.isdir()):
                raise BackupError(f"The archive member {name!r} is a link or a special file.")
            if member.isreg() and len(parts) > 1:
                media.append(member)
        elif name not in top_level or not member.isreg():
            raise BackupError(f"The archive holds an unexpected member {name!r}.")
        # Python's own extraction filter (PEP 706) as a second check where it exists: Debian
        # 12's Python 3.11.2 predates it, and the checks above do not rely on it.
        data_filter = getattr(tarfile, "data_filter", None)
        if data_filter is not None:
            try:
                data_filter(member, str(media_root))
            except tarfile.TarError as exc:  # FilterError is a TarError
                raise BackupError(f"The archive is not safe to restore: {exc}") from exc
    return by_name, media


def read_manifest(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> dict[str, Any]:
    member = members.get(MANIFEST_NAME)
    if member is None:
        raise BackupError(f"The archive has no {MANIFEST_NAME}; it is not a Brygga backup.")
    try:
        manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"The archive's {MANIFEST_NAME} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise BackupError(
            f"Unknown backup format version {version!r}: this Brygga reads version "
            f"{FORMAT_VERSION}. Restore it with the Brygga version that made it "
            f"({manifest.get('brygga_version', 'unknown') if isinstance(manifest, dict) else '?'})."
        )
    if not isinstance(manifest.get("tables"), dict) or not isinstance(
        manifest.get("audit_chain_heads"), list
    ):
        raise BackupError(f"The archive's {MANIFEST_NAME} is incomplete.")
    return manifest


def check_vendor(manifest: dict[str, Any], *, vendor: str) -> None:
    source = manifest.get("database_vendor")
    if source != vendor:
        raise BackupError(
            f"This backup holds a {vendor_name(str(source))} database, but the target database "
            f"is {vendor_name(vendor)}. SQLite backups restore into SQLite and PostgreSQL "
            "backups into PostgreSQL."
        )


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a readable archive: {exc}") from exc
    try:
        yield tar
    finally:
        tar.close()


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, out: IO[bytes], sha: str) -> None:
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    for block in iter(lambda: source.read(1 << 20), b""):
        digest.update(block)
        out.write(block)
    if sha and digest.hexdigest() != sha:
        raise BackupError(
            f"The database file in the archive is damaged: its checksum does not match the "
            f"manifest ({member.name})."
        )


# --- the target ----------------------------------------------------------------------------------


def target_contents(*, alias: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows in the user and audit tables of the target ({} when it has no tables at all)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        present = existing_tables(cursor, vendor=connection.vendor)
        tables = [get_user_model()._meta.db_table, AuditEvent._meta.db_table]
        return row_counts(cursor, [t for t in tables if t in present])


def describe_target(*, alias: str = DEFAULT_DB_ALIAS) -> str:
    db = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"SQLite database {db['NAME']}"
    return f"PostgreSQL database {db.get('NAME')} on {db.get('HOST') or 'the local socket'}"


def _restore_sqlite(tar, member, manifest, *, alias: str, report: Report) -> None:
    connection = connections[alias]
    target = Path(str(connection.settings_dict["NAME"]))
    if str(target) == ":memory:" or connection.is_in_memory_db():
        raise BackupError("The target is an in-memory SQLite database; set DATABASE_URL.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".brygga-restore-", suffix=".sqlite3", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_member(tar, member, out, manifest["database"].get("sha256", ""))
            out.flush()
            os.fsync(out.fileno())
        check = sqlite3.connect(tmp)
        try:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
        if result != "ok":
            raise BackupError(f"The database file in the archive is damaged: {result}")
        report(f"Replacing {target}")
        connection.close()
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{target}{suffix}").unlink()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _restore_postgres(tar, member, manifest, *, alias: str, report: Report) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    db = connection.settings_dict
    if not db.get("NAME"):
        raise BackupError("The database settings name no database (NAME) to restore into.")
    server_major = connection.pg_version // 10000
    dump_major = int(manifest["database"].get("pg_dump_major") or 0)
    pg_restore, major = find_pg_tool("pg_restore", minimum_major=max(server_major, dump_major))
    env = postgres_env(db, application="brygga-restore")
    workdir = Path(tempfile.mkdtemp(prefix="brygga-restore-"))
    try:
        dump = workdir / member.name
        with open(dump, "wb") as out:
            _copy_member(tar, member, out, manifest["database"].get("sha256", ""))
        listing = run_pg_tool([pg_restore, "--list", str(dump)], env=env, what="Reading the dump")
        dumped = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
        with connection.cursor() as cursor:
            present = existing_tables(cursor, vendor="postgresql")
        extra = sorted(present - dumped)
        if extra:
            # Tables the dump does not hold (a newer schema): pg_restore --clean leaves them.
            report(f"Dropping {len(extra)} tables that are not in the backup")
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(map(quote, extra))} CASCADE")
        connection.close()
        args = [pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
        if present:
            args += ["--clean", "--if-exists"]  # replace, in the same single transaction
        report(f"Restoring with {Path(pg_restore).name} {major}")
        run_pg_tool(
            [*args, "--no-password", f"--dbname={db['NAME']}", str(dump)],
            env=env,
            what="Restoring the database",
            hint="; it runs in one transaction, so it changed nothing",
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _make_private_dirs(path: Path, root: Path) -> None:
    missing = []
    while path != root and not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700)


def _restore_media(tar, members: list[tarfile.TarInfo], *, report: Report) -> int:
    if not members:
        return 0
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root = media_root.resolve()
    staging = Path(tempfile.mkdtemp(prefix=".brygga-restore-media-", dir=media_root.parent))
    try:
        report(f"Restoring {len(members)} uploaded files")
        for member in members:
            # Regular files with checked names only (check_members); written by hand rather
            # than with extractall(filter="data"), which Python before 3.11.4 does not have.
            relative = PurePosixPath(member.name).relative_to(MEDIA_PREFIX)
            dest = media_root.joinpath(*relative.parts)
            _make_private_dirs(dest.parent, media_root)
            if not dest.parent.resolve().is_relative_to(root):
                raise BackupError(f"{dest.parent} leads outside {media_root}; not restored.")
            source = staging / f"{len(os.listdir(staging))}.part"
            fd = os.open(source, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out, tar.extractfile(member) as data:
                shutil.copyfileobj(data, out)
            os.replace(source, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(members)


# --- checks after the restore ----------------------------------------------------------------------


def verify_restore(manifest: dict[str, Any], *, alias: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    connection = connections[alias]
    expected: dict[str, int] = manifest["tables"]
    result = RestoreResult(manifest=manifest)
    with connection.cursor() as cursor:
        present = existing_tables(cursor, vendor=connection.vendor)
        counts = row_counts(cursor, [t for t in expected if t in present])
    for table, rows in expected.items():
        if table not in counts:
            result.problems.append(f"table {table} is missing (the backup has {rows} rows)")
        elif counts[table] != rows:
            result.problems.append(f"table {table} has {counts[table]} rows; the backup has {rows}")
    result.rows, result.tables = sum(counts.values()), len(counts)
    # A backup of an older Brygga may predate the keyed audit chain (no key_id column until
    # `brygga migrate` runs): it is checked the way that version wrote it.
    chain = verify_chain(allow_unkeyed_schema=True)
    result.audit_rows = chain.checked
    if not chain.ok:
        result.problems.append(f"audit chain broken at row seq={chain.bad_seq}: {chain.reason}")
    heads = [
        {"id": int(h.id), "seq": int(h.seq), "hash": h.hash}
        for h in ChainHead.objects.using(alias).order_by("id")
    ]
    if heads != manifest["audit_chain_heads"]:
        result.problems.append(
            f"audit chain head {_heads(heads)} differs from the backup's "
            f"{_heads(manifest['audit_chain_heads'])}"
        )
    executor = MigrationExecutor(connection)
    unknown = {tuple(m) for m in manifest.get("migrations", [])} - set(
        executor.loader.disk_migrations
    )
    if unknown:
        result.notes.append(
            f"The backup was made by Brygga {manifest.get('brygga_version')}, which has "
            f"{len(unknown)} migrations this installation does not know "
            f"({', '.join(sorted('.'.join(m) for m in unknown)[:3])}…). Upgrade Brygga."
        )
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        result.notes.append(
            f"{len(pending)} migrations of this Brygga version are not applied to the restored "
            "database yet: run `brygga migrate` before starting the services."
        )
    return result


def _heads(heads: list[dict[str, Any]]) -> str:
    return ", ".join(f"#{h['seq']} {h['hash'][:12]}…" for h in heads) or "(empty chain)"


def restore_backup(
    *,
    archive: str | os.PathLike[str],
    force: bool = False,
    alias: str = DEFAULT_DB_ALIAS,
    report: Report | None = None,
) -> RestoreResult:
    """Restore ``archive`` into the configured database and MEDIA_ROOT, then check the result.

    Raises ``BackupError`` (and changes nothing) when the archive is unsafe, of another format
    or vendor, or when the target is not empty and ``force`` is not given.
    """
    report = report or (lambda _message: None)
    connection = connections[alias]
    vendor = connection.vendor
    with private_umask(), open_archive(Path(archive)) as tar:
        report("Checking the archive")
        members, media = check_members(tar.getmembers(), media_root=Path(settings.MEDIA_ROOT))
        manifest = read_manifest(tar, members)
        check_vendor(manifest, vendor=vendor)
        db_member = members.get(DATABASE_MEMBERS[vendor])
        if db_member is None:
            raise BackupError(f"The archive has no {DATABASE_MEMBERS[vendor]}.")
        if not force:
            contents = target_contents(alias=alias)
            if any(contents.values()):
                users = contents.get(get_user_model()._meta.db_table, 0)
                events = contents.get(AuditEvent._meta.db_table, 0)
                raise BackupError(
                    f"The target ({describe_target(alias=alias)}) is not empty: it holds "
                    f"{users} users and {events} audit events. `brygga restore` writes only "
                    "into an empty database (no tables, or only what `brygga migrate` "
                    "creates). To replace everything in it with the backup, add --force."
                )
        report(f"Restoring the {vendor_name(vendor)} database")
        if vendor == "postgresql":
            _restore_postgres(tar, db_member, manifest, alias=alias, report=report)
        else:
            _restore_sqlite(tar, db_member, manifest, alias=alias, report=report)
        media_files = _restore_media(tar, media, report=report)
    report("Checking the restored database")
    result = verify_restore(manifest, alias=alias)
    result.media_files = media_files
    return result
