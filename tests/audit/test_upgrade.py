"""A database of the Brygga version before the keyed chain (audit migrations up to 0001, plain
SHA-256 rows): its backup restores into this version, `brygga migrate` seals the old rows with
the audit key, and the chain verifies, old rows as legacy ones. The old rows become chain 0,
the installation's chain; new rows of a municipality start a chain of their own.

The commands run as subprocesses against a SQLite file, as an administrator runs them."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..core.test_backup import run_brygga
from . import tampering

KEYS = "k1:" + base64.urlsafe_b64encode(b"an audit key of 32 bytes, for me!").decode()


def site(var_dir: Path) -> dict[str, str]:
    return {
        "BRYGGA_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir}/brygga.sqlite3",
        "BRYGGA_AUDIT_KEYS": KEYS,
    }


def write_legacy_rows(database: Path, n: int) -> str:
    """Rows as the previous version wrote them (no key_id column, plain SHA-256); the head."""
    db = sqlite3.connect(database)
    prev = "0" * 64
    start = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    try:
        for seq in range(1, n + 1):
            fields = {
                "seq": seq,
                "created_at": start + timedelta(minutes=seq, microseconds=seq),
                "actor_id": None,
                "actor_label": "admin",
                "municipality_id": None,
                "kind": "login",
                "event_type": "",
                "object_type": "",
                "object_id": "",
                "object_repr": "",
                "changes": {},
                "purpose": "",
                "request_id": f"req{seq:08d}",
                "prev_hash": prev,
            }
            _, digest = tampering.plain_sha256(fields)
            stored = {
                **fields,
                "created_at": fields["created_at"].strftime("%Y-%m-%d %H:%M:%S.%f"),
                "changes": json.dumps(fields["changes"]),
                "hash": digest,
            }
            db.execute(
                f"INSERT INTO audit_auditevent ({', '.join(stored)}) "
                f"VALUES ({', '.join('?' * len(stored))})",
                list(stored.values()),
            )
            prev = digest
        db.execute(
            "INSERT OR REPLACE INTO audit_chainhead (id, seq, hash) VALUES (1, ?, ?)", [n, prev]
        )
        db.commit()
    finally:
        db.close()
    return prev


def test_backup_of_the_previous_version_restores_and_is_sealed_by_migrate(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    run_brygga("migrate", "--no-input", env=site(old), cwd=tmp_path)
    run_brygga("migrate", "audit", "0001", "--no-input", env=site(old), cwd=tmp_path)
    legacy_head = write_legacy_rows(old / "brygga.sqlite3", 3)
    run_brygga("backup", "--output", str(tmp_path), env=site(old), cwd=tmp_path)
    (archive,) = tmp_path.glob("brygga-backup-*.tar")

    restored = run_brygga("restore", str(archive), env=site(new), cwd=tmp_path)
    assert "audit chain: 3 rows" in restored.stdout
    assert "Checks passed" in restored.stdout
    assert "not applied to the restored database yet: run `brygga migrate`" in restored.stdout

    early = run_brygga("audit", "verify", env=site(new), cwd=tmp_path, ok=False)
    assert early.returncode != 0
    assert "no key_id column" in early.stderr and "Run `brygga migrate` first" in early.stderr

    run_brygga("migrate", "--no-input", env=site(new), cwd=tmp_path)
    # The old chain is the installation's chain, chain 0; a head recorded before the upgrade
    # (SEQ:HASH) is one of chain 0 and still holds.
    verify = run_brygga(
        "audit", "verify", "--expect-head", f"3:{legacy_head}", env=site(new), cwd=tmp_path
    )
    assert "Audit chain intact: 4 rows verified in 1 chains." in verify.stdout
    assert "Rows per key: legacy SHA-256 (no key): 3, k1: 1." in verify.stdout
    assert f"Expected head 0:3:{legacy_head[:12]}… found in the chain." in verify.stdout
    db = sqlite3.connect(new / "brygga.sqlite3")
    try:
        (seal,) = db.execute(
            "SELECT event_type, key_id, changes, chain, hash FROM audit_auditevent WHERE seq = 4"
        ).fetchall()
        chains = db.execute("SELECT DISTINCT chain FROM audit_auditevent").fetchall()
        heads = db.execute("SELECT id, seq, hash FROM audit_chainhead").fetchall()
        signing = db.execute("SELECT id, key_id, since_seq FROM audit_signingkey").fetchall()
        triggers = {
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_auditevent'"
            )
        }
    finally:
        db.close()
    assert seal[:2] == ("audit_chain_keyed", "k1")
    assert json.loads(seal[2]) == {"legacy_rows": 3, "key_id": "k1"}
    assert chains == [(0,)] and seal[3] == 0
    assert heads == [(0, 4, seal[4])]  # the one head (id 1) moved to chain 0's
    assert signing == [(1, "k1", 4)]
    assert verify.stdout.splitlines()[-1] == f"Head: 0:4:{seal[4]}"
    assert triggers == {"audit_auditevent_no_update", "audit_auditevent_no_delete"}

    # New rows: one of a municipality starts its own chain, one of none follows the old rows.
    run_brygga(
        "shell",
        "-c",
        "from brygga.audit.services import log_action; "
        "log_action(event_type='after_the_upgrade', municipality_id=7); "
        "log_action(event_type='after_the_upgrade')",
        env=site(new),
        cwd=tmp_path,
    )
    after = run_brygga(
        "audit", "verify", "--expect-head", f"0:4:{seal[4]}", env=site(new), cwd=tmp_path
    )
    assert "Audit chain intact: 6 rows verified in 2 chains." in after.stdout
    heads = [line for line in after.stdout.splitlines() if line.startswith("Head: ")]
    assert len(heads) == 2
    assert heads[0].startswith("Head: 0:6:") and heads[1].startswith("Head: 7:5:")
