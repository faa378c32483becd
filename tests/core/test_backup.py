"""`brygga backup` and `brygga restore`: one private archive, a checked round trip.

The round trips run the real commands as subprocesses against their own databases: a SQLite
file in a temporary directory (always), and two throwaway databases on the test session's
PostgreSQL server when DATABASE_URL points at one (CI's PostgreSQL half). The refusals that
happen before the database is touched run in-process, without database access.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sqlite3
import stat
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from brygga.core.backup import BackupError, default_archive_name, resolve_output
from brygga.core.pgclient import PgClientError, find_pg_tool, postgres_env

UPLOAD = "imports/police/waiting-for-the-worker.json"
UPLOAD_BYTES = b'[{"id": 1, "name": "Inbrott"}]\n'


def run_brygga(*args: str, env: dict[str, str], cwd: Path, ok: bool = True, preexec_fn=None):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "BRYGGA_ENV_FILE")
    }
    result = subprocess.run(
        [sys.executable, "-m", "brygga.manage", *args],
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "brygga.config.settings.base", **env},
        cwd=cwd,
        timeout=300,
        preexec_fn=preexec_fn,
    )
    if ok:
        assert result.returncode == 0, f"brygga {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def add_upload(var_dir: Path) -> Path:
    path = var_dir / "uploads" / UPLOAD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(UPLOAD_BYTES)
    return path


# --- SQLite ------------------------------------------------------------------------------------


@dataclass
class Site:
    var_dir: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.var_dir / "brygga.sqlite3"


def sqlite_site(var_dir: Path) -> Site:
    return Site(
        var_dir,
        {"BRYGGA_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{var_dir}/brygga.sqlite3"},
    )


def sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def sqlite_chain_ends(path: Path) -> list[dict]:
    """The newest row of every audit chain, as the manifest lists the heads."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT chain, seq, hash FROM audit_auditevent WHERE seq IN "
            "(SELECT MAX(seq) FROM audit_auditevent GROUP BY chain) ORDER BY chain"
        ).fetchall()
    finally:
        db.close()
    return [{"id": chain, "seq": seq, "hash": h} for chain, seq, h in rows]


# The tests that share the module's backup run on one xdist worker, so it is made once.
SHARES_THE_SQLITE_BACKUP = pytest.mark.xdist_group(name="backup-sqlite")


@dataclass
class Backup:
    root: Path
    source: Site
    archive: Path
    stdout: str


@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory) -> Backup:
    """The demo municipality plus one waiting upload, backed up into the working directory."""
    root = tmp_path_factory.mktemp("backup-sqlite")
    source = sqlite_site(root / "source")
    run_brygga("demo", "--no-serve", env=source.env, cwd=root)
    add_upload(source.var_dir)
    result = run_brygga("backup", env=source.env, cwd=root)
    (archive,) = root.glob("brygga-backup-*.tar")
    return Backup(root, source, archive, result.stdout)


@SHARES_THE_SQLITE_BACKUP
def test_backup_writes_one_private_archive_with_a_manifest(sqlite_backup):
    archive = sqlite_backup.archive
    assert mode(archive) == 0o600
    # Nothing else was left behind: no partial archive, no temporary directory.
    assert sorted(p.name for p in sqlite_backup.root.iterdir()) == sorted([archive.name, "source"])
    assert f"Backup written: {archive} (" in sqlite_backup.stdout
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        manifest = json.load(tar.extractfile("manifest.json"))
        assert tar.extractfile(f"media/{UPLOAD}").read() == UPLOAD_BYTES
    assert set(members) == {"database.sqlite3", "manifest.json", f"media/{UPLOAD}"}
    assert all(m.mode == 0o600 for m in members.values())

    assert manifest["format_version"] == 1
    assert manifest["database_vendor"] == "sqlite"
    assert datetime.fromisoformat(manifest["created_at"]).utcoffset().total_seconds() == 0
    assert ["core", "0001_initial"] in manifest["migrations"]
    counts = sqlite_counts(sqlite_backup.source.database)
    assert manifest["tables"] == {t: counts[t] for t in manifest["tables"]}
    # Every model's table, the many-to-many ones included; the demo filled the important ones.
    assert {"auth_user", "audit_auditevent", "core_forum_areas", "incidents_incident"} <= set(
        manifest["tables"]
    )
    assert manifest["tables"]["auth_user"] > 0 and manifest["tables"]["incidents_incident"] > 0
    total = sum(manifest["tables"].values())
    assert f"{total} rows in {len(manifest['tables'])} tables" in sqlite_backup.stdout
    # One head per chain (the installation's, 0, and one per municipality with rows): each
    # chain's newest row.
    heads = manifest["audit_chain_heads"]
    assert heads == sqlite_chain_ends(sqlite_backup.source.database)
    assert len(heads) >= 2 and heads[0]["id"] == 0
    assert all(len(head["hash"]) == 64 for head in heads)
    assert manifest["media"] == {"files": 1, "bytes": len(UPLOAD_BYTES)}


@SHARES_THE_SQLITE_BACKUP
def test_round_trip_into_a_new_sqlite_database(sqlite_backup, tmp_path):
    target = sqlite_site(tmp_path / "target")
    result = run_brygga("restore", str(sqlite_backup.archive), env=target.env, cwd=tmp_path)
    assert "Checks passed" in result.stdout
    assert sqlite_counts(target.database) == sqlite_counts(sqlite_backup.source.database)
    restored = target.var_dir / "uploads" / UPLOAD
    assert restored.read_bytes() == UPLOAD_BYTES
    assert mode(restored) == 0o600 and mode(restored.parent) == 0o700
    assert mode(target.database) == 0o600
    verify = run_brygga("audit", "verify", env=target.env, cwd=tmp_path)
    assert "Audit chain intact" in verify.stdout


@SHARES_THE_SQLITE_BACKUP
def test_restore_refuses_a_database_with_data_and_force_replaces_it(sqlite_backup, tmp_path):
    target = sqlite_site(tmp_path / "target")
    run_brygga("migrate", "--no-input", env=target.env, cwd=tmp_path)
    # A freshly migrated database (reference data only) counts as empty.
    run_brygga("restore", str(sqlite_backup.archive), env=target.env, cwd=tmp_path)
    source_counts = sqlite_counts(sqlite_backup.source.database)
    assert sqlite_counts(target.database) == source_counts

    run_brygga(
        "createsuperuser", "--no-input", "--username", "extra", "--email", "extra@example.se",
        env={**target.env, "DJANGO_SUPERUSER_PASSWORD": "a-long-enough-password-1"},
        cwd=tmp_path,
    )  # fmt: skip
    before = sqlite_counts(target.database)
    assert before["auth_user"] == source_counts["auth_user"] + 1
    refused = run_brygga(
        "restore", str(sqlite_backup.archive), env=target.env, cwd=tmp_path, ok=False
    )
    assert refused.returncode != 0
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert sqlite_counts(target.database) == before

    forced = run_brygga(
        "restore", str(sqlite_backup.archive), "--force", env=target.env, cwd=tmp_path
    )
    assert "Checks passed" in forced.stdout
    assert sqlite_counts(target.database) == source_counts
    run_brygga("audit", "verify", env=target.env, cwd=tmp_path)


@SHARES_THE_SQLITE_BACKUP
def test_restore_names_the_table_that_differs(sqlite_backup, tmp_path):
    """A backup whose manifest disagrees with its database fails the check after the restore."""
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(sqlite_backup.archive) as src, tarfile.open(tampered, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["core_area"] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    target = sqlite_site(tmp_path / "target")
    result = run_brygga("restore", str(tampered), env=target.env, cwd=tmp_path, ok=False)
    assert result.returncode != 0
    assert "table core_area has" in result.stderr


@SHARES_THE_SQLITE_BACKUP
def test_a_failed_backup_leaves_nothing_behind(sqlite_backup, tmp_path):
    """The disk fills up while the archive is written: an error, and no partial file."""
    with tarfile.open(sqlite_backup.archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    limit = manifest["database"]["size"] + 64 * 1024  # room for the copy, not for the archive
    var_dir = tmp_path / "var"
    big = var_dir / "uploads" / "imports" / "2281" / "big.csv"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"x" * (256 * 1024))
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "BRYGGA_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{sqlite_backup.source.database}",
    }

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run_brygga(
        "backup", "--output", str(out / "mine.tar"), env=env, cwd=tmp_path, ok=False,
        preexec_fn=small_files,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Backup failed, no archive was written" in result.stderr
    assert list(out.iterdir()) == []


def test_backup_refuses_a_database_without_tables(tmp_path):
    site = sqlite_site(tmp_path / "nothing")
    result = run_brygga("backup", env=site.env, cwd=tmp_path, ok=False)
    assert result.returncode != 0 and "has no Brygga tables" in result.stderr
    assert not list(tmp_path.glob("*.tar")) and not list(tmp_path.glob(".*"))


# --- refusals before anything is touched (in-process, no database access) ----------------------


def other_vendor() -> str:
    return "sqlite" if connection.vendor == "postgresql" else "postgresql"


def make_archive(path: Path, *, manifest: dict | None = None, extra: list | None = None) -> Path:
    manifest = manifest or {
        "format_version": 1,
        "database_vendor": connection.vendor,
        "tables": {},
        "audit_chain_heads": [],
        "database": {},
    }
    with tarfile.open(path, "w") as tar:
        members = [("manifest.json", json.dumps(manifest).encode())]
        db_member = "database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3"
        members.append((db_member, b"not really a database"))
        for name, data in members + (extra or []):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "name", ["../escaped.txt", "media/../../escaped.txt", "/srv/escaped.txt", "media/x/../../.."]
)
def test_restore_rejects_a_member_outside_the_archive(tmp_path, name):
    archive = make_archive(tmp_path / "evil.tar", extra=[(name, b"gotcha")])
    with pytest.raises(CommandError, match="not safe to restore"):
        call_command("restore", str(archive))
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_restore_rejects_a_link_in_the_archive(tmp_path):
    archive = make_archive(tmp_path / "link.tar")
    with tarfile.open(archive, "a") as tar:
        link = tarfile.TarInfo("media/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(CommandError, match="is a link"):
        call_command("restore", str(archive))


def test_restore_refuses_a_backup_of_the_other_database_vendor(tmp_path):
    manifest = {
        "format_version": 1,
        "database_vendor": other_vendor(),
        "tables": {},
        "audit_chain_heads": [],
    }
    archive = make_archive(tmp_path / "other.tar", manifest=manifest)
    with pytest.raises(CommandError) as excinfo:
        call_command("restore", str(archive))
    message = str(excinfo.value)
    assert "SQLite backups restore into SQLite and PostgreSQL backups into PostgreSQL" in message


def test_restore_refuses_an_unknown_format_version(tmp_path):
    manifest = {"format_version": 99, "database_vendor": connection.vendor, "tables": {}}
    archive = make_archive(tmp_path / "future.tar", manifest=manifest)
    with pytest.raises(CommandError, match="Unknown backup format version 99"):
        call_command("restore", str(archive))


def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CommandError, match="not a readable archive|has no manifest"):
        call_command("restore", str(junk))


def test_backup_output_names_and_refusals(tmp_path):
    now = datetime.fromisoformat("2026-03-01T02:03:04+00:00")
    assert default_archive_name(now) == "brygga-backup-20260301-020304.tar"
    assert resolve_output(tmp_path, now=now) == tmp_path / "brygga-backup-20260301-020304.tar"
    assert resolve_output(tmp_path / "mine.tar", now=now) == tmp_path / "mine.tar"
    (tmp_path / "mine.tar").write_bytes(b"")
    with pytest.raises(BackupError, match="already exists"):
        resolve_output(tmp_path / "mine.tar", now=now)
    with pytest.raises(BackupError, match="does not exist"):
        resolve_output(tmp_path / "missing" / "x.tar", now=now)


def test_postgres_password_goes_into_the_environment():
    env = postgres_env(
        {"NAME": "brygga", "USER": "brygga", "PASSWORD": "s3cret", "HOST": "db", "PORT": 5433},
        application="brygga-backup",
    )
    assert (env["PGDATABASE"], env["PGUSER"], env["PGPASSWORD"]) == ("brygga", "brygga", "s3cret")
    assert (env["PGHOST"], env["PGPORT"]) == ("db", "5433")


def fake_tool(directory: Path, name: str, version: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tool = directory / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    tool.chmod(0o755)


def test_missing_or_old_pg_dump_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr("brygga.core.pgclient.PG_BIN_GLOB", str(tmp_path / "pg" / "*" / "bin"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PgClientError, match="pg_dump was not found.*postgresql-client-16"):
        find_pg_tool("pg_dump", minimum_major=16)
    fake_tool(tmp_path / "pg" / "13" / "bin", "pg_dump", "13.4")
    with pytest.raises(PgClientError, match="pg_dump 13 .* older than the PostgreSQL 16"):
        find_pg_tool("pg_dump", minimum_major=16)
    fake_tool(tmp_path / "pg" / "16" / "bin", "pg_dump", "16.2")
    assert find_pg_tool("pg_dump", minimum_major=16) == (
        str(tmp_path / "pg" / "16" / "bin" / "pg_dump"),
        16,
    )


# --- PostgreSQL ----------------------------------------------------------------------------------

SESSION_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = SESSION_URL.startswith(("postgres://", "postgresql://", "pgsql://"))


def _database_url(name: str, *, password: str = "") -> str:
    parts = urlsplit(SESSION_URL)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or "postgres"
    credentials = f"{user}:{password or parts.password or ''}".rstrip(":")
    return urlunsplit((parts.scheme, f"{credentials}@{netloc}", f"/{name}", "", ""))


@pytest.fixture
def postgres_databases():
    """Two fresh databases on the session's server: (source, target) names."""
    import psycopg

    parts = urlsplit(SESSION_URL)
    admin = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password,
        "dbname": "postgres",
        "autocommit": True,
    }
    suffix = uuid.uuid4().hex[:10]
    names = (f"brygga_backup_src_{suffix}", f"brygga_backup_dst_{suffix}")
    with psycopg.connect(**admin) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield names
    finally:
        with psycopg.connect(**admin) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_counts(name: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(_database_url(name)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def logging_pg_dump(directory: Path, log: Path) -> None:
    """A pg_dump first on PATH that records its arguments, then runs the real one."""
    real, _ = find_pg_tool("pg_dump", minimum_major=0)
    directory.mkdir()
    wrapper = directory / "pg_dump"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> "{log}"\n'
        f'[ -n "$PGPASSWORD" ] && echo "PGPASSWORD is set" >> "{log}"\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs DATABASE_URL=postgres://…; CI runs it in its PostgreSQL half",
)
def test_round_trip_on_postgresql(postgres_databases, tmp_path):
    source_db, target_db = postgres_databases
    password = "not-on-any-command-line"  # the test server trusts local connections
    log = tmp_path / "pg_dump.log"
    logging_pg_dump(tmp_path / "bin", log)
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    source = Site(
        tmp_path / "source",
        {
            "BRYGGA_VAR_DIR": str(tmp_path / "source"),
            "DATABASE_URL": _database_url(source_db, password=password),
            "PATH": path,
        },
    )
    target = Site(
        tmp_path / "target",
        {"BRYGGA_VAR_DIR": str(tmp_path / "target"), "DATABASE_URL": _database_url(target_db)},
    )
    out = tmp_path / "backups"
    out.mkdir()

    run_brygga("demo", "--no-serve", env=source.env, cwd=tmp_path)
    add_upload(source.var_dir)
    backup = run_brygga("backup", "--output", str(out), env=source.env, cwd=tmp_path)
    (archive,) = out.glob("brygga-backup-*.tar")
    assert mode(archive) == 0o600 and list(out.iterdir()) == [archive]
    assert f"Backup written: {archive}" in backup.stdout
    logged = log.read_text()
    assert "--snapshot=" in logged and "PGPASSWORD is set" in logged
    assert password not in logged

    run_brygga("migrate", "--no-input", env=target.env, cwd=tmp_path)
    restored = run_brygga("restore", str(archive), env=target.env, cwd=tmp_path)
    assert "Checks passed" in restored.stdout
    source_counts = postgres_counts(source_db)
    assert postgres_counts(target_db) == source_counts
    assert sum(source_counts.values()) > 1000
    assert (target.var_dir / "uploads" / UPLOAD).read_bytes() == UPLOAD_BYTES
    verify = run_brygga("audit", "verify", env=target.env, cwd=tmp_path)
    assert "Audit chain intact" in verify.stdout

    # Data in the target: refused and untouched; --force replaces it, extra tables included.
    run_brygga(
        "createsuperuser", "--no-input", "--username", "extra", "--email", "extra@example.se",
        env={**target.env, "DJANGO_SUPERUSER_PASSWORD": "a-long-enough-password-1"},
        cwd=tmp_path,
    )  # fmt: skip
    # The new user's audit row got a row number after the restored ones (the sequence of
    # audit_auditevent.seq was restored with the rows) and joins the installation's chain.
    assert postgres_counts(target_db)["audit_auditevent"] == source_counts["audit_auditevent"] + 1
    after_write = run_brygga("audit", "verify", env=target.env, cwd=tmp_path)
    assert "Audit chain intact" in after_write.stdout
    import psycopg

    with psycopg.connect(_database_url(target_db), autocommit=True) as conn:
        conn.execute("CREATE TABLE later_feature (id int PRIMARY KEY, user_id bigint)")
        conn.execute("ALTER TABLE later_feature ADD FOREIGN KEY (user_id) REFERENCES auth_user")
    before = postgres_counts(target_db)
    refused = run_brygga("restore", str(archive), env=target.env, cwd=tmp_path, ok=False)
    assert refused.returncode != 0 and "is not empty" in refused.stderr
    assert postgres_counts(target_db) == before
    forced = run_brygga("restore", str(archive), "--force", env=target.env, cwd=tmp_path)
    assert "Checks passed" in forced.stdout  # row counts, audit chain and its head
    assert postgres_counts(target_db) == source_counts


def test_uploaded_files_restore_on_a_python_without_tar_extraction_filters(
    tmp_path, settings, monkeypatch
):
    """Regression: Debian 12's Python 3.11.2 has no tarfile.data_filter / FilterError and no
    extractall(filter=...); restore crashed there with AttributeError."""
    from brygga.core import restore

    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    monkeypatch.delattr(tarfile, "FilterError", raising=False)
    settings.MEDIA_ROOT = str(tmp_path / "var" / "uploads")
    archive = tmp_path / "a.tar"
    payload = b"Id;Datum\n1;2026-01-01\n"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("media/imports/2281/abc.csv")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        _, media = restore.check_members(members, media_root=Path(settings.MEDIA_ROOT))
        assert restore._restore_media(tar, media, report=lambda *a: None) == 1
    restored = Path(settings.MEDIA_ROOT) / "imports" / "2281" / "abc.csv"
    assert restored.read_bytes() == payload
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert stat.S_IMODE(restored.parent.stat().st_mode) == 0o700
