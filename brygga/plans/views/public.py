"""The citizen promises for the public, without signing in:
/offentlig/kommuner/<code>/medborgarloften/ — the municipality's published promises (published
on or before today), current ones (active, today within the period and its extension) first,
then past ones, each with its title, text, period (and extension), the police's and the
municipality's commitments, status and its justification. Nothing else: no measures, no
indicators, no names of people, no drafts.

Reads go through ``selectors.public_promises`` only; an unknown municipality is 404. The page
is cached for a short while by the browser only (it carries the language form's CSRF token).
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ..selectors.agreements import public_municipality, public_promises, split_current

__all__ = ["public_promise_list"]

MAX_AGE = 300  # seconds


@require_safe
def public_promise_list(request, code: str):
    municipality = public_municipality(code)
    current, past = split_current(public_promises(municipality))
    response = render(
        request,
        "plans/public_promises.html",
        {"public_municipality": municipality, "current": current, "past": past},
    )
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response
