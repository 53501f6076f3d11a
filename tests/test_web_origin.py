"""The request's origin: which Host and proxy headers are believed, what pages vary on, gunicorn's own trust."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import BASE, FROZEN

from hmis_schedule.web import ConfigError, create_app, gunicorn_config, load_settings
from hmis_schedule.web.origin import valid_host, valid_prefix


def make_app(**config: object) -> Any:
    return create_app(
        {"NOW": lambda: FROZEN, "HMIS_SCHEDULE": "", "HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": "",
         "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "", "HMIS_BASE_URL": "", **config}
    )  # fmt: skip


DIRECT = make_app()
PROXY = make_app(HMIS_TRUST_PROXY="1")
PREFIXED = make_app(HMIS_TRUST_PROXY="1", HMIS_TRUST_PROXY_PREFIX="1")
FIXED = make_app(HMIS_BASE_URL="https://training.example.org/hmis", HMIS_TRUST_PROXY="1")

LABELS = st.from_regex(r"[A-Za-z0-9-]{1,63}", fullmatch=True)


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"#?][^"]*)"', html)


# -- what a valid host is ---------------------------------------------------------------------------


@given(labels=st.lists(LABELS, min_size=1, max_size=4), port=st.none() | st.integers(1, 65535))
def test_hostnames_of_short_labels_with_a_port_are_valid(labels: list[str], port: int | None) -> None:
    host = ".".join(labels)
    assert valid_host(host if port is None else f"{host}:{port}") == (len(host) <= 253)


@given(address=st.ip_addresses(), port=st.none() | st.integers(1, 65535))
def test_ip_addresses_are_valid_ipv6_in_brackets(address: Any, port: int | None) -> None:
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    assert valid_host(host if port is None else f"{host}:{port}")
    if isinstance(address, ipaddress.IPv6Address):
        assert not valid_host(str(address))


@pytest.mark.parametrize(
    "host",
    ["", "a" * 64, "a" * 64 + ".example", "a/b", "x@y", ":99999", "x:0", "x:65536", "x:01", "x:", ":80", "a..b",
     "a.", ".a", "ex ample", "bücher.example", "[::1", "[::1]x", "[::1]:", "[fe80::1%eth0]", "[1.2.3.4]",
     "[::1]:99999", "x:8o", "x:+80", "a_b.example", "a\tb", ".".join(["a" * 63] * 4) + ".ab"],
)  # fmt: skip
def test_malformed_hosts_are_not_valid(host: str) -> None:
    assert not valid_host(host)


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [("/hmis", True), ("/a/b-c_d.e~f/", True), ("", False), ("/", False), ("//evil.example", False),
     ("/a//b", False), ("/./a", False), ("/a/..", False), ("hmis", False), ("/a b", False), ("/a%2F", False),
     ("/a\\b", False), ("/a?b", False), ("/a#b", False)],
)  # fmt: skip
def test_a_prefix_is_a_plain_path_never_another_origin(prefix: str, valid: bool) -> None:
    assert valid_prefix(prefix) is valid


# -- settings ---------------------------------------------------------------------------------------


def test_the_prefix_is_believed_only_with_its_own_setting_and_the_proxy_trusted() -> None:
    assert not load_settings({"HMIS_TRUST_PROXY": "1"}, environ={}).trust_proxy_prefix
    assert load_settings({"HMIS_TRUST_PROXY": "1", "HMIS_TRUST_PROXY_PREFIX": "1"}, environ={}).trust_proxy_prefix
    with pytest.raises(ConfigError, match="HMIS_TRUST_PROXY_PREFIX: needs HMIS_TRUST_PROXY=1"):
        load_settings({"HMIS_TRUST_PROXY_PREFIX": "1"}, environ={})


@pytest.mark.parametrize(
    "url", ["https://x@y", "https://a/b//c", "https:///x", "https://x.org//evil.example", "https://x.org/a b",
            "https://x.org:99999", "https://" + "a" * 64 + ".org", "https://x.org/../y"],
)  # fmt: skip
def test_a_base_url_with_a_bad_host_or_path_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="HMIS_BASE_URL: expected"):
        load_settings({"HMIS_BASE_URL": url}, environ={})


# -- the proxy's headers ----------------------------------------------------------------------------


def test_without_trust_no_forwarded_header_changes_anything() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example", "X-Forwarded-Prefix": "/p"}
    html = DIRECT.test_client().get("/", headers=headers).get_data(as_text=True)
    assert "http://localhost/calendar.ics" in html
    assert "proxy.example" not in html and "/p/" not in html


def test_a_trusted_proxy_gives_scheme_and_host_but_not_the_prefix_unless_configured() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hmis.example.org", "X-Forwarded-Prefix": "/p"}
    html = PROXY.test_client().get("/", headers=headers).get_data(as_text=True)
    assert "https://hmis.example.org/calendar.ics" in html
    assert all(not link.startswith("/p/") for link in links(html))
    prefixed = PREFIXED.test_client().get("/", headers=headers).get_data(as_text=True)
    assert "https://hmis.example.org/p/calendar.ics" in prefixed
    assert {link.split("/")[1] for link in links(prefixed) if link.startswith("/")} == {"p"}


def test_the_last_forwarded_value_counts_the_one_the_proxy_added() -> None:
    headers = {"X-Forwarded-Proto": "javascript, https", "X-Forwarded-Host": "evil.example, hmis.example.org"}
    html = PROXY.test_client().get("/", headers=headers).get_data(as_text=True)
    assert "https://hmis.example.org/calendar.ics" in html and "evil" not in html


@pytest.mark.parametrize(
    ("app", "header", "value", "says"),
    [(PROXY, "X-Forwarded-Proto", "javascript", "X-Forwarded-Proto: expected http or https."),
     (PROXY, "X-Forwarded-Proto", "https, ftp", "X-Forwarded-Proto: expected http or https."),
     (PROXY, "X-Forwarded-Host", "a/b", "X-Forwarded-Host: expected a host name"),
     (PROXY, "X-Forwarded-Host", "a" * 64 + ".example", "X-Forwarded-Host: expected a host name"),
     (PREFIXED, "X-Forwarded-Prefix", "//evil.example", "X-Forwarded-Prefix: expected a path"),
     (PREFIXED, "X-Forwarded-Prefix", "/a/../b", "X-Forwarded-Prefix: expected a path")],
)  # fmt: skip
def test_a_malformed_believed_header_is_a_400_naming_it(app: Any, header: str, value: str, says: str) -> None:
    for path in ("/", "/calendar.ics", "/api/sessions.json"):
        response = app.test_client().get(path, environ_overrides={"HTTP_" + header.upper().replace("-", "_"): value})
        assert response.status_code == 400
        assert response.get_data(as_text=True).startswith(f"400 Bad Request\n{says}")
        assert value not in response.get_data(as_text=True)


def test_an_unbelieved_prefix_and_port_are_ignored_even_when_malformed() -> None:
    response = PROXY.test_client().get("/", headers={"X-Forwarded-Prefix": "//evil.example", "X-Forwarded-Port": "x"})
    assert response.status_code == 200 and b"evil" not in response.data


def test_forwarded_for_becomes_the_client_address_only_when_it_is_one() -> None:
    seen: list[str] = []
    app = make_app(HMIS_TRUST_PROXY="1")

    @app.before_request
    def remember() -> None:
        from flask import request

        seen.append(str(request.remote_addr))

    client = app.test_client()
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
    client.get("/healthz", headers={"X-Forwarded-For": "<script>"})
    assert seen == ["10.0.0.1", "127.0.0.1"]


# -- what pages vary on, and what the caches keep -----------------------------------------------------


@pytest.mark.parametrize(
    ("app", "vary"),
    [(DIRECT, "Host"), (PROXY, "Host, X-Forwarded-Host, X-Forwarded-Proto"),
     (PREFIXED, "Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Prefix"), (FIXED, None)],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/", "/calendar.ics", "/api/sessions.json", "/openapi.json", "/api/next.json"])
def test_answers_vary_on_the_headers_their_links_come_from(app: Any, vary: str | None, path: str) -> None:
    client = app.test_client()
    for _ in range(2):  # the second answer of a warm feed is replayed by the middleware
        found = client.get(path).headers.get("Vary")
        expected = ", ".join(v for v in (vary, "Accept-Language" if path == "/" else None) if v) or None
        assert found == expected


def test_with_a_base_url_no_request_header_changes_a_byte() -> None:
    client = FIXED.test_client()
    for path in ("/", "/embed", "/calendar.ics", "/api/sessions.json", "/openapi.json", "/no-such-page"):
        plain = client.get(path)
        hostile = client.get(path, headers={"Host": "evil.example:8443", "X-Forwarded-Proto": "http",
                                            "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"})  # fmt: skip
        assert plain.status_code == hostile.status_code
        assert plain.data == hostile.data, path
        assert b"evil" not in hostile.data
    html = client.get("/").get_data(as_text=True)
    assert {link.split("/")[1] for link in links(html) if link.startswith("/")} == {"hmis"}
    assert "/hmis/static/site.css?v=" in html and '/hmis/openapi.json"' in html and '/hmis/embed"' in html


def test_the_warm_feed_cache_keeps_one_answer_per_origin_unless_the_base_url_is_fixed() -> None:
    for app, hosts, expected in ((DIRECT, ("a.example", "b.example"), 2), (FIXED, ("a.example", "b.example"), 1)):
        client = app.test_client()
        for host in hosts:
            body = client.get("/calendar/online.ics", headers={"Host": host}).data
            assert (host.encode() in body) is (app is DIRECT)
        feeds = next(m for m in _middlewares(app) if type(m).__name__ == "FeedResponses")
        assert sum(1 for key in feeds._items.held() if key[0] == "/calendar/online.ics") == expected


def _middlewares(app: Any) -> list[Any]:
    found, current = [], app.wsgi_app
    while hasattr(current, "app"):
        found.append(current)
        current = current.app
    return found


# -- error pages and failures -------------------------------------------------------------------------


def test_the_error_page_links_home_from_the_request_root_or_the_base_url() -> None:
    html = PREFIXED.test_client().get("/nope", headers={"X-Forwarded-Prefix": "/p"}).get_data(as_text=True)
    assert links(html).count("/p/") == 2
    html = FIXED.test_client().get("/nope").get_data(as_text=True)
    assert links(html).count("/hmis/") == 2


def test_a_failing_error_page_answers_in_plain_text_and_logs_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hmis_schedule.web import errors

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr(errors, "render_template", broken)
    client = make_app().test_client()
    with caplog.at_level(logging.INFO):
        answers = [client.get("/nope") for _ in range(5)]
    assert {a.status_code for a in answers} == {404}
    assert answers[0].mimetype == "text/plain" and answers[0].data.startswith(b"404 Not Found\n")
    failures = [r for r in caplog.records if "template broke" in r.getMessage()]
    assert len(failures) == 5
    assert all("\n" not in r.getMessage() for r in failures)
    assert sum(r.exc_info is not None for r in failures) <= 1  # a traceback once per place, not per request


def test_an_error_in_an_error_handler_is_logged_in_one_line_not_flasks_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hmis_schedule.web import errors

    calls = iter([True])

    def kind() -> str:
        if next(calls, False):
            raise RuntimeError("error handler broke")
        return "text"

    monkeypatch.setattr(errors, "_kind", kind)
    monkeypatch.setattr("hmis_schedule.feed.render_feed", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.INFO):
        response = make_app().test_client().get("/calendar/in-person.ics?lang=es")
    assert response.status_code == 500
    assert "Exception on" not in caplog.text
    assert any("error handler broke" in r.getMessage() and "\n" not in r.getMessage() for r in caplog.records)


# -- gunicorn -----------------------------------------------------------------------------------------


def test_gunicorn_believes_no_forwarded_header_itself() -> None:
    assert gunicorn_config.forwarded_allow_ips == ""
    assert gunicorn_config.secure_scheme_headers == {}
    assert gunicorn_config.forwarder_headers == ""


class _Listener:
    def __init__(self, address: object) -> None:
        self.address = address

    def getsockname(self) -> object:
        return self.address


class _Server:
    def __init__(self, base_url: str, *addresses: object) -> None:
        self.LISTENERS = [_Listener(a) for a in addresses]
        self.app = type("App", (), {"callable": make_app(HMIS_BASE_URL=base_url)})()
        self.warnings: list[str] = []
        self.log = self

    def warning(self, message: str, *args: object) -> None:
        self.warnings.append(message % args)


@pytest.mark.parametrize(
    ("base_url", "addresses", "warned"),
    [("", [("0.0.0.0", 8000)], True), ("", [("127.0.0.1", 8000), ("::1", 8000, 0, 0)], False),
     ("", ["/run/hmis.sock"], False), ("", [("192.0.2.1", 80)], True), (BASE, [("0.0.0.0", 8000)], False)],
)  # fmt: skip
def test_gunicorn_warns_once_when_links_come_from_hosts_beyond_this_machine(
    base_url: str, addresses: list[object], warned: bool
) -> None:
    server = _Server(base_url, *addresses)
    gunicorn_config.when_ready(server)
    assert len(server.warnings) == int(warned)
    if warned:
        assert "HMIS_BASE_URL is not set" in server.warnings[0]
