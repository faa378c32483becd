"""The authorization matrix, trying harder across municipalities (issue #10 item 12).

tests/test_authz_matrix.py asks "may this role open this page of Sundsvall's?". This module
asks what an actor gets when it reaches for another municipality's data, on every URL pattern
the resolver knows (and so every route of the DRF router), with the per-app hints of
tests/authz/*.py (see the hint list at the end of tests/authz/__init__.py):

(a) ``test_foreign_object_id``: every route with an object id gets the id of another
    municipality's object, under the actor's own municipality code and under the other one,
    with every method (GET and POST on pages; GET, POST, PUT, PATCH, DELETE on the API and
    Open311). The answer must be the answer to an id that does not exist, must not carry the
    other municipality's marker text, and nothing may change.
(b) ``test_api_unsafe_methods``: every unsafe method from every actor on every API and
    Open311 route, with a payload that is valid for the actors allowed to write (they must
    succeed: the positive control that the payload would write). Everyone else gets no 2xx
    and the database is unchanged (every table compared before and after). Create payloads
    are also sent naming the other municipality.
(c)+(d) ``test_no_foreign_rows``: every page, export and API answer an actor can open in
    its own municipality, plain and with each query parameter that selects a municipality,
    forum, area, organisation or category set to another municipality's id, is searched for
    the other municipality's marker text (CSV, XLSX and GeoJSON exports decoded) and, in
    JSON, for a ``municipality`` that is not the actor's. A positive control checks that the
    markers do show where they should.

Markers: tests/authz modules seed, through ``tenant_objects``, rows of Timrå named
``TIMRAMARKOR …`` and rows of Sundsvall named ``SUNDSVALLMARKOR …``.
"""

from __future__ import annotations

import hashlib
import io
import json

import django_filters as df
import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .authz import MARKERS
from .conftest import ALL_ACTORS, ROLES
from .test_authz_matrix import _modules
from .test_authz_matrix import matrix_world as matrix_world  # the fixture

MODULES = _modules()
MISSING_PK = 987654321
MISSING_CODE = "9999"  # a kommunkod that no municipality has
SUNDSVALL, TIMRA = "2281", "2262"
UNSAFE = ("post", "put", "patch", "delete")


def _merged(attr: str, kind=dict):
    out = kind()
    for module in MODULES:
        value = getattr(module, attr, None)
        if value:
            out.update(value)
    return out


NO_TENANT_OBJECT: dict[str, str] = _merged("NO_TENANT_OBJECT")
NOT_A_MUNICIPALITY_CODE: set[str] = _merged("NOT_A_MUNICIPALITY_CODE", set)
JURISDICTION_PARAM: dict[str, str] = _merged("JURISDICTION_PARAM")
FILTER_PARAMS: dict[str, str] = _merged("FILTER_PARAMS")

# Where the actor holds its roles: its "own" municipality code, and the other one.
HOME = {**dict.fromkeys(ROLES, SUNDSVALL), "anon": SUNDSVALL, "outsider": TIMRA}
AWAY = {SUNDSVALL: TIMRA, TIMRA: SUNDSVALL}


# --- the routes ------------------------------------------------------------------------------
class Route:
    def __init__(self, name: str, params: tuple[str, ...], callback):
        self.name = name
        self.params = params
        self.callback = callback
        cls = getattr(callback, "cls", None)
        self.viewset = cls
        lookup = None
        if cls is not None and hasattr(cls, "lookup_field"):
            lookup = getattr(cls, "lookup_url_kwarg", None) or cls.lookup_field
        # the parameters that name one object: <pk>, or a DRF lookup such as <code>
        self.object_params = [p for p in params if p == "pk" or p == lookup]
        self.code_params = [
            p
            for p in params
            if p == "code" and p not in self.object_params and name not in NOT_A_MUNICIPALITY_CODE
        ]
        self.jurisdiction = next(
            (q for prefix, q in JURISDICTION_PARAM.items() if name.startswith(prefix)), None
        )
        self.is_api = name.startswith(("api:", "open311:"))

    @property
    def short(self) -> str:
        return self.name.split(":")[-1]

    def object_key(self, objs: dict):
        return next((k for k in objs if self.short.startswith(k)), None)

    def url(self, code: str, objs: dict, *, missing: bool = False) -> str:
        kwargs = {}
        for p in self.params:
            if p in self.object_params:
                if missing:
                    kwargs[p] = MISSING_CODE if p == "code" else MISSING_PK
                elif self.object_key(objs) is None and p == "code":
                    kwargs[p] = code  # a municipality looked up by its code
                else:
                    kwargs[p] = objs[self.object_key(objs)]
            elif p in self.code_params:
                kwargs[p] = code
            elif p == "code":  # Open311's service code
                kwargs[p] = "klotter"
            elif p in objs:  # another parameter (the survey's <int:year>), by its name
                kwargs[p] = objs[p]
        url = reverse(self.name, kwargs=kwargs)
        if self.jurisdiction:
            url += f"?{self.jurisdiction}={code}"
        return url

    def __repr__(self):
        return self.name


def _walk(patterns=None, prefix_ns="", params=()):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        here = (*params, *p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = f"{prefix_ns}{p.namespace}:" if p.namespace else prefix_ns
            yield from _walk(p.url_patterns, ns, here)
        elif isinstance(p, URLPattern):
            yield Route(f"{prefix_ns}{p.name}", here, p.callback)


def routes() -> list[Route]:
    return list(_walk())


# --- the world -------------------------------------------------------------------------------
@pytest.fixture
def tenancy_world(matrix_world):
    """The matrix world, plus marked rows of both municipalities (``world.tenant[code]``)."""
    w = matrix_world
    w.tenant = {}
    for municipality in (w.sundsvall, w.timra):
        objs = {}
        for module in MODULES:
            seed = getattr(module, "tenant_objects", None)
            if seed is not None:
                objs.update(seed(w, municipality, MARKERS[municipality.code]))
        w.tenant[municipality.code] = objs
    return w


def own_objects(world, actor: str) -> dict:
    """The objects an actor reaches for in its own municipality: the matrix's for Sundsvall,
    the marked Timrå rows for Timrå's coordinator."""
    if HOME.get(actor) == TIMRA:
        return {**world.matrix_objects, **world.tenant[TIMRA]}
    return world.matrix_objects


# --- what changed ----------------------------------------------------------------------------
SKIP_TABLES = {
    "sessions.session",  # the session of the request itself
    "incidents.open311submission",  # rate-limit bookkeeping, written for refused POSTs too
    "audit.chainhead",  # follows the audit rows, which are compared
    "contenttypes.contenttype",
    "auth.permission",
}
SKIP_FIELDS = {"boundary", "last_login"}  # large reference geometry; sign-in bookkeeping


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table that a request may not change by being refused."""
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SKIP_TABLES or model._meta.app_label == "axes":
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in SKIP_FIELDS]
        qs = model._base_manager.order_by("pk")
        if label == "audit.auditevent":
            qs = qs.exclude(kind__in=["login", "logout", "login_failed"])
        rows = list(qs.values_list(*fields))
        out[label] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return out


def changed(before: dict, after: dict) -> list[str]:
    return [f"{k} {before[k]} → {after.get(k)}" for k in before if before[k] != after.get(k)]


# --- reading answers -------------------------------------------------------------------------
def body(response) -> str:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if "spreadsheetml" in response.get("Content-Type", ""):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r
        )
    return content.decode("utf-8", errors="replace")


def foreign_municipalities_in(text: str, content_type: str, away: str) -> bool:
    """Whether a JSON answer names the other municipality in a ``municipality`` field."""
    if "json" not in content_type:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("municipality") == away:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def send(client, method: str, url: str, payload, *, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return getattr(client, method)(
            url, json.dumps(payload) if payload is not None else None, "application/json"
        )
    return client.post(url, payload or {})


def outcome(response) -> tuple:
    """What an answer tells the client: the status, and where a redirect points (the path
    without its query, which names the page asked for)."""
    if response.status_code in (301, 302, 303, 307, 308):
        return response.status_code, response["Location"].split("?")[0]
    return (response.status_code,)


# --- hints cover every route -----------------------------------------------------------------
def test_every_object_route_has_a_foreign_object(tenancy_world):
    """A route with an object id is tried with another municipality's object: its app's
    tests/authz module seeds one (``tenant_objects``) or says why there is none."""
    missing = []
    for route in routes():
        if not route.object_params or route.name in NO_TENANT_OBJECT:
            continue
        for code, objs in tenancy_world.tenant.items():
            if route.object_key(objs) is None:
                missing.append(f"{route.name} (no {code} object)")
    assert not missing, f"add tenant_objects() hints for: {missing}"
    stale = sorted(set(NO_TENANT_OBJECT) - {r.name for r in routes()})
    assert not stale, f"NO_TENANT_OBJECT names routes that no longer exist: {stale}"


def _selecting_filters() -> set[str]:
    """The query parameters of the API's and the pages' filter sets that select a row of
    another table (or a municipality)."""
    from brygga.incidents.filters import IncidentFilter

    names = set()
    classes = [IncidentFilter]
    for route in routes():
        cls = route.viewset
        if cls is None:
            continue
        if getattr(cls, "filterset_class", None) is not None:
            classes.append(cls.filterset_class)
        model = getattr(cls, "model", None) or getattr(
            getattr(getattr(cls, "serializer_class", None), "Meta", None), "model", None
        )
        for field in getattr(cls, "filterset_fields", None) or []:
            if model is not None and model._meta.get_field(field).is_relation:
                names.add(field)
    for fs in classes:
        for name, f in fs.base_filters.items():
            if (
                isinstance(f, df.ModelChoiceFilter | df.ModelMultipleChoiceFilter)
                or "municipality" in name
            ):
                names.add(name)
    return names


def test_every_selecting_parameter_has_a_hint():
    missing = sorted(_selecting_filters() - set(FILTER_PARAMS))
    assert not missing, f"add FILTER_PARAMS hints (tests/authz) for the parameters {missing}"


# --- (a) another municipality's object id ----------------------------------------------------
def _foreign_cases(actor: str, world):
    """(code in the URL, objects of the other municipality) to try for ``actor``."""
    if actor == "system_admin":
        # may see both municipalities: only an object under the wrong municipality's code
        return [(SUNDSVALL, world.tenant[TIMRA]), (TIMRA, world.tenant[SUNDSVALL])]
    home = HOME[actor]
    away = AWAY[home]
    return [(home, world.tenant[away]), (away, world.tenant[away])]


@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_foreign_object_id(actor, tenancy_world, client_for):
    client = client_for(actor)
    failures = []
    before = fingerprint()
    tried = 0
    for route in routes():
        if not route.object_params or route.name in NO_TENANT_OBJECT:
            continue
        if any(route.object_key(o) is None for o in tenancy_world.tenant.values()):
            continue  # test_every_object_route_has_a_foreign_object names it
        methods = ("get", *UNSAFE) if route.is_api else ("get", "post")
        seen = set()
        for code, objs in _foreign_cases(actor, tenancy_world):
            if actor == "system_admin" and not route.code_params and not route.jurisdiction:
                continue  # the API has no municipality in the URL: the admin sees it all
            if route.jurisdiction and objs is tenancy_world.tenant[code]:
                continue  # Open311 is public: a published tip is open in its own jurisdiction
            url = route.url(code, objs)
            if url in seen:
                continue
            seen.add(url)
            missing_url = route.url(code, objs, missing=True)
            marker = MARKERS[SUNDSVALL if objs is tenancy_world.tenant[SUNDSVALL] else TIMRA]
            for method in methods:
                payload = {"name": "x", "kind": "other", "description": "x", "status": "closed"}
                tried += 1
                got = send(client, method, url, payload, api=route.is_api)
                ref = send(client, method, missing_url, payload, api=route.is_api)
                if outcome(got) != outcome(ref):
                    failures.append(
                        f"{actor} {method.upper()} {url}: {outcome(got)}, "
                        f"but {outcome(ref)} for an id that does not exist"
                    )
                elif 200 <= got.status_code < 300 and marker in body(got):
                    failures.append(f"{actor} {method.upper()} {url}: shows {marker}")
        after = fingerprint()
        if after != before:
            failures.append(f"{actor} on {route.name} changed {changed(before, after)}")
            before = after
    assert tried, "no route with an object id was tried"
    assert not failures, "\n".join(failures)


# --- (b) unsafe methods on the API -----------------------------------------------------------
def _api_writes(world) -> dict:
    out = {}
    for module in MODULES:
        fn = getattr(module, "api_writes", None)
        if fn is not None:
            out.update(fn(world, world.matrix_objects))
    return out


def test_api_write_hints_name_existing_routes(tenancy_world):
    names = {r.name for r in routes()}
    stale = sorted(n for n, _ in _api_writes(tenancy_world) if n not in names)
    assert not stale, f"api_writes() hints for routes that no longer exist: {stale}"


DEFAULT_PAYLOAD = {
    "municipality": SUNDSVALL,
    "name": "Skrivförsök",
    "kind": "other",
    "description": "Skrivförsök",
    "status": "closed",
}


@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_api_unsafe_methods(actor, tenancy_world, client_for):
    client = client_for(actor)
    writes = _api_writes(tenancy_world)
    objs = tenancy_world.matrix_objects
    failures = []
    tried = 0
    before = fingerprint()
    for route in routes():
        if not route.is_api:
            continue
        url = route.url(SUNDSVALL, objs)
        for method in UNSAFE:
            writers, payload, *target = writes.get((route.name, method), ([], DEFAULT_PAYLOAD))
            target_url = route.url(SUNDSVALL, {**objs, **target[0]}) if target else url
            cases = [(payload, writers)]
            if (
                method == "post"
                and HOME.get(actor) == SUNDSVALL
                and isinstance(payload, dict)
                and "municipality" in payload
            ):
                # the same create, naming the other municipality
                cases.append(({**payload, "municipality": TIMRA}, []))
            for data, allowed in cases:
                tried += 1
                where = f"{actor} {method.upper()} {target_url} {json.dumps(data)[:80]}"
                try:
                    with transaction.atomic():  # each write is undone: one "before" for all
                        response = send(client, method, target_url, data, api=True)
                        after = fingerprint()
                        transaction.set_rollback(True)
                except Exception as exc:  # a 500: report it with the rest
                    failures.append(f"{where}: raised {exc!r:.200}")
                    continue
                status = response.status_code
                if actor in allowed:
                    if not 200 <= status < 300:
                        failures.append(
                            f"{where}: {status} for an allowed writer (is the hint's payload "
                            f"valid?) {body(response)[:200]}"
                        )
                    continue
                if 200 <= status < 300:
                    failures.append(f"{where}: {status}, a write this actor may not make")
                if after != before:
                    failures.append(f"{where}: {status} and changed {changed(before, after)}")
    assert tried
    assert not failures, "\n".join(failures)


# --- (c) + (d) no foreign rows in lists, exports and API answers -----------------------------
# Where the marker of one's own municipality must show (the positive control, for the
# coordinators of both municipalities): the lists and exports of each kind of marked row.
MUST_SHOW_OWN_MARKER = {
    "incidents:index",
    "incidents:export_csv",
    "incidents:export_xlsx",
    "incidents:export_geojson",
    "incidents:category_list",
    "incidents:import_list",
    "incidents:import_profile_list",
    "core:organisation_list",
    "core:area_list",
    "core:forum_list",
    "core:member_list",
    "api:incident-list",
    "api:organisation-list",
    "api:area-list",
    "api:forum-list",
    "api:membership-list",
    "api:category-list",
    "api:importprofile-list",
    "api:policearea-list",
    "open311:request_list_json",
    "open311:request_list_xml",
}


def _variants(route: Route, away: str, world) -> list[str]:
    """Query strings that select another municipality's rows, for a route without an
    object id (lists, maps, exports)."""
    if route.object_params or route.jurisdiction:
        return [""]
    out = [""]
    for param, key in FILTER_PARAMS.items():
        value = away if key == "code" else world.tenant[away].get(key)
        if value is not None:
            out.append(f"{param}={value}")
    return out


@pytest.mark.parametrize("actor", ["anon", *ROLES, "outsider"])
def test_no_foreign_rows(actor, tenancy_world, client_for):
    client = client_for(actor)
    home = HOME[actor]
    away = AWAY[home]
    marker = MARKERS[away]
    objs = own_objects(tenancy_world, actor)
    failures = []
    shows_own = set()
    for route in routes():
        url = route.url(home, objs)
        for query in _variants(route, away, tenancy_world):
            full = url + (("&" if "?" in url else "?") + query if query else "")
            response = client.get(full)
            if response.status_code != 200:
                if not query:
                    break  # a page the actor may not open: no rows to look at
                continue
            text = body(response)
            if marker in text:
                failures.append(f"{actor} GET {full} ({route.name}): shows {marker}")
            if foreign_municipalities_in(text, response.get("Content-Type", ""), away):
                failures.append(f"{actor} GET {full}: a row of municipality {away}")
            if not query and MARKERS[home] in text:
                shows_own.add(route.name)
    if actor == "coordinator" or actor == "outsider":
        hidden = sorted(MUST_SHOW_OWN_MARKER - shows_own)
        assert not hidden, f"positive control: {actor} does not see its own rows in {hidden}"
    assert not failures, "\n".join(failures)


def test_api_delete_of_organisation_with_incidents(matrix_world, client_for):
    from brygga.core.models import Organisation

    org = matrix_world.orgs["field"]  # the matrix incident was reported by it
    client = client_for("system_admin")
    response = client.delete(f"/api/v1/organisations/{org.pk}/")
    assert 400 <= response.status_code < 500
    assert Organisation.objects.filter(pk=org.pk).exists()
