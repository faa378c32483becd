"""Request id for every request (header X-Request-ID), and the acting user for audit rows."""

from __future__ import annotations

import logging
import re

from .context import (
    get_request_id,
    new_request_id,
    reset_current_request,
    reset_request_context,
    set_current_request,
    set_request_context,
)

_VALID_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_ID.match(incoming) else new_request_id()
        tokens = set_request_context(request.id, None)
        req_token = set_current_request(request)
        try:
            response = self.get_response(request)
        finally:
            reset_current_request(req_token)
            reset_request_context(tokens)
        response["X-Request-ID"] = request.id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        return True
