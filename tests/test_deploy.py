"""Production settings pass Django's deployment checks; the CLI is manage.py."""

import json
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


# The audit chain's key, required by the production settings (KEY-ID:base64 of 32 bytes).
AUDIT_KEYS = "k1:9f3Jx-Qa7Lm2Zp0Rt5Wv8Yb1Cd4Ef6Gh3Ij_Kl8Mn2Op"


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
            "BRYGGA_AUDIT_KEYS": AUDIT_KEYS,
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


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "brygga.config.settings.production",
    "SECRET_KEY": "k" * 20 + "9f3Jx!Qa7Lm2Zp0Rt5Wv8Yb1Cd4Ef6Gh3Ij-",
    "ALLOWED_HOSTS": "brygga.example.se",
    "BRYGGA_AUDIT_KEYS": AUDIT_KEYS,
}


def test_collectstatic_with_production_settings_builds_a_complete_manifest(tmp_path):
    """The manifest storage fails on any vendored file that references a missing file (a
    source map, an image); every page links the favicon, so it must be in the manifest."""
    result = run_brygga(
        "collectstatic", "--no-input", env={**PRODUCTION_ENV, "BRYGGA_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    for name in (
        "brygga/favicon.svg",
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/images/marker-icon.png",
        "vendor/htmx/htmx.min.js",
    ):
        assert name in manifest["paths"], name
        hashed = tmp_path / "static" / manifest["paths"][name]
        assert hashed.exists()
        if hashed.suffix in (".js", ".css"):
            assert hashed.with_name(hashed.name + ".gz").exists()


def test_production_settings_refuse_to_run_without_a_data_directory(tmp_path):
    """Without BRYGGA_VAR_DIR an installed Brygga would put a new SQLite database and the static
    files in whatever directory the command happens to run in."""
    result = run_brygga("check", env={**PRODUCTION_ENV})
    assert result.returncode != 0 and "BRYGGA_VAR_DIR" in result.stderr


def test_healthz_fails_when_static_files_were_not_collected(settings, client, tmp_path, db):
    from brygga.core import health

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    health.reset()
    try:
        r = client.get("/healthz")
    finally:
        health.reset()
    assert r.status_code == 503
    assert r.json()["static"] == "not collected" and r.json()["status"] == "error"


def test_healthz_fails_while_migrations_are_pending(client, monkeypatch, db):
    from django.db.migrations.executor import MigrationExecutor

    from brygga.core import health

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    health.reset()
    try:
        r = client.get("/healthz")
    finally:
        health.reset()
    assert r.status_code == 503 and r.json()["schema"] == "migrations pending"


def test_documented_env_file_reads_as_systemd_reads_it():
    """deploy/env.example is what docs/ADMIN.md tells administrators to write: every value must
    reach Brygga without a trailing comment (systemd keeps "# ..." after a value)."""
    from pathlib import Path

    from brygga.manage import read_env_file

    example = Path(__file__).resolve().parent.parent / "deploy" / "env.example"
    values = read_env_file(example)
    assert values["DJANGO_SETTINGS_MODULE"] == "brygga.config.settings.production"
    assert values["BRYGGA_VAR_DIR"] == "/srv/brygga/var"
    assert values["DATABASE_URL"].startswith("postgres://brygga:")
    assert not any("#" in v or " " in v for v in values.values())


def test_env_file_with_a_comment_after_a_value_is_refused_with_its_line(tmp_path):
    from brygga.manage import EnvFileError, read_env_file

    env_file = tmp_path / "env"
    env_file.write_text(
        "# settings\nALLOWED_HOSTS=a.se\nDATABASE_URL=postgres://x/brygga    # db\n"
    )
    try:
        read_env_file(env_file)
    except EnvFileError as exc:
        assert "line 3" in str(exc) and "DATABASE_URL" in str(exc)
    else:
        raise AssertionError("a trailing comment was accepted")
    env_file.write_text("SECRET_KEY='a b#c'\nEMPTY=\n")
    assert read_env_file(env_file) == {"SECRET_KEY": "a b#c", "EMPTY": ""}


def test_the_command_reads_its_env_file_and_refuses_production_without_it(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text(
        "DJANGO_SETTINGS_MODULE=brygga.config.settings.production\n"
        f"SECRET_KEY={PRODUCTION_ENV['SECRET_KEY']}\nALLOWED_HOSTS=brygga.example.se\n"
        f"BRYGGA_VAR_DIR={tmp_path}\nBRYGGA_AUDIT_KEYS={AUDIT_KEYS}\n"
    )
    dropped = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    ok = subprocess.run(
        [sys.executable, "-m", "brygga.manage", "check", "--deploy"],
        capture_output=True,
        text=True,
        env={**env, "BRYGGA_ENV_FILE": str(env_file)},
        timeout=120,
    )
    assert ok.returncode == 0 and "no issues" in ok.stdout, ok.stderr
    refused = run_brygga(
        "migrate", env={"DJANGO_SETTINGS_MODULE": PRODUCTION_ENV["DJANGO_SETTINGS_MODULE"]}
    )
    assert refused.returncode == 2 and "BRYGGA_VAR_DIR" in refused.stderr
    assert not (tmp_path / "brygga.sqlite3").exists()


def test_installed_package_defaults_to_production_settings(monkeypatch):
    """Outside a source checkout `brygga` uses the production settings, so an upgrade run
    without its environment stops instead of migrating a new SQLite file in the current
    directory."""
    from pathlib import Path

    from brygga import manage

    assert manage.default_settings_module() == "brygga.config.settings.base"  # this checkout
    real_exists = Path.exists
    monkeypatch.setattr(
        Path, "exists", lambda self: False if self.name == "pyproject.toml" else real_exists(self)
    )
    assert manage.default_settings_module() == "brygga.config.settings.production"
