"""Hostile headers, direct to the app and through a real gunicorn: never a 5xx, never an attacker's origin in a link.

Hypothesis draws raw values (put in the WSGI environ as they are, since
Flask's test client would normalise some) for Host, every ``X-Forwarded-*``,
Accept-Language and the conditional headers, with and without
``HMIS_TRUST_PROXY`` and ``HMIS_BASE_URL``, on every kind of route. A few
requests then go through gunicorn as raw bytes on a socket.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from support import BASE, FROZEN, WEB_CONFIG, Server, raw, raw_get, server_env, status

from hmis_schedule import private, web

KEY = "test-only-secret-key-0123456789-abcdefghij"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_HOSTILE%40thread.v2/0"
TOKEN = private.issue_token(KEY, "Agency X - Alice", days=30, now=FROZEN - timedelta(days=1))

CONFIGS: dict[str, dict[str, object]] = {
    "direct": {},
    "proxy": {"HMIS_TRUST_PROXY": "1"},
    "proxy-prefix": {"HMIS_TRUST_PROXY": "1", "HMIS_TRUST_PROXY_PREFIX": "1"},
    "base-url": {"HMIS_BASE_URL": BASE, "HMIS_TRUST_PROXY": "1", "HMIS_TRUST_PROXY_PREFIX": "1"},
}
"""The deployments: which of the request's headers links may come from."""

BELIEVED = {
    "direct": {"HTTP_HOST"},
    "proxy": {"HTTP_HOST", "HTTP_X_FORWARDED_HOST"},
    "proxy-prefix": {"HTTP_HOST", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PREFIX"},
    "base-url": set(),
}
"""The headers whose (valid) value may appear in a body, per deployment."""

MARKS = {
    "HTTP_HOST": "host-attacker",
    "HTTP_X_FORWARDED_HOST": "xfh-attacker",
    "HTTP_X_FORWARDED_PREFIX": "prefix-attacker",
    "HTTP_X_FORWARDED_PORT": "port-attacker",
    "HTTP_X_FORWARDED_FOR": "for-attacker",
}
"""The mark each header's hostile values carry, to find them in an answer."""


def make_app(**config: object) -> Flask:
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_SCHEDULE": "", "HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN,
         "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "", "HMIS_BASE_URL": "", **config}
    )  # fmt: skip


APPS = {name: make_app(**config) for name, config in CONFIGS.items()}

ROUTES = [
    "/", "/?lang=es", "/embed", "/calendar.ics", "/calendar/online.ics?lang=es", "/calendar/in-person.ics",
    "/calendar.ics?start=2026-01-01&end=2026-03-01", "/api/sessions.json", "/api/next.json", "/openapi.json",
    "/healthz", "/sessions/first-monday-20261207@hmis-training.clackamas.us.ics", "/static/site.css",
    f"/private/{TOKEN}/calendar.ics", f"/private/{TOKEN}/online.ics", "/no-such-page", "/calendar.ics?lang=xx",
]  # fmt: skip

LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF)
"""What a WSGI server may put in a header value (bytes as latin-1), but line breaks and NUL."""


def marked(name: str) -> st.SearchStrategy[str]:
    """Values for a host-like header: malformed ones, and valid ones naming ``<name>-attacker``."""
    mark = f"{name}-attacker"
    samples = [
        "", "a/b", "x@y", ":99999", ":0", "a" * 64 + ".example", "[::1", "[::1]x", "[fe80::1%eth0]",
        "ex ample", "javascript:alert(1)", "//evil.example", f"{mark}.example:65536", "-", ".", "a..b",
        f"{mark}.example", f"{mark}.example:8443", f"{mark}.example, {mark}-2.example", "[::1]:80",
        "10.0.0.1", f"{'b' * 63}.{mark}.example", f"{mark}.example:01",
    ]  # fmt: skip
    return st.one_of(
        st.sampled_from(samples),
        st.text(LATIN1, max_size=80),
        st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z0-9-]{1,10}){0,3}(:[0-9]{1,5})?", fullmatch=True).map(
            lambda h: f"{mark}.{h}"
        ),
    )


PREFIXES = st.one_of(
    st.sampled_from(["/prefix-attacker", "//prefix-attacker.example", "/prefix-attacker/../x", "prefix-attacker",
                     "/", "", "/a b", "/%2F%2Fprefix-attacker", "\\\\prefix-attacker", "/prefix-attacker/"]),
    st.text(LATIN1, max_size=40),
)  # fmt: skip
SCHEMES = st.one_of(
    st.sampled_from(["http", "https", "HTTPS", "javascript", "data", "https, javascript", "javascript, https", ""]),
    st.text(LATIN1, max_size=20),
)
CONDITIONS = st.one_of(
    st.sampled_from(['"x"', "*", 'W/"x"', "", "Thu, 01 Jan 1970 00:00:00 GMT", "Sat, 31 Dec 9999 23:59:59 GMT",
                     "bytes=0-10", "bytes=-5", "bytes=10-2", "bytes=0-0,5-9", "lines=1-2", "yesterday"]),
    st.text(LATIN1, max_size=60),
)  # fmt: skip
ENVIRON = st.fixed_dictionaries(
    {"HTTP_HOST": marked("host")},
    optional={
        "HTTP_X_FORWARDED_HOST": marked("xfh"),
        "HTTP_X_FORWARDED_PROTO": SCHEMES,
        "HTTP_X_FORWARDED_PREFIX": PREFIXES,
        "HTTP_X_FORWARDED_PORT": st.one_of(st.sampled_from(["443", "0", "99999", "port-attacker"]), st.text(LATIN1)),
        "HTTP_X_FORWARDED_FOR": st.one_of(st.sampled_from(["1.2.3.4", "::1", "for-attacker", "1.2.3.4, x"]),
                                          st.text(LATIN1)),
        "HTTP_ACCEPT_LANGUAGE": st.one_of(st.sampled_from(["es", "es-MX,es;q=0.9", "*;q=x", "en;q=2,,", ""]),
                                          st.text(LATIN1, max_size=60)),
        "HTTP_IF_NONE_MATCH": CONDITIONS,
        "HTTP_IF_MODIFIED_SINCE": CONDITIONS,
        "HTTP_IF_MATCH": CONDITIONS,
        "HTTP_IF_UNMODIFIED_SINCE": CONDITIONS,
        "HTTP_RANGE": CONDITIONS,
    },
)  # fmt: skip

_SCHEME = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*)://")
_RELATIVE_ORIGIN = re.compile(r"""(?:href|src|action)=["']?(?://|\\\\)""", re.IGNORECASE)


def everything(response: Any) -> str:
    """The body (unfolded and with iCalendar's ``\\n`` as a line break) and every header of ``response``, as text."""
    body = response.get_data().replace(b"\r\n ", b"").replace(b"\\n", b"\n").decode("utf-8", "replace")
    return body + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


def check(config: str, environ: dict[str, str], response: Any) -> None:
    assert response.status_code < 500, (config, environ)
    text = everything(response)
    schemes = {s.lower() for s in _SCHEME.findall(text) + _SCHEME.findall(unquote(unquote(text)))}
    assert schemes <= {"http", "https", "webcal"}, (config, environ, schemes)
    assert not _RELATIVE_ORIGIN.search(text), (config, environ)
    for name, mark in MARKS.items():
        if name in environ and name not in BELIEVED[config]:
            assert mark not in text.lower(), (config, name, environ[name])


@pytest.mark.parametrize("config", list(CONFIGS))
@settings(max_examples=60)
@given(route=st.sampled_from(ROUTES), method=st.sampled_from(["GET", "HEAD"]), environ=ENVIRON)
def test_no_header_causes_a_5xx_or_puts_an_unbelieved_origin_in_a_link(
    config: str, route: str, method: str, environ: dict[str, str]
) -> None:
    client = APPS[config].test_client()
    with client.open(route, method=method, environ_overrides=dict(environ)) as response:
        check(config, environ, response)


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("host", ["a" * 64 + ".example", "a/b", "x@y", ":99999", "", "[::1", "a..b"])
@pytest.mark.parametrize("route", ["/", "/embed", "/no-such-page", "/calendar.ics", "/api/sessions.json"])
def test_a_malformed_host_gets_a_400_and_no_log_line(
    config: str, host: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = APPS[config].test_client().get(route, environ_overrides={"HTTP_HOST": host})
    assert response.status_code == 400
    assert response.get_data(as_text=True) == (
        "400 Bad Request\nHost: expected a host name or address, with an optional port from 1 to 65535.\n"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security headers still apply
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- through gunicorn, raw bytes ------------------------------------------------------------------


def test_gunicorn_answers_hostile_requests_without_a_5xx_or_a_traceback(tmp_path: Path) -> None:
    with Server(tmp_path, config=WEB_CONFIG, workers=1, env=server_env(HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN)) as server:
        port = server.port
        for host in ["a" * 64 + ".example", "a/b", "x@y", ":99999", "", "[::1"]:
            for route in ["/", "/no-such-page", "/calendar.ics"]:
                assert status(raw_get(port, route, host=host)) == 400, (host, route)
        # HTTP/1.0 without a Host: links come from the server's own name, 127.0.0.1:port
        old = raw(port, b"GET /calendar.ics HTTP/1.0\r\n\r\n")
        assert status(old) == 200 and f"127.0.0.1:{port}".encode() in old
        untrusted = raw_get(port, "/", "X-Forwarded-Proto: https", "X-Forwarded-Ssl: on",
                            "X-Forwarded-Prefix: //prefix-attacker.example", "X-Forwarded-Host: xfh-attacker.example")  # fmt: skip
        assert status(untrusted) == 200
        assert b"webcal://127.0.0.1" in untrusted and b"https://127.0.0.1" not in untrusted  # gunicorn believed none
        assert b"attacker" not in untrusted
        for headers in (["Accept-Language: *;q=x,,"], ["If-None-Match: \x85\xff"], ["Range: bytes=9-1"],
                        ["If-Modified-Since: \xe9t\xe9"], ["If-Match: *"], ["Host: b.example", "Host: c.example"]):  # fmt: skip
            assert status(raw_get(port, "/calendar.ics", *headers)) < 500, headers
    logs = server.logs()
    assert "Traceback" not in logs and "[ERROR]" not in logs, logs[-3000:]


def test_gunicorn_behind_a_trusted_proxy_believes_only_a_valid_scheme_and_host(tmp_path: Path) -> None:
    env = server_env(HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN, HMIS_TRUST_PROXY="1")
    with Server(tmp_path, config=WEB_CONFIG, workers=1, env=env) as server:
        port = server.port
        good = raw_get(port, "/", "X-Forwarded-Proto: https", "X-Forwarded-Host: hmis.example.org",
                       "X-Forwarded-Prefix: //prefix-attacker.example", "X-Forwarded-Port: 666")  # fmt: skip
        assert status(good) == 200
        assert b"https://hmis.example.org/calendar/online.ics" in good
        assert b"attacker" not in good and b":666" not in good
        assert b"Vary: Host, X-Forwarded-Host, X-Forwarded-Proto, Accept-Language" in good
        assert status(raw_get(port, "/calendar.ics", "X-Forwarded-Proto: javascript")) == 400
        assert status(raw_get(port, "/", "X-Forwarded-Host: a/b")) == 400
    assert "Traceback" not in server.logs()
