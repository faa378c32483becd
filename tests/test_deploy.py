"""Production settings pass Django's deployment checks; the CLI is manage.py."""

import os
import subprocess
import sys


def run_brygga(*args, env=None):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "brygga.manage", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_brygga(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SETTINGS_MODULE": "brygga.config.settings.production",
            "SECRET_KEY": "k" * 20 + "9f3Jx!Qa7Lm2Zp0Rt5Wv8Yb1Cd4Ef6Gh3Ij-",
            "ALLOWED_HOSTS": "brygga.example.se",
            "BRYGGA_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_key(tmp_path):
    result = run_brygga(
        "check",
        env={
            "DJANGO_SETTINGS_MODULE": "brygga.config.settings.production",
            "SECRET_KEY": "",
            "ALLOWED_HOSTS": "x",
            "BRYGGA_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
