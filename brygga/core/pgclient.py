"""The PostgreSQL client programs that `brygga backup` and `brygga restore` run.

The connection settings go to pg_dump and pg_restore through the PG* environment variables, so
that the password never appears on a command line (where `ps` would show it to every user).
The programs are looked for on PATH and in Debian's /usr/lib/postgresql/*/bin; the newest one
is used, and it must not be older than the server (pg_dump refuses to dump a newer server).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PgClientError(Exception):
    """pg_dump or pg_restore is missing, too old or failed; the message is for the admin."""


def postgres_env(db: dict[str, Any], *, application: str) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: connection settings as PG* variables, so that
    the password never appears on a command line."""
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        value = db.get(key)
        if value not in (None, ""):
            env[var] = str(value)
    options = db.get("OPTIONS") or {}
    for option, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(option):
            env[var] = str(options[option])
    env["PGAPPNAME"] = application
    return env


def tool_major(program: str) -> int | None:
    """The major version of a PostgreSQL client program (`pg_dump (PostgreSQL) 15.18` → 15)."""
    try:
        out = subprocess.run(  # noqa: S603 - a path we found ourselves, no shell
            [program, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def find_pg_tool(name: str, *, minimum_major: int) -> tuple[str, int]:
    """The newest ``name`` (pg_dump, pg_restore) on PATH or in /usr/lib/postgresql/*/bin whose
    major version is at least ``minimum_major``."""
    candidates = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    candidates += [str(Path(d) / name) for d in sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/")))]
    found = []
    for index, program in enumerate(dict.fromkeys(candidates)):
        if os.access(program, os.X_OK):
            major = tool_major(program)
            if major is not None:
                found.append((major, -index, program))  # newest; on a tie, PATH first
    if not found:
        raise PgClientError(
            f"{name} was not found on PATH or in {PG_BIN_GLOB}. Install the PostgreSQL client "
            f"programs, version {minimum_major} or newer (Debian/Ubuntu: "
            f"apt-get install postgresql-client-{minimum_major})."
        )
    major, _, program = max(found)
    if major < minimum_major:
        raise PgClientError(
            f"{name} {major} ({program}) is older than the PostgreSQL {minimum_major} it must "
            f"work with. Install the client programs of version {minimum_major} or newer "
            f"(Debian/Ubuntu: apt-get install postgresql-client-{minimum_major})."
        )
    return program, major


def run_pg_tool(args: list[str], *, env: dict[str, str], what: str, hint: str = "") -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell, password in env
        args, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-8:]) or f"exit {result.returncode}"
        raise PgClientError(f"{what} failed ({Path(args[0]).name}){hint}:\n{detail}")
    return result.stdout
