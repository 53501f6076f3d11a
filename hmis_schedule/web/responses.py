"""Responses: a rendered body answered with its validators, caching headers and conditional status.

ETags and conditional requests go through Werkzeug (``make_conditional``),
never by hand; headers are given as one list because Werkzeug's per-header
setters cost more than the rest of a cached response.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Response, current_app, request
from werkzeug.http import http_date

from . import sources
from .cache import Rendered
from .origin import vary_on

__all__ = ["CONDITIONAL", "PRECONDITIONS", "json_body", "respond"]

CONDITIONAL = frozenset(
    ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
)
"""Request headers (WSGI names) that can make an answer conditional."""
PRECONDITIONS = CONDITIONAL - {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"}
"""Request headers whose answers the warm-feed middleware leaves to Flask every time."""

_http_date = lru_cache(maxsize=256)(http_date)


def respond(
    rendered: Rendered, mimetype: str, *, filename: str | None = None, cache: bool = True, revalidate: bool = False
) -> Response:
    """The response of ``rendered``: ETag, Last-Modified, Cache-Control, and 304/412/206 when asked.

    Cache-Control is ``public, max-age=`` ``HMIS_CACHE_MAX_AGE`` (feeds, JSON);
    ``public, no-cache`` with ``revalidate`` (the pages: a cache asks again
    each time, with the ETag, and gets a 304 while the page is unchanged, so
    the next load after an edit shows it); ``no-store`` without ``cache``.
    """
    headers = [("ETag", f'"{rendered.etag}"')]
    if rendered.last_modified is not None:
        headers.append(("Last-Modified", _http_date(rendered.last_modified)))
    if filename:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    max_age = sources.settings().cache_max_age
    if not cache:
        headers.append(("Cache-Control", "no-store"))
    elif revalidate:
        headers.append(("Cache-Control", "public, no-cache"))
    else:
        headers.append(("Cache-Control", f"public, max-age={max_age}"))
    vary = _vary()
    if vary:  # the request headers the body's links come from (none once HMIS_BASE_URL is set)
        headers.append(("Vary", vary))
    response = Response(rendered.body, headers=headers, mimetype=mimetype)
    if not CONDITIONAL.isdisjoint(request.environ):  # without these make_conditional changes nothing
        response.make_conditional(request)
        # make_conditional adds a Date; gunicorn adds its own, so the answer would carry two,
        # and the warm-feed middleware would replay a stale one
        response.headers.pop("Date", None)
    return response


def _vary() -> str:
    settings = sources.settings()
    return _vary_header(settings.base_url, settings.trust_proxy, settings.trust_proxy_prefix)


@lru_cache(maxsize=8)
def _vary_header(base_url: str, trust_proxy: bool, trust_proxy_prefix: bool) -> str:
    return ", ".join(vary_on(base_url=base_url, trust_proxy=trust_proxy, trust_proxy_prefix=trust_proxy_prefix))


def json_body(data: object) -> bytes:
    """``data`` as the app's JSON (keys in order, UTF-8 kept), with a final newline."""
    return current_app.json.dumps(data).encode() + b"\n"
