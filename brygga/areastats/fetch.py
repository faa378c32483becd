"""The scheduled fetch: each active :class:`StatFeed` is asked for a JSON-stat2 response (a GET
of its address, or a POST of its PxWebApi v1 query) and the response is imported like a file.
``brygga fetch-area-stats`` runs it from cron or a systemd timer (docs: statistik.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.translation import gettext as _

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor

from .models import StatFeed, StatImport
from .readers import StatsReadError, read_jsonstat
from .services import StatsImportError, import_area_stats, stat_feed_fetched

TIMEOUT_SECONDS = 60
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class FetchResult:
    feed: StatFeed
    ok: bool
    message: str


def download(feed: StatFeed) -> bytes:
    """The response body (JSON-stat2). PxWebApi v1 takes a POST of the query with
    ``"response": {"format": "json-stat2"}``; v2 and saved addresses take a GET."""
    if not feed.url.lower().startswith(("https://", "http://")):
        raise StatsReadError(_("Only http and https addresses are fetched."))
    headers = {"Accept": "application/json", "User-Agent": _user_agent()}
    if feed.query:
        query = dict(feed.query)
        query.setdefault("response", {"format": "json-stat2"})
        body = json.dumps(query).encode("utf-8")
        headers["Content-Type"] = "application/json"
        request = Request(feed.url, data=body, headers=headers, method="POST")  # noqa: S310
    else:
        request = Request(feed.url, headers=headers, method="GET")  # noqa: S310
    with urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked above
        return response.read(MAX_BYTES + 1)[: MAX_BYTES + 1]


def _user_agent() -> str:
    return getattr(settings, "BRYGGA_HTTP_USER_AGENT", "Brygga (area statistics)")


def fetch_feed(feed: StatFeed) -> FetchResult:
    """Fetch and import one feed; the outcome is noted on the feed. Never raises for a
    network or content problem: the message says what went wrong."""
    actor = SystemActor("brygga fetch-area-stats")
    try:
        data = download(feed)
        if len(data) > MAX_BYTES:
            raise StatsReadError(_("The response is larger than 50 MB."))
        parsed = read_jsonstat(data, feed.name)
        with acting_as(actor):
            summary = import_area_stats(
                actor=actor,
                municipality=feed.municipality,
                parsed=parsed,
                origin=StatImport.Origin.FETCH,
            )
        message = _("%(created)s new, %(changed)s changed, %(unchanged)s unchanged.") % {
            "created": summary.created,
            "changed": summary.changed,
            "unchanged": summary.unchanged,
        }
        ok = True
    except (StatsReadError, StatsImportError) as exc:
        message, ok = str(exc), False
    except OSError as exc:  # URLError, HTTPError, timeouts
        message, ok = _("The address could not be fetched: %(error)s") % {"error": exc}, False
    with acting_as(actor):
        stat_feed_fetched(feed=feed, status=message)
    return FetchResult(feed, ok, message)


def fetch_all(municipality=None) -> list[FetchResult]:
    feeds = StatFeed.objects.filter(active=True).select_related("municipality")
    if municipality is not None:
        feeds = feeds.filter(municipality=municipality)
    return [fetch_feed(feed) for feed in feeds]
