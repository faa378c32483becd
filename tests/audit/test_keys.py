"""BRYGGA_AUDIT_KEYS: parsed strictly, never echoed, required in production, documented in the
environment file the install uses."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from brygga.audit.keys import development_keys, parse_keys

ROOT = Path(__file__).resolve().parents[2]


def test_keys_parse_in_order_first_is_current():
    raw1, raw2 = secrets.token_bytes(32), secrets.token_bytes(48)
    value = (
        f" k2:{base64.urlsafe_b64encode(raw2).decode().rstrip('=')} ,"
        f"2026-01_a:{base64.b64encode(raw1).decode()}"
    )
    keys = parse_keys(value)
    assert keys.current_id == "k2"
    assert keys.keys == {"k2": raw2, "2026-01_a": raw1}
    assert base64.b64encode(raw1).decode() not in repr(keys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is empty"),
        (" , ", "is empty"),
        ("just-a-key-without-an-id", "entry 1 is not of the form ID:KEY"),
        ("k1:" + "A" * 43 + ",bad id:" + "A" * 43, "key id of entry 2 must be"),
        ("k1:" + "A" * 43 + ",k1:" + "B" * 43, "'k1' appears twice"),
        ("k1:not*base64*at*all!", "'k1' is not valid base64"),
        ("k1:" + base64.b64encode(b"too short").decode(), "'k1' is 9 bytes long; at least 32"),
    ],
)
def test_bad_values_are_refused_with_the_reason_and_without_the_key(value, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)) as excinfo:
        parse_keys(value)
    for secret in re.findall(r":([^,]{6,})", value):
        assert secret not in str(excinfo.value)


def test_development_key_is_derived_from_secret_key():
    if not os.environ.get("BRYGGA_AUDIT_KEYS"):  # tests and development need no configuration
        configured = settings.BRYGGA_AUDIT_KEYS
        assert configured == development_keys(settings.SECRET_KEY)
    dev = parse_keys(development_keys("one secret"))
    assert dev.current_id == "dev" and len(dev.keys["dev"]) == 32
    assert dev.keys != parse_keys(development_keys("another secret")).keys


def run_production(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BRYGGA_AUDIT_KEYS")}
    return subprocess.run(
        [sys.executable, "-m", "brygga.manage", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "brygga.config.settings.production",
            "SECRET_KEY": "k" * 20 + "9f3Jx!Qa7Lm2Zp0Rt5Wv8Yb1Cd4Ef6Gh3Ij-",
            "ALLOWED_HOSTS": "brygga.example.se",
            "BRYGGA_VAR_DIR": str(tmp_path),
            **env,
        },
    )


def test_production_refuses_to_start_without_audit_keys(tmp_path):
    missing = run_production(tmp_path)
    assert missing.returncode == 2
    assert "BRYGGA_AUDIT_KEYS must be set in production" in missing.stderr
    placeholder = run_production(tmp_path, BRYGGA_AUDIT_KEYS="REPLACE-WITH-KEY-ID:RANDOM-KEY")
    assert "BRYGGA_AUDIT_KEYS must be set in production" in placeholder.stderr
    key = secrets.token_urlsafe(32)
    assert run_production(tmp_path, BRYGGA_AUDIT_KEYS=f"k1:{key}").returncode == 0


def test_env_file_documents_the_key_and_the_install_stage_fills_it_in():
    from brygga.manage import read_env_file

    example = ROOT / "deploy" / "env.example"
    lines = example.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("BRYGGA_AUDIT_KEYS="))
    comments = "\n".join(lines[index - 4 : index])
    command = re.search(r"^#\s+(python3 -c .*)$", comments, flags=re.MULTILINE).group(1)
    code = re.match(r'python3 -c "(.*)"$', command).group(1)
    made = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert parse_keys(made).current_id == "k1"
    stage = (ROOT / ".ci" / "install-stage").read_text()
    assert '-e "s|^BRYGGA_AUDIT_KEYS=.*|BRYGGA_AUDIT_KEYS=$AUDIT_KEYS|"' in stage
    assert "BRYGGA_AUDIT_KEYS" in read_env_file(example)
