"""brygga.analysis must stay a pure numeric library: no Django anywhere."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import brygga.analysis

PKG_DIR = Path(brygga.analysis.__file__).resolve().parent
REPO_ROOT = PKG_DIR.parent.parent


def test_importing_every_submodule_does_not_import_django() -> None:
    code = (
        "import importlib, sys\n"
        "import brygga.analysis as a\n"
        "for m in a.SUBMODULES: importlib.import_module('brygga.analysis.' + m)\n"
        "[getattr(a, name) for name in a.__all__]\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
        "print('ok', len(a.__all__))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok ")


def test_source_has_no_django_imports() -> None:
    files = sorted(PKG_DIR.rglob("*.py"))
    assert len(files) >= 9
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", ""))
                in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names = [str(node.args[0].value)]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "django"]
    assert not offenders, offenders


def test_public_api_is_complete() -> None:
    for name in brygga.analysis.__all__:
        obj = getattr(brygga.analysis, name)
        assert obj is not None
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__ and len(obj.__doc__) > 40, f"{name} lacks a docstring"
