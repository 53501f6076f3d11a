"""The admin pages attacked: no session, no or someone else's CSRF token, stolen cookies, guessing, markup, leaks.

Each attack is made the way a client would make it, through the app's WSGI
stack (the middleware included), and its effect is checked on the files:
a refused request leaves the schedule and state files byte for byte as they
were. Time is moved by the app's ``NOW``, never by sleeping.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from admin_support import OTHER_PASSWORD, PASSWORD, Site, cheap_hashes, post, sign_in, token, without_tokens
from flask.testing import FlaskClient

from hmis_schedule.state import load_state

__all__ = ["cheap_hashes"]  # autouse: every test here hashes with small parameters


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def _admin_routes(site: Site) -> list[tuple[str, str]]:
    """Every (method, path) the admin blueprint answers, from the app's own URL map."""
    found = []
    for rule in site.app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                path = re.sub(r"<[^>]+>", "x", rule.rule)
                found.append((method, path))
    return found


def test_the_admin_routes_are_known(site: Site) -> None:
    routes = _admin_routes(site)
    assert ("GET", "/admin") in routes and ("POST", "/admin/sign-in") in routes and ("POST", "/admin/links") in routes


def test_without_a_session_every_get_is_sent_to_sign_in_and_every_post_is_403(site: Site) -> None:
    before = site.files()
    for method, path in _admin_routes(site):
        if path == "/admin/sign-in":
            continue
        client = site.client()
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 303 and response.headers["Location"] == "/admin/sign-in", path
        else:
            with_token = client.post(path, data={"csrf_token": token(client), "label": "x", "days": "1"})
            bare = site.client().post(path, data={"label": "x", "days": "1"})
            assert with_token.status_code == bare.status_code == 403, path
    assert site.files() == before


@pytest.mark.parametrize("kind", ["missing", "wrong", "another session's", "from before sign-in"])
def test_a_post_without_this_sessions_csrf_token_is_refused_and_changes_nothing(site: Site, kind: str) -> None:
    client = site.signed_in()
    other = site.signed_in("bob", OTHER_PASSWORD, address="192.0.2.99")
    anonymous = site.client()
    tokens = {
        "missing": None,
        "wrong": "ImFiYyI.aw_8JQ.yFDf5lILhVv3XleIBeCVHLY2BbE",
        "another session's": token(other, "/admin"),
        "from before sign-in": token(anonymous),
    }
    before = site.files()
    for method, path in _admin_routes(site):
        if method != "POST":
            continue
        data = {"label": "Mallory", "days": "30", "name": "alice", "password": PASSWORD}
        if tokens[kind] is not None:
            data["csrf_token"] = tokens[kind]
        response = client.post(path, data=data)
        assert response.status_code == 403, (path, response.status_code)
        assert "/private/" not in response.get_data(as_text=True)
    assert site.files() == before
    assert client.get("/admin").status_code == 200  # still signed in: nothing was done


def test_a_token_from_before_sign_in_does_not_work_after_it(site: Site) -> None:
    client = site.client()
    old = token(client)
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    response = client.post("/admin/links", data={"label": "x", "days": "1", "csrf_token": old})
    assert response.status_code == 403


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("hmis_admin", path="/admin")
    assert cookie is not None
    return cookie.value


def _with_cookie(site: Site, value: str, address: str = "198.51.100.7") -> FlaskClient:
    thief = site.client(address)
    thief.set_cookie("hmis_admin", value, path="/admin")
    return thief


def test_a_stolen_cookie_is_refused_after_sign_out(site: Site) -> None:
    client = site.signed_in()
    stolen = _cookie(client)
    assert _with_cookie(site, stolen).get("/admin").status_code == 200  # a copy works like the original...
    post(client, "/admin/sign-out", {}, form="/admin")
    before = site.files()
    thief = _with_cookie(site, stolen)
    assert thief.get("/admin").status_code == 303  # ...until the owner signs out
    assert thief.get("/admin/links").status_code == 303
    assert _with_cookie(site, stolen).post("/admin/links", data={"label": "x", "days": "1"}).status_code == 403
    assert site.files() == before


def test_a_stolen_cookie_is_refused_after_the_idle_timeout(site: Site) -> None:
    client = site.signed_in()
    stolen = _cookie(client)
    site.clock.tick(minutes=29)
    assert client.get("/admin").status_code == 200  # the owner keeps working...
    site.clock.tick(minutes=2)
    assert client.get("/admin").status_code == 200
    assert _with_cookie(site, stolen).get("/admin").status_code == 303  # ...the copy is 31 minutes idle
    site.clock.tick(minutes=31)
    assert client.get("/admin").status_code == 303  # the owner idle for 31 minutes: signed out, on the server too
    assert load_state(site.state).admins.named("alice").sessions == ()


def test_the_idle_time_is_a_setting(tmp_path: Path) -> None:
    site = Site(tmp_path, HMIS_ADMIN_IDLE_MINUTES="5")
    client = site.signed_in()
    site.clock.tick(minutes=4)
    assert client.get("/admin").status_code == 200
    site.clock.tick(minutes=5, seconds=1)
    assert client.get("/admin").status_code == 303


def test_a_new_password_or_a_removed_account_ends_every_session(site: Site) -> None:
    from hmis_schedule.state import remove_admin, set_admin_password

    alice, bob = site.signed_in(), site.signed_in("bob", OTHER_PASSWORD)
    set_admin_password(site.state, "alice", "a third good password", now=site.clock().astimezone())
    remove_admin(site.state, "bob", now=site.clock().astimezone())
    assert alice.get("/admin").status_code == 303 and bob.get("/admin").status_code == 303


def test_a_forged_or_altered_cookie_is_refused(site: Site) -> None:
    client = site.signed_in()
    value = _cookie(client)
    payload, _, signature = value.partition(".")
    assert _with_cookie(site, payload + "." + signature[::-1]).get("/admin").status_code == 303
    from flask.sessions import SecureCookieSessionInterface

    forger = SecureCookieSessionInterface().get_signing_serializer(site.app)  # the app's key, wrong purpose
    assert forger is not None
    forged = forger.dumps({"name": "alice", "sid": "x", "seen": int(site.clock().timestamp())})
    assert _with_cookie(site, forged).get("/admin").status_code == 303


def _wrong(site: Site, client: FlaskClient, name: str = "alice") -> int:
    return int(sign_in(client, name, "not the password!").status_code)


def test_guessing_one_accounts_password_is_slowed_then_refused(site: Site) -> None:
    statuses = []
    for attempt in range(20):
        client = site.client(f"203.0.113.{attempt + 1}")  # a new address each time: the account is counted
        if attempt >= 3:
            assert _wrong(site, client) == 429  # too soon after the last failure: slowed
            site.clock.tick(seconds=31)
        statuses.append(_wrong(site, client))
    assert statuses == [200] * 20
    site.clock.tick(seconds=31)
    locked = sign_in(site.client("203.0.113.200"), "alice", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert sign_in(site.client("198.51.100.1"), "bob", OTHER_PASSWORD).status_code == 303  # another account
    site.clock.tick(minutes=16)
    assert sign_in(site.client("203.0.113.201"), "alice", PASSWORD).status_code == 303  # after a while


def test_guessing_from_one_address_is_slowed_then_refused(site: Site) -> None:
    for attempt in range(20):
        if attempt >= 3:
            site.clock.tick(seconds=31)
        assert _wrong(site, site.client("203.0.113.5"), f"user{attempt}") == 200  # a new name each time
    site.clock.tick(seconds=31)
    assert sign_in(site.client("203.0.113.5"), "bob", OTHER_PASSWORD).status_code == 429
    assert sign_in(site.client("198.51.100.1"), "bob", OTHER_PASSWORD).status_code == 303  # from elsewhere


def test_an_ipv6_client_is_counted_by_its_64_network(site: Site) -> None:
    for attempt in range(4):
        _wrong(site, site.client(f"2001:db8:1:2::{attempt + 1}"), f"user{attempt}")
    assert sign_in(site.client("2001:db8:1:2::ffff"), "bob", OTHER_PASSWORD).status_code == 429
    assert sign_in(site.client("2001:db8:1:3::1"), "bob", OTHER_PASSWORD).status_code == 303


def test_the_limiter_forgets_the_oldest_keys_beyond_its_bound() -> None:
    from hmis_schedule.web.auth import Limiter

    limiter = Limiter(keys=100)
    for n in range(1000):
        limiter.failed([f"address:{n}"], now=0.0)
    assert len(limiter) == 100


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    known = sign_in(site.client("192.0.2.1"), "alice", "not the password!")
    unknown = sign_in(site.client("192.0.2.2"), "mallory", "not the password!")
    invalid = sign_in(site.client("192.0.2.3"), "<b>mallory</b>", "not the password!")
    assert known.status_code == unknown.status_code == invalid.status_code == 200
    bodies = [without_tokens(r.get_data()) for r in (known, unknown, invalid)]
    assert bodies[0].replace(b"alice", b"NAME") == bodies[1].replace(b"mallory", b"NAME")
    assert b"<b>" not in bodies[2] and b"&lt;b&gt;mallory" in bodies[2]
    varying = {"Set-Cookie", "Content-Length"}  # the session's cookie; the name typed is shown back
    assert {k: v for k, v in known.headers if k not in varying} == {k: v for k, v in unknown.headers if k not in varying}


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_label_with_markup_is_shown_escaped(site: Site) -> None:
    client = site.signed_in()
    response = post(client, "/admin/links", {"label": HOSTILE, "days": "30"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HOSTILE not in text and "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def _set_cookie(response: object) -> str:
    found = [v for k, v in response.headers if k == "Set-Cookie" and v.startswith("hmis_admin=")]  # type: ignore[attr-defined]
    assert found
    return str(found[-1])


@pytest.mark.parametrize(
    ("config", "headers", "secure"),
    [
        ({"HMIS_BASE_URL": "https://hmis.example.org"}, {}, True),
        ({"HMIS_BASE_URL": ""}, {}, False),
        ({"HMIS_BASE_URL": "", "HMIS_TRUST_PROXY": "1"}, {"X-Forwarded-Proto": "https"}, True),
        ({"HMIS_BASE_URL": ""}, {"X-Forwarded-Proto": "https"}, False),  # not believed without trust
    ],
)
def test_the_session_cookies_flags(tmp_path: Path, config: dict[str, str], headers: dict[str, str], secure: bool) -> None:
    site = Site(tmp_path, **config)
    client = site.client()
    form = client.get("/admin/sign-in", headers=headers)
    found = _TOKEN_RE.search(form.get_data(as_text=True))
    assert found
    response = client.post(
        "/admin/sign-in", headers={**headers, "Referer": "https://localhost/admin/sign-in"},
        data={"name": "alice", "password": PASSWORD, "csrf_token": found.group(1)},
    )  # fmt: skip
    for cookie in (_set_cookie(form), _set_cookie(response)):
        parts = [p.strip() for p in cookie.split(";")]
        assert "HttpOnly" in parts and "SameSite=Strict" in parts and "Path=/admin" in parts
        assert ("Secure" in parts) is secure
        assert not any(p.lower().startswith(("domain=", "expires=", "max-age=")) for p in parts)
    assert response.status_code == 303
    assert _set_cookie(form).split(";")[0] != _set_cookie(response).split(";")[0]  # a new session at sign-in


_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_admin_answers_are_not_stored_framed_or_indexed(site: Site) -> None:
    client = site.signed_in()
    for path in ("/admin", "/admin/links", "/admin/sign-in"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Referrer-Policy"] == "same-origin"
        body = response.get_data(as_text=True)
        assert '<meta name="robots" content="noindex, nofollow">' in body
        assert "style=" not in body and not re.search(r"<script(?![^>]*\bsrc=)", body)


def test_no_password_or_hash_in_any_answer_or_log_line(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    hashes = [a.hash for a in load_state(site.state).admins]
    caplog.set_level(logging.DEBUG)
    answers = []
    client = site.client()
    answers.append(sign_in(client, "alice", "not the password!"))
    answers.append(sign_in(client, "nobody", PASSWORD))
    answers.append(sign_in(client, "alice", PASSWORD))
    for path in ("/admin", "/admin/links", "/healthz", "/", "/api/sessions.json"):
        answers.append(client.get(path))
    answers.append(post(client, "/admin/links", {"label": "Alice", "days": "30"}))
    answers.append(post(client, "/admin/sign-out", {}, form="/admin"))
    secrets = [PASSWORD, "not the password!", *hashes, "$argon2"]
    for answer in answers:
        seen = answer.get_data(as_text=True) + str(answer.headers)
        assert not any(s in seen for s in secrets)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(s in logged for s in secrets)


@pytest.mark.parametrize(
    "config",
    [
        {"HMIS_SCHEDULE": ""},  # the built-in schedule is read-only
        {"HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": ""},  # no key to sign the cookie with
    ],
)
def test_the_admin_pages_are_off_unless_set_up(tmp_path: Path, config: dict[str, str]) -> None:
    site = Site(tmp_path, **config)
    client = site.client()
    for path in ("/admin", "/admin/sign-in", "/admin/links"):
        assert client.get(path).status_code == 404
    assert client.post("/admin/sign-in", data={"name": "alice", "password": PASSWORD}).status_code == 404
    assert client.get_cookie("hmis_admin", path="/admin") is None


def test_without_an_account_the_admin_pages_are_404(tmp_path: Path) -> None:
    site = Site(tmp_path, accounts=False)
    client = site.client()
    assert client.get("/admin").status_code == 404
    assert client.get("/admin/sign-in").status_code == 404
    assert client.post("/admin/sign-in", data={}).status_code == 404


def test_public_routes_neither_read_nor_set_the_admin_cookie(site: Site) -> None:
    client = site.signed_in()
    for path in ("/", "/embed", "/calendar.ics", "/api/sessions.json"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")


def test_reasons_and_notes_with_markup_are_escaped_everywhere(site: Site) -> None:
    client = site.signed_in()
    version = re.compile(r'name="version" value="([0-9a-f]{64})"')
    edits = [
        {"action": "close", "day": "2026-12-21", "reason": HOSTILE},
        {"action": "move", "slot": "first-monday", "day": "2027-01-04", "notes": HOSTILE},
    ]
    for fields in edits:
        preview = post(client, "/admin/preview", fields, form="/admin/sessions")
        assert preview.status_code == 200 and "<script>alert" not in preview.get_data(as_text=True)
        found = version.search(preview.get_data(as_text=True))
        assert found
        done = post(client, "/admin/confirm", {**fields, "version": found.group(1)}, form="/admin/sessions")
        assert done.status_code == 303, done.get_data(as_text=True)
        shown = client.get(done.headers["Location"])
        assert shown.status_code == 200 and "<script>alert" not in shown.get_data(as_text=True)
    public = site.app.test_client()
    pages = [client.get(p) for p in ("/admin/sessions", "/admin/audit", "/admin/sessions/first-monday/2027-01-04")]
    pages += [public.get(p) for p in ("/", "/embed", "/?lang=es")]
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in text and "<img src=x" not in text, page.request.path
        if page.request.path != "/embed":  # the widget shows no reasons or notes
            assert "&lt;script&gt;alert(" in text, page.request.path
    feed = public.get("/calendar.ics").get_data(as_text=True).replace("\r\n ", "")
    assert 'alert("x")' in feed and "text/calendar" in public.get("/calendar.ics").content_type  # text, never HTML
    api = public.get("/api/sessions.json?from=2026-12-21&to=2027-01-04").get_json()
    assert HOSTILE in [s["reason"] for s in api["sessions"]] and HOSTILE in [s["notes"] for s in api["sessions"]]


def test_a_state_file_that_cannot_be_written_is_a_503_never_a_500(site: Site) -> None:
    client = site.client()
    form = token(client)
    site.state.chmod(0o400)  # read-only: the sign-in cannot be recorded
    try:
        response = client.post("/admin/sign-in", data={"name": "alice", "password": PASSWORD, "csrf_token": form})
    finally:
        site.state.chmod(0o600)
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "Not saved" in text and "Nothing was changed" in text and str(site.state) not in text
    assert client.get("/admin").status_code == 303  # not signed in


def test_the_idle_time_setting_is_checked() -> None:
    from hmis_schedule.web.settings import ConfigError, load_settings

    assert load_settings({"HMIS_ADMIN_IDLE_MINUTES": "45"}, environ={}).admin_idle_minutes == 45
    for bad in ("0", "1441", "soon", "1.5"):
        with pytest.raises(ConfigError, match="HMIS_ADMIN_IDLE_MINUTES: expected whole minutes from 1 to 1440"):
            load_settings({"HMIS_ADMIN_IDLE_MINUTES": bad}, environ={})
