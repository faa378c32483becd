"""Checks a freshly installed Brygga served by gunicorn with the production settings.

Usage: python check_install.py http://127.0.0.1:PORT HOSTNAME
Requests go straight to gunicorn as the documented reverse proxy would send them (Host of the
site, X-Forwarded-Proto: https). Exits non-zero with a list of what failed.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import sys
import time
from urllib.parse import urlsplit

base, host = sys.argv[1], sys.argv[2]
netloc = urlsplit(base).netloc
failures: list[str] = []


def get(path: str, *, https: bool = True, hostname: str = host, headers: dict | None = None):
    conn = http.client.HTTPConnection(netloc, timeout=30)
    h = {"Host": hostname, **(headers or {})}
    if https:
        h["X-Forwarded-Proto"] = "https"
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def expect(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


# Wait for gunicorn (at most 60 s).
deadline = time.monotonic() + 60
while True:
    try:
        status, headers, body = get("/healthz")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("gunicorn did not answer within 60 s")
        time.sleep(0.5)

health = json.loads(body)
expect(status == 200 and health.get("status") == "ok", f"/healthz 200 ok (got {status} {health})")
expect(headers.get("content-type", "").startswith("application/json"), "/healthz is JSON")
expect(
    all(health.get(k) == "ok" for k in ("database", "schema", "static")),
    "/healthz: database, schema and static files ok",
)

status, headers, body = get("/konto/logga-in/")
page = body.decode("utf-8", "replace")
expect(status == 200, f"sign-in page 200 (got {status})")
expect(headers.get("content-type") == "text/html; charset=utf-8", "sign-in page is UTF-8 HTML")
expect('lang="sv"' in page and "Logga in" in page, "sign-in page is in Swedish")
hsts = headers.get("strict-transport-security", "")
expect("max-age=31536000" in hsts and "includeSubDomains" in hsts, f"HSTS ({hsts!r})")
csp = headers.get("content-security-policy", "")
expect("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, "CSP")
expect(headers.get("x-frame-options") == "DENY", "X-Frame-Options: DENY")
expect(headers.get("x-content-type-options") == "nosniff", "X-Content-Type-Options: nosniff")
expect(headers.get("referrer-policy") == "same-origin", "Referrer-Policy: same-origin")
expect(headers.get("cross-origin-opener-policy") == "same-origin", "COOP: same-origin")
cookie = headers.get("set-cookie", "")
expect("csrftoken" in cookie and "Secure" in cookie, "CSRF cookie is Secure")

css = re.search(r'href="(/static/brygga/brygga\.[0-9a-f]{12}\.css)"', page)
expect(css is not None, "stylesheet link carries the manifest hash")
if css:
    status, headers, body = get(css.group(1), headers={"Accept-Encoding": "gzip"})
    expect(status == 200, f"static file 200 (got {status})")
    expect(headers.get("content-type", "").startswith("text/css"), "static file is text/css")
    expect(headers.get("content-encoding") == "gzip", "static file served compressed")
    expect("immutable" in headers.get("cache-control", ""), "hashed static file is immutable")
    expect(b"{" in gzip.decompress(body), "static file content")
status, _, _ = get("/static/brygga/favicon.svg")
expect(status == 200, "unhashed static name still served")

status, headers, _ = get("/konto/logga-in/", https=False)
expect(
    status == 301 and headers.get("location", "").startswith("https://"),
    f"plain HTTP redirected to HTTPS (got {status})",
)
status, _, _ = get("/konto/logga-in/", hostname="evil.example")
expect(status == 400, f"unknown Host refused (got {status})")
status, _, body = get("/finns-inte/")
expect(status == 404 and "Sidan finns inte" in body.decode(), "404 page in Swedish, not 500")

if failures:
    print(f"{len(failures)} install checks failed")
    sys.exit(1)
print("all install checks passed")
