"""Architecture rules that every app follows (docs/ARCHITECTURE.md, "Adding a module").

Each rule is a small AST checker run over the source tree; each checker is also run on a
snippet that breaks the rule, so a checker that stops seeing violations fails its own test.

1. core and audit import no domain app (the engine knows no app; apps register with it).
2. View and API modules reach models only through ``visible_to`` or the app's selectors, so
   access control cannot be forgotten. Reference data open to everyone is allow-listed below.
3. ORM writes happen only in services, import writers and the import-job module (one writer
   per model, audit rows in the same transaction).
4. No Python module outside migrations is over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import brygga

PKG = Path(brygga.__file__).resolve().parent
DOMAIN_APPS = ("incidents", "surveys", "situation", "plans", "cases", "knowledge")
MAX_LINES = 600


def python_files(root: Path = PKG):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "/migrations/" in f"/{rel}":
            continue
        yield rel, path


def module_name(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["brygga", *parts])


# --- 1. core and audit know no domain app --------------------------------------------------
def domain_imports(source: str, module: str) -> list[str]:
    """Absolute names of domain-app modules that ``source`` imports (or names as a string)."""
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package.split(".")
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            names = [base]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value] if node.value.startswith("brygga.") else []
        for name in names:
            if any(name == f"brygga.{a}" or name.startswith(f"brygga.{a}.") for a in DOMAIN_APPS):
                found.append(name)
    return found


def test_core_and_audit_import_no_domain_app():
    bad = {}
    for rel, path in python_files():
        if rel.split("/")[0] in ("core", "audit"):
            found = domain_imports(path.read_text(), module_name(rel))
            if found:
                bad[rel] = found
    assert bad == {}


def test_domain_import_checker_sees_violations():
    snippet = (
        "from brygga.incidents.models import Incident\n"
        "from ..incidents import services\n"
        "import brygga.plans\n"
        "hook = 'brygga.surveys.tasks.run'\n"
        "from brygga.core.models import Area\n"
    )
    assert domain_imports(snippet, "brygga.core.views") == [
        "brygga.incidents.models",
        "brygga.incidents",
        "brygga.plans",
        "brygga.surveys.tasks.run",
    ]


# --- 2. views and API reach models through visible_to or selectors ----------------------------
# Reference data that every signed-in user (or the public) may read, and lookups that are not
# reads of tenant data. Each entry: (module, model) with the reason.
MANAGER_ALLOWED: dict[tuple[str, str], str] = {
    ("core/api.py", "Organisation"): "placeholder queryset of VisibleRelatedField, which "
    "narrows it through visible_to on every use",
    ("core/api.py", "Area"): "as above",
    ("core/api.py", "AreaLayer"): "as above",
    ("core/views/members.py", "User"): "auth's User has no custom manager: the queryset goes "
    "straight into resolver.restrict()",
}
# Methods that read nothing: an empty queryset for a schema or a denied request.
HARMLESS_METHODS = {"none"}


def is_view_or_api(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (
        "views" in parts[:-1]
        or name in ("views.py", "api.py", "admin_views.py")
        or name.startswith("views_")
        or parts[0] == "api"
    )


def manager_calls(source: str) -> list[tuple[str, str, int]]:
    """(model, method, line) for every ``Model.objects.method`` other than ``visible_to``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("objects", "_default_manager", "all_objects")
            and node.attr != "visible_to"
            and node.attr not in HARMLESS_METHODS
        ):
            owner = node.value.value
            model = owner.id if isinstance(owner, ast.Name) else ast.unparse(owner)
            found.append((model, node.attr, node.lineno))
    return found


def test_views_and_api_reach_models_only_through_visible_to_or_selectors():
    bad = []
    for rel, path in python_files():
        if not is_view_or_api(rel):
            continue
        for model, method, line in manager_calls(path.read_text()):
            if (rel, model) not in MANAGER_ALLOWED:
                bad.append(f"{rel}:{line} {model}.objects.{method}")
    assert bad == []


def test_manager_checker_sees_violations():
    snippet = (
        "qs = Incident.objects.visible_to(user)\n"
        "obj = Incident.objects.get(pk=1)\n"
        "n = models.Area.objects.filter(x=1).count()\n"
    )
    assert manager_calls(snippet) == [("Incident", "get", 2), ("models.Area", "filter", 3)]


# --- 3. ORM writes only in services, import writers and the job module ------------------------
WRITE_MODULES = (
    "*/services.py",  # the writers, one per model
    "*/services/*.py",
    "*/imports/*/write.py",  # bulk writers of the importers (through the services' builders)
    "*/imports/jobs.py",  # the one module that changes ImportJob state
    "audit/chain.py",  # appends audit rows (called by every service)
    "*/reference.py",  # reference data loaders, run by migrations and `brygga load-reference`
    "*/demo/*.py",  # demo data loaders (never run in production)
    "*/demo.py",
)
MANAGER_WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
QUERYSET_WRITES = {"update", "delete"}
QUERYSET_CALLS = {"filter", "exclude", "all", "visible_to", "select_for_update", "objects"}


def _receiver_is_queryset(node: ast.AST) -> bool:
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in QUERYSET_CALLS:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def orm_writes(source: str) -> list[tuple[str, int]]:
    """(call, line) for ORM writes: manager creates, queryset update/delete, and argument-less
    ``x.save()``/``x.delete()`` on anything that is not a form."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, receiver = node.func.attr, node.func.value
        text = ast.unparse(receiver)
        queryset_write = attr in MANAGER_WRITES | QUERYSET_WRITES and _receiver_is_queryset(
            receiver
        )
        instance_write = (
            attr in ("save", "delete")
            and not node.args
            and not any(word in text.lower() for word in ("form", "service", "storage"))
        )
        if queryset_write or instance_write:
            found.append((f"{text}.{attr}", node.lineno))
    return found


def is_write_module(rel: str) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(rel, pattern) for pattern in WRITE_MODULES)


def test_orm_writes_only_in_services_import_writers_and_jobs():
    bad = []
    for rel, path in python_files():
        if is_write_module(rel) or rel.startswith("analysis/"):
            continue
        bad += [f"{rel}:{line} {call}()" for call, line in orm_writes(path.read_text())]
    assert bad == []


def test_orm_write_checker_sees_violations():
    snippet = (
        "Incident.objects.create(title='x')\n"
        "Incident.objects.filter(pk=1).update(status='closed')\n"
        "ImportJob.objects.visible_to(user).delete()\n"
        "incident.save()\n"
        "form.save()\n"
        "storage.delete(name)\n"
        "options.update(x=1)\n"
        "self.service.delete(actor=user, area=area)\n"
    )
    assert [line for _, line in orm_writes(snippet)] == [1, 2, 3, 4]
    assert is_write_module("incidents/services.py")
    assert is_write_module("incidents/imports/police/write.py")
    assert not is_write_module("incidents/views/report.py")


# --- 4. module size ------------------------------------------------------------------------
def test_no_module_over_the_size_limit():
    sizes = {rel: len(path.read_text().splitlines()) for rel, path in python_files()}
    assert {rel: n for rel, n in sizes.items() if n > MAX_LINES} == {}
