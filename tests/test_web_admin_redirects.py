"""Post/Redirect/Get on the admin pages: a POST that changed something answers 303 to a GET page with the outcome.

The outcome is shown once (it travels in the admin session); reloading the
page it redirected to writes nothing. Issuing a private link is answered by
the page itself (200, ``no-store``): the link is a secret that goes in no
URL and no cookie.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from admin_support import OTHER_PASSWORD, PASSWORD, Site, cheap_hashes, post, sign_in
from flask.testing import FlaskClient

from hmis_schedule import edit as editing
from hmis_schedule.audit import audit_path, read
from hmis_schedule.files import load_schedule
from hmis_schedule.web.admin_edits import session_of

__all__ = ["cheap_hashes"]  # autouse: every test here hashes with small parameters

_VERSION = re.compile(r'name="version" value="([0-9a-f]{64})"')


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def _written(site: Site) -> tuple[bytes, bytes, bytes]:
    """The schedule file, the state file and the audit log, byte for byte."""
    log = audit_path(site.state)
    return (*site.files(), log.read_bytes() if log.exists() else b"")


def _previewed(client: FlaskClient, fields: dict[str, str]) -> str:
    preview = post(client, "/admin/preview", fields, form="/admin/sessions")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    found = _VERSION.search(preview.get_data(as_text=True))
    assert found
    return found.group(1)


def test_confirm_answers_303_to_a_page_with_the_outcome_and_a_reload_writes_nothing(site: Site) -> None:
    client = site.signed_in()
    fields = {"action": "cancel", "slot": "second-monday", "day": "2027-02-08", "reason": "Trainer out"}
    version = _previewed(client, fields)
    expected = editing.cancel(site.schedule, "second-monday", date(2027, 2, 8), reason="Trainer out",
                              now=site.clock(), dry_run=True)  # fmt: skip
    response = post(client, "/admin/confirm", {**fields, "version": version}, form="/admin/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/done"
    assert session_of(load_schedule(site.schedule), "second-monday", date(2027, 2, 8)).cancelled
    written = _written(site)

    shown = client.get("/admin/done")
    text = unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and "<h1>Saved</h1>" in text
    entry = read(audit_path(site.state)).entries[0]
    assert entry.action == "cancel" and entry.summary in text  # the outcome the library recorded
    listed = re.findall(r"<li>(.*?)</li>", text.split('class="changes">')[1].split("</ul>")[0])
    assert listed == [c.describe("en") for c in expected.changes] and listed

    again = client.get("/admin/done")  # the reload: the outcome was shown once; nothing is written
    assert again.status_code == 303 and again.headers["Location"] == "/admin/sessions"
    assert _written(site) == written
    assert client.get("/admin/sessions").status_code == 200 and _written(site) == written


def test_the_outcome_is_this_sessions_only(site: Site) -> None:
    alice, bob = site.signed_in(), site.signed_in("bob", OTHER_PASSWORD, "192.0.2.11")
    fields = {"action": "close", "day": "2027-03-15", "reason": "Closed"}
    post(alice, "/admin/confirm", {**fields, "version": _previewed(alice, fields)}, form="/admin/sessions")
    assert bob.get("/admin/done").status_code == 303  # bob confirmed nothing
    assert alice.get("/admin/done").status_code == 200


def test_revoke_answers_303_to_the_links_page_with_the_notice_once(site: Site) -> None:
    client = site.signed_in()
    issued = post(client, "/admin/links", {"label": "Agency X - Bob", "days": "30"})
    url = re.search(r'id="private-url" type="text" readonly value="([^"]+)"', issued.get_data(as_text=True))
    assert url
    response = post(client, "/admin/links/revoke", {"label": "Agency X - Bob"}, form="/admin/links")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/links#issued-links"
    written = _written(site)
    assert [e.action for e in read(audit_path(site.state)).entries] == ["revoke", "private-link"]

    shown = unescape(client.get("/admin/links").get_data(as_text=True))
    assert "Every link made for “Agency X - Bob” up to now is turned off." in shown
    again = unescape(client.get("/admin/links").get_data(as_text=True))  # the reload
    assert "is turned off" not in again and "revoked" in again
    assert _written(site) == written
    assert site.app.test_client().get(urlsplit(unescape(url.group(1))).path).status_code == 404


def test_a_refused_revoke_is_answered_with_the_form_and_no_redirect(site: Site) -> None:
    client = site.signed_in()
    response = post(client, "/admin/links/revoke", {"label": ""}, form="/admin/links")
    assert response.status_code == 400 and "Not revoked" in response.get_data(as_text=True)


def test_a_new_link_is_answered_directly_never_through_a_url_or_the_cookie(site: Site) -> None:
    client = site.signed_in()
    response = post(client, "/admin/links", {"label": "alice@agency.example.org", "days": "30"})
    found = re.search(r"/private/([A-Za-z0-9_.-]+)/calendar\.ics", response.get_data(as_text=True))
    assert response.status_code == 200 and found and "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert found.group(1) not in cookies
    assert found.group(1) not in client.get("/admin/links").get_data(as_text=True)  # shown once, kept nowhere


def test_signing_in_and_out_answer_303(site: Site) -> None:
    client = site.client()
    assert sign_in(client, "alice", PASSWORD).headers["Location"] == "/admin"
    out = post(client, "/admin/sign-out", {}, form="/admin")
    assert out.status_code == 303 and out.headers["Location"] == "/admin/sign-in?signed-out=1"


def test_the_link_form_sent_again_makes_no_second_link(site: Site) -> None:
    client = site.signed_in()
    page = client.get("/admin/links").get_data(as_text=True)
    fields = {
        "label": "alice@agency.example.org",
        "days": "30",
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "form_id": re.search(r'name="form_id" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
    }
    first = client.post("/admin/links", data=fields)
    assert first.status_code == 200 and "/private/" in first.get_data(as_text=True)
    written = _written(site)
    # "Confirm Form Resubmission" answered yes, or Back and send again:
    again = client.post("/admin/links", data=fields)
    assert again.status_code == 303 and again.headers["Location"] == "/admin/links#issued-links"
    assert _written(site) == written
    assert [e.action for e in read(audit_path(site.state)).entries] == ["private-link"]
    shown = client.get("/admin/links").get_data(as_text=True)
    assert "no other link was made" in shown and "/private/" not in shown
    assert "no other link was made" not in client.get("/admin/links").get_data(as_text=True)  # once

    other = client.get("/admin/links").get_data(as_text=True)  # a new form: a new id, a new link
    assert re.search(r'name="form_id" value="([^"]+)"', other).group(1) != fields["form_id"]  # type: ignore[union-attr]
    assert post(client, "/admin/links", {"label": "bob", "days": "30"}).status_code == 200
    assert [e.action for e in read(audit_path(site.state)).entries] == ["private-link", "private-link"]


def test_the_longest_outcome_keeps_the_cookie_under_4_kb(site: Site) -> None:
    client = site.signed_in()
    # the longest reason a form takes, every character more than one byte, and hardly compressible
    reason = "".join(chr(0x100 + (n * 37) % 383) for n in range(500))
    fields = {"action": "close", "day": "2027-01-18", "reason": reason}
    version = _previewed(client, fields)
    response = post(client, "/admin/confirm", {**fields, "version": version}, form="/admin/sessions")
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("hmis_admin="))
    assert len(cookie.encode()) < 4093  # a browser drops a larger cookie (and with it the signed-in session)
    shown = client.get("/admin/done")
    assert shown.status_code == 200 and reason in unescape(shown.get_data(as_text=True))
