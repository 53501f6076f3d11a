"""The request's origin: a Host that is a valid ``host[:port]``, and only the proxy headers the deployment sets.

Links are built from the request's scheme, host and prefix when
``HMIS_BASE_URL`` is not set, so these are checked once, as plain WSGI,
before Flask sees the request (:class:`RequestOrigin`):

- **Host.** A ``Host`` header must be a valid ``host[:port]``: a hostname of
  dot-separated labels of 1-63 letters, digits or hyphens (253 characters at
  most), an IPv4 address or a bracketed IPv6 address, and a port from 1 to
  65535 (no leading zero). Anything else is answered ``400`` here, whether or not
  ``HMIS_BASE_URL`` is set, and is never logged by the app. Without a
  ``Host`` header (HTTP/1.0), the server's own name and port must be valid
  unless ``HMIS_BASE_URL`` is set.
- **Proxy headers**, only with ``HMIS_TRUST_PROXY=1``, each the last value
  of its list (the one the proxy in front added): ``X-Forwarded-For`` (an IP
  address; anything else is ignored, it only reaches the access log),
  ``X-Forwarded-Proto`` (``http`` or ``https``, else ``400``) and
  ``X-Forwarded-Host`` (checked like ``Host``, else ``400``).
  ``X-Forwarded-Prefix`` only with ``HMIS_TRUST_PROXY_PREFIX=1`` as well: a
  path of ``/``-separated segments of letters, digits and ``-._~`` (never
  ``//``, ``.`` or ``..``), else ``400``. ``X-Forwarded-Port`` is never
  believed. Without trust, none of them changes anything.

The ``400`` is plain text naming the header, ``no-store``.

>>> valid_host("hmis.example.org:8443"), valid_host("[::1]"), valid_host("a/b"), valid_host(":99999")
(True, True, False, False)
>>> valid_prefix("/hmis/training"), valid_prefix("//evil.example")
(True, False)
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["RequestOrigin", "valid_host", "valid_prefix", "vary_on"]

_LABEL = r"[A-Za-z0-9-]{1,63}"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]+)\]")
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # no leading zero: Werkzeug would drop such a host
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_SCHEMES = ("http", "https")


def valid_host(text: str) -> bool:
    """Whether ``text`` is a ``host[:port]`` links may be built from.

    A hostname (labels of 1-63 letters, digits, hyphens; at most 253
    characters), an IPv4 address, or a bracketed IPv6 address without a zone;
    then optionally ``:`` and a port from 1 to 65535 (without a leading zero).

    >>> [valid_host(h) for h in ("localhost", "127.0.0.1:8000", "[2001:db8::1]:443", "a" * 64, "x@y", "")]
    [True, True, True, False, False, False]
    """
    host = text
    port: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return False
        host, rest = text[: end + 1], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return False
            port = rest[1:]
    elif ":" in text:
        host, port = text.rsplit(":", 1)
    if port is not None and not (_PORT.fullmatch(port) and int(port) <= 65535):
        return False
    ipv6 = _IPV6.fullmatch(host)
    if ipv6 is not None:
        try:
            ipaddress.IPv6Address(ipv6.group(1))
        except ValueError:
            return False
        return True
    return len(host) <= 253 and _HOSTNAME.fullmatch(host) is not None


def valid_prefix(text: str) -> bool:
    """Whether ``text`` is a path prefix links may start with: ``/`` and segments of ``A-Za-z0-9-._~``.

    Never ``//`` (another origin), ``.`` or ``..``; one trailing ``/`` is allowed.

    >>> [valid_prefix(p) for p in ("/a", "/a/b/", "", "a", "/a//b", "/..", "/a b")]
    [True, True, False, False, False, False, False]
    """
    if not text.startswith("/"):
        return False
    segments = text[1:].removesuffix("/").split("/")
    return all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments)


def vary_on(*, base_url: str, trust_proxy: bool, trust_proxy_prefix: bool) -> tuple[str, ...]:
    """The request headers a page, feed or JSON body depends on: none once ``HMIS_BASE_URL`` is set.

    >>> vary_on(base_url="", trust_proxy=True, trust_proxy_prefix=False)
    ('Host', 'X-Forwarded-Host', 'X-Forwarded-Proto')
    >>> vary_on(base_url="https://x.org", trust_proxy=True, trust_proxy_prefix=True)
    ()
    """
    if base_url:
        return ()
    names = ["Host"]
    if trust_proxy:
        names += ["X-Forwarded-Host", "X-Forwarded-Proto"]
        if trust_proxy_prefix:
            names.append("X-Forwarded-Prefix")
    return tuple(names)


def _last(value: str) -> str:
    """The last item of a comma-separated header value: the one the nearest proxy added."""
    return value.rsplit(",", 1)[-1].strip()


class RequestOrigin:
    """WSGI middleware: the believed proxy headers applied, then the Host checked; ``400`` when malformed.

    ``fixed_base`` (``HMIS_BASE_URL`` is set) only spares an HTTP/1.0
    request without a ``Host`` header the check of the server's own name.
    """

    def __init__(
        self, app: WSGIApplication, *, trust_proxy: bool, trust_proxy_prefix: bool, fixed_base: bool
    ) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        self.trust_proxy_prefix = trust_proxy and trust_proxy_prefix
        self.fixed_base = fixed_base

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        problem = self._forwarded(environ) if self.trust_proxy else None
        problem = problem or self._host(environ)
        if problem is not None:
            body = f"400 Bad Request\n{problem}\n".encode()
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
        return self.app(environ, start_response)

    def _forwarded(self, environ: WSGIEnvironment) -> str | None:
        """Apply the trusted ``X-Forwarded-*`` headers to ``environ``; what is wrong with one, if anything."""
        found = environ.get("HTTP_X_FORWARDED_FOR")
        if found is not None:
            with contextlib.suppress(ValueError):  # not an address: keep the connection's own
                environ["REMOTE_ADDR"] = str(ipaddress.ip_address(_last(found)))
        found = environ.get("HTTP_X_FORWARDED_PROTO")
        if found is not None:
            scheme = _last(found).lower()
            if scheme not in _SCHEMES:
                return "X-Forwarded-Proto: expected http or https."
            environ["wsgi.url_scheme"] = scheme
        found = environ.get("HTTP_X_FORWARDED_HOST")
        if found is not None:
            host = _last(found)
            if not valid_host(host):
                return "X-Forwarded-Host: expected a host name or address, with an optional port from 1 to 65535."
            environ["HTTP_HOST"] = host
        found = environ.get("HTTP_X_FORWARDED_PREFIX")
        if found is not None and self.trust_proxy_prefix:
            prefix = _last(found)
            if not valid_prefix(prefix):
                return "X-Forwarded-Prefix: expected a path such as /hmis (letters, digits and -._~ between slashes)."
            environ["SCRIPT_NAME"] = prefix.rstrip("/") + str(environ.get("SCRIPT_NAME", ""))
        return None

    def _host(self, environ: WSGIEnvironment) -> str | None:
        """What is wrong with the request's host and root path, if anything."""
        host = environ.get("HTTP_HOST")
        if host is None and not self.fixed_base:
            name, port = str(environ.get("SERVER_NAME", "")), str(environ.get("SERVER_PORT", ""))
            host = f"{name}:{port}" if port else name
        if host is not None and not valid_host(host):
            return "Host: expected a host name or address, with an optional port from 1 to 65535."
        script_name = str(environ.get("SCRIPT_NAME", ""))
        if script_name and not valid_prefix(script_name):
            return "The request's root path is not a plain path."
        return None
