"""Open311 GeoReport v2 endpoints (public, no session, no CSRF token).

The format comes from the URL suffix (``.json`` or ``.xml``); an unknown suffix does not match
any route (404). Every refusal is a GeoReport error body in the requested format, and every
parameter is parsed defensively, so bad input answers 4xx, never 500.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import formats, selectors, services
from .services import Open311Error

logger = logging.getLogger(__name__)

MAX_SPAN = timedelta(days=90)
MAX_IDS = 1000


def _field_error(name: str, message: str) -> Open311Error:
    return Open311Error(400, [f"{name}: {message}"])


def endpoint(*methods: str):
    """Method check, Open311 error bodies for refusals, and a last-resort error body."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            if request.method not in allowed:
                response = formats.error_response(
                    fmt,
                    405,
                    [
                        _("Method %(method)s is not allowed here; use %(allowed)s.")
                        % {"method": request.method, "allowed": ", ".join(sorted(methods))}
                    ],
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, fmt, *args, **kwargs)
            except Open311Error as exc:
                return formats.error_response(fmt, exc.status, exc.descriptions)
            except Exception:  # a bug, not bad input: keep the body in the GeoReport format
                logger.exception("Open311 request failed")
                return formats.error_response(fmt, 500, [_("Internal error. Try again later.")])

        return wrapper

    return decorator


# --- parameters ---------------------------------------------------------------------------
def _param(params, name: str, max_length: int = 2000) -> str:
    value = params.get(name) or ""
    return value.strip()[:max_length] if isinstance(value, str) else ""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_w3c_datetime(name: str, value: str) -> datetime:
    """A W3C datetime (``2025-03-01T08:00:00+01:00``, ``…Z``) or a date; without an offset it
    is read in the installation's time zone."""
    message = _("Not a date and time in W3C format, e.g. 2025-03-01T08:00:00+01:00.")
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is None:
                raise ValueError(value)
            parsed = datetime.combine(day, time.min)
        if not 1900 <= parsed.year <= 9000:
            raise ValueError(value)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed.astimezone(UTC)  # out-of-range instants fail here, not in the database
    except (ValueError, TypeError, OverflowError):
        raise _field_error(name, message) from None
    return parsed


def _date_range(params) -> tuple[datetime, datetime]:
    """Default: the last 90 days; at most 90 days (GeoReport v2's default query limit)."""
    raw_start, raw_end = _param(params, "start_date", 64), _param(params, "end_date", 64)
    start = parse_w3c_datetime("start_date", raw_start) if raw_start else None
    end = parse_w3c_datetime("end_date", raw_end) if raw_end else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise _field_error("end_date", _("Lies before start_date."))
    if end - start > MAX_SPAN:
        raise _field_error(
            "end_date", _("At most 90 days after start_date (ask for several periods).")
        )
    return start, end


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _tokens(value: str) -> list[str]:
    """Public request ids (``Open311Request.token``), separated by commas."""
    parts = _split(value)
    if not parts or len(parts) > MAX_IDS:
        raise _field_error(
            "service_request_id",
            _("Give one to %(n)d ids, separated by commas.") % {"n": MAX_IDS},
        )
    for part in parts:
        if not _TOKEN.fullmatch(part):
            raise _field_error(
                "service_request_id", _("“%(id)s” is not a request id.") % {"id": part[:30]}
            )
    return parts


def _statuses(value: str) -> list[str]:
    statuses = [s.lower() for s in _split(value)]
    unknown = [s for s in statuses if s not in selectors.STATUSES_FOR]
    if unknown:
        raise _field_error(
            "status",
            _("Unknown status “%(status)s”; use open or closed.") % {"status": unknown[0][:30]},
        )
    return statuses


def _client_address(request) -> str:
    """The client address, read through the trusted proxies as for login throttling."""
    from brygga.core.security import client_ip

    return client_ip(request)


def _body(request) -> dict:
    """Form fields (the specification's encoding) or a JSON object."""
    try:
        if request.content_type == "application/json":
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return data
        return {key: request.POST.get(key) for key in request.POST}
    except (ValueError, RecursionError, SuspiciousOperation, MultiPartParserError):
        raise Open311Error(
            400,
            [
                _(
                    "The request body could not be read: send form fields "
                    "(application/x-www-form-urlencoded) or a JSON object."
                )
            ],
        ) from None


# --- endpoints ----------------------------------------------------------------------------
@endpoint("GET")
def service_list(request, fmt):
    municipality = services.jurisdiction_for(_param(request.GET, "jurisdiction_id", 16))
    return formats.list_response(fmt, formats.SERVICES, selectors.service_list(municipality))


@endpoint("GET")
def service_definition(request, fmt, code: str):
    municipality = services.jurisdiction_for(_param(request.GET, "jurisdiction_id", 16))
    definition = selectors.service_definition(municipality, code)
    if definition is None:
        raise Open311Error(
            404,
            [f"service_code: {_('No such service in %(name)s.') % {'name': municipality.name}}"],
        )
    return formats.object_response(fmt, formats.SERVICE_DEFINITION, definition)


@endpoint("GET", "POST")
def request_list(request, fmt):
    if request.method == "POST":
        return _submit(request, fmt)
    params = request.GET
    municipality = services.jurisdiction_for(_param(params, "jurisdiction_id", 16))
    qs = selectors.public_requests(municipality)
    raw_ids = _param(params, "service_request_id", 70_000)
    if raw_ids:
        qs = selectors.filter_requests(qs, tokens=_tokens(raw_ids))
    else:
        start, end = _date_range(params)
        qs = selectors.filter_requests(
            qs,
            codes=_split(_param(params, "service_code", 4000)),
            statuses=_statuses(_param(params, "status", 100)),
            start=start,
            end=end,
        )
    items = [selectors.request_item(i) for i in qs]
    return formats.list_response(fmt, formats.SERVICE_REQUESTS, items)


@endpoint("GET")
def request_detail(request, fmt, pk: str):
    municipality = services.jurisdiction_for(_param(request.GET, "jurisdiction_id", 16))
    incident = selectors.public_request(municipality, pk) if _TOKEN.fullmatch(pk) else None
    if incident is None:
        raise Open311Error(
            404,
            [
                f"service_request_id: {_('No such request in %(name)s.') % {'name': municipality.name}}"
            ],
        )
    return formats.list_response(fmt, formats.SERVICE_REQUESTS, [selectors.request_item(incident)])


def _submit(request, fmt):
    client = services.client_hash(_client_address(request))
    services.prune_submissions()
    services.check_client_limit(client)
    try:
        data = _body(request)
    except Open311Error:
        services.record_submission(key=None, client=client, accepted=False)
        raise
    jurisdiction = data.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
    incident = services.service_request_submit(
        data=data,
        client=client,
        jurisdiction_id=str(jurisdiction)[:16] if jurisdiction is not None else None,
    )
    notice = _(
        "Thank you. The municipality reviews every tip. This is not an emergency service: "
        "in an emergency, call 112."
    )
    return formats.list_response(
        fmt,
        formats.SERVICE_REQUESTS,
        [
            {
                "service_request_id": incident.open311_request.token,
                "service_notice": notice,
                "account_id": None,
            }
        ],
        status=201,
    )
