"""The `brygga` console script: Django's manage.py for the Brygga project.

Settings: ``DJANGO_SETTINGS_MODULE`` if set; otherwise the development settings in a source
checkout (``pyproject.toml`` beside the package) and the production settings in an installed
package, so that a command run on a server without its environment refuses to start instead of
quietly creating a new SQLite database in the current directory.

``BRYGGA_ENV_FILE=/etc/brygga/env`` loads an environment file first, read the way systemd's
``EnvironmentFile=`` reads it, so the command line and the services see the same values.
Variables already set in the environment win.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


class EnvFileError(Exception):
    pass


def read_env_file(path: str | os.PathLike) -> dict[str, str]:
    """Parse an environment file as systemd does for the cases Brygga documents: ``KEY=value``
    lines, comments on lines of their own (``#`` or ``;``), optional matching quotes around the
    value. systemd keeps anything after the value as part of it, so a trailing ``# comment`` is
    refused here with the line number rather than silently becoming part of a password."""
    values: dict[str, str] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum() or key[0].isdigit():
            raise EnvFileError(f"{path}, line {number}: expected KEY=value, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value or "\t#" in value:
            raise EnvFileError(
                f"{path}, line {number}: the value of {key} contains a comment. systemd keeps "
                "it as part of the value; put comments on lines of their own."
            )
        values[key] = value
    return values


def default_settings_module() -> str:
    checkout = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if checkout.exists():
        return "brygga.config.settings.base"
    return "brygga.config.settings.production"


def main() -> None:
    env_file = os.environ.get("BRYGGA_ENV_FILE")
    if env_file:
        try:
            for key, value in read_env_file(env_file).items():
                os.environ.setdefault(key, value)
        except (OSError, EnvFileError) as exc:
            sys.stderr.write(f"brygga: {exc}\n")
            sys.exit(2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings to report their errors plainly
    except ImproperlyConfigured as exc:
        sys.stderr.write(
            f"brygga: {exc}\n(settings: {os.environ['DJANGO_SETTINGS_MODULE']}; on a server, "
            "run the command with the environment file loaded, e.g. through the wrapper in "
            "docs/ADMIN.md.)\n"
        )
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
