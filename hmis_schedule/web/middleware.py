"""WSGI middleware: warm public feeds answered without Flask, the request's origin checked, security headers.

They wrap the Flask app as plain WSGI (``bench/bench_server.py`` measures
why): :class:`FeedResponses` replays the last identical answer of a warm
public feed, :class:`~hmis_schedule.web.origin.RequestOrigin` applies the
trusted proxy headers and answers a malformed Host with ``400``, and
:class:`SecurityHeaders` adds the CSP, framing and CORS headers as a
response starts (the ``400`` too). :func:`init_app` puts them around an app.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.http import is_resource_modified

from hmis_schedule.source import Loaded, Source

from .cache import ByteLRU
from .feeds import FEEDS
from .origin import RequestOrigin
from .responses import CONDITIONAL, PRECONDITIONS
from .settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["FeedResponses", "SecurityHeaders", "init_app"]


def init_app(app: Flask, source: Source[Loaded], settings: Settings) -> None:
    """Wrap ``app``'s WSGI callable: warm feeds, then the request's origin, then security headers (outermost)."""
    app.wsgi_app = FeedResponses(app.wsgi_app, source, settings)  # type: ignore[method-assign]
    app.wsgi_app = RequestOrigin(  # type: ignore[method-assign]
        app.wsgi_app,
        trust_proxy=settings.trust_proxy,
        trust_proxy_prefix=settings.trust_proxy_prefix,
        fixed_base=bool(settings.base_url),
    )
    app.wsgi_app = SecurityHeaders(app.wsgi_app, settings.embed_origins)  # type: ignore[method-assign]


class FeedResponses:
    """WSGI middleware: a warm request for a public feed answered with the last identical answer.

    The render cache spares a warm feed its rendering; this also spares it
    routing, the request context and building the headers, which were most of
    what a warm feed cost (``bench/bench_server.py``). Only ``GET`` and
    ``HEAD`` of the three public feed paths are looked up here; an answer is
    kept only when Flask answered a ``GET`` with 200, keyed by everything that
    decided it: path, query string, the schedule's version, today's date in
    its zone and, unless ``HMIS_BASE_URL`` fixes every link, the scheme, host
    and root path of the request (as :class:`RequestOrigin` checked them).

    Calendar apps poll with ``If-None-Match`` or ``If-Modified-Since``. For
    those, the kept 200's ETag and Last-Modified decide, with Werkzeug's
    ``is_resource_modified`` (what Flask's ``make_conditional`` asks): a
    modified resource gets the kept 200, an unmodified one the 304 Flask gave
    for the same key, once Flask has given one. Requests with ``If-Match``,
    ``If-Unmodified-Since`` or ``Range``, errors, private feeds and pages go
    to Flask every time. Answers are kept in a :class:`~.cache.ByteLRU` of a
    quarter of ``HMIS_CACHE_BYTES`` (status, headers and body weighed).
    """

    def __init__(self, app: WSGIApplication, source: Source[Loaded], settings: Settings) -> None:
        self.app = app
        self.source = source
        self.settings = settings
        self._items: ByteLRU[_Answer] = ByteLRU(settings.cache_bytes // 4, _answer_bytes)

    @property
    def size_bytes(self) -> int:
        """The bytes of the answers kept now, at most a quarter of ``HMIS_CACHE_BYTES``."""
        return self._items.size_bytes

    def _key(self, environ: WSGIEnvironment) -> Hashable | None:
        path = environ.get("PATH_INFO")
        if path not in FEEDS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if not PRECONDITIONS.isdisjoint(environ) or not self._items.budget:
            return None
        try:
            loaded = self.source.value
            today = loaded.schedule.today(self.settings.now(loaded.schedule.zone))
        except Exception:  # Flask answers this request and says what is wrong
            return None
        origin = None
        if not self.settings.base_url:  # links come from the request: it decides the body too
            origin = (
                environ.get("wsgi.url_scheme"),
                environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"),
                environ.get("SERVER_PORT"),
                environ.get("SCRIPT_NAME", ""),
            )
        return (path, environ.get("QUERY_STRING", ""), origin, loaded.version, today)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        head = environ["REQUEST_METHOD"] == "HEAD"
        hit = self._get(key)
        want = "200 "
        if hit is not None and ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            if not self._modified(environ, hit[1]):
                key, want = (key, 304), "304 "
                hit = self._get(key)  # None until Flask has given this 304 once; kept below
        elif hit is None and not CONDITIONAL.isdisjoint(environ):
            return self.app(environ, start_response)  # nothing kept to decide with: Flask decides
        if hit is not None:
            status, headers, body = hit
            start_response(status, list(headers))
            return [] if head else [body]
        started: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        answer = self.app(environ, start)
        if head:
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        if started and started[0].startswith(want):
            self._items.put(key, (started[0], started[1], body))
        return [body]

    def _get(self, key: Hashable) -> _Answer | None:
        return self._items.get(key)

    @staticmethod
    def _modified(environ: WSGIEnvironment, headers: list[tuple[str, str]]) -> bool:
        """Whether the kept answer with ``headers`` is modified for this request's conditions."""
        found = {name.lower(): value for name, value in headers}
        return is_resource_modified(environ, found.get("etag"), None, found.get("last-modified"))


_Answer = tuple[str, list[tuple[str, str]], bytes]
"""A kept answer: status, headers, body."""


def _answer_bytes(answer: _Answer) -> int:
    status, headers, body = answer
    return len(status) + sum(len(name) + len(value) + 112 for name, value in headers) + len(body) + 150


class SecurityHeaders:
    """WSGI middleware: the security (and CORS) headers of every response, added as it starts.

    Given as plain tuples to ``start_response``: setting them one by one on
    Werkzeug's ``Headers`` (in an ``after_request`` hook) cost more than the
    rest of a cached feed response. Each kind of response has its list computed
    once (:func:`_security_header_list`).
    """

    def __init__(self, app: WSGIApplication, embed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.embed_origins = embed_origins

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = "/" + str(environ.get("PATH_INFO") or "").lstrip("/")  # as request.path
        is_private = path.startswith("/private/")
        is_admin = path == "/admin" or path.startswith("/admin/")
        cors = not is_private and not is_admin and (
            path.startswith("/api/") or path.endswith((".ics", ".atom")) or path == "/openapi.json"
        )
        preflight = environ.get("REQUEST_METHOD") == "OPTIONS"
        extra = _security_header_list(self.embed_origins, path == "/embed", is_private, cors, preflight, is_admin)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *extra], exc_info)

        return self.app(environ, start)


@lru_cache(maxsize=64)
def _security_header_list(
    embed_origins: tuple[str, ...], is_embed: bool, is_private: bool, cors: bool, preflight: bool,
    is_admin: bool = False,
) -> tuple[tuple[str, str], ...]:
    """The security and CORS headers of one kind of response.

    The admin pages (``is_admin``) are never indexed and send their address
    only to this site (``same-origin``: Flask-WTF compares an https form's
    Referer with the host).

    >>> dict(_security_header_list((), False, False, True, False))["X-Frame-Options"]
    'DENY'
    """
    ancestors = " ".join(("'self'", *embed_origins)) if is_embed else "'none'"
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    headers = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Referrer-Policy",
            "no-referrer" if is_private else "same-origin" if is_admin else "strict-origin-when-cross-origin",
        ),
    ]
    if is_private or is_admin:
        headers.append(("X-Robots-Tag", "noindex, nofollow"))
    headers.append(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
    if not is_embed:
        headers.append(("X-Frame-Options", "DENY"))
    if cors:
        headers.append(("Access-Control-Allow-Origin", "*"))
        headers.append(("Access-Control-Expose-Headers", "ETag, Last-Modified, Content-Disposition"))
        if preflight:  # e.g. for a script sending If-None-Match
            headers.append(("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"))
            headers.append(("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since"))
            headers.append(("Access-Control-Max-Age", "86400"))
    return tuple(headers)
