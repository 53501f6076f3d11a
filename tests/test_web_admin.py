"""The admin pages as an administrator uses them: sign in and out, the start page, private links by form.

The library is the oracle: a link issued by the page is checked by serving
its private feed (it carries the join link); the accounts and sessions are
read back from the state file.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from admin_support import PASSWORD, Site, cheap_hashes, post, sign_in, token
from support import BASE, FROZEN, MARKER

from hmis_schedule import clackamas
from hmis_schedule.invitation import invitation
from hmis_schedule.state import add_admin, load_state

__all__ = ["cheap_hashes"]  # autouse: every test here hashes with small parameters


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def test_the_start_page_after_signing_in(site: Site) -> None:
    client = site.client()
    first = client.get("/admin")
    assert first.status_code == 303 and first.headers["Location"] == "/admin/sign-in"
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Signed in as alice" in text and "/admin/links" in text
    assert len(load_state(site.state).admins.named("alice").sessions) == 1


def test_names_are_matched_without_regard_to_case(site: Site) -> None:
    assert sign_in(site.client(), "ALICE", PASSWORD).status_code == 303


def test_signing_out_ends_the_session_in_the_state_file(site: Site) -> None:
    client = site.signed_in()
    response = post(client, "/admin/sign-out", {}, form="/admin")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sign-in?signed-out=1"
    assert load_state(site.state).admins.named("alice").sessions == ()
    assert "You are signed out." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/admin").status_code == 303


def test_a_signed_in_browser_is_sent_from_the_sign_in_form_to_the_start_page(site: Site) -> None:
    client = site.signed_in()
    assert client.get("/admin/sign-in").headers["Location"] == "/admin"


def test_an_account_added_while_serving_works_without_a_restart(tmp_path: Path) -> None:
    site = Site(tmp_path, accounts=False)
    assert site.client().get("/admin/sign-in").status_code == 404
    add_admin(site.state, "carol", PASSWORD, now=FROZEN.astimezone(UTC))
    assert sign_in(site.client(), "carol", PASSWORD).status_code == 303


def _issue(client: object, label: str, days: str = "30") -> tuple[int, str]:
    response = post(client, "/admin/links", {"label": label, "days": days})  # type: ignore[arg-type]
    return response.status_code, response.get_data(as_text=True)


def test_a_private_link_made_by_form_serves_the_join_link(site: Site) -> None:
    client = site.signed_in()
    status, text = _issue(client, "alice@agency.example.org", "30")
    assert status == 200
    url = unescape(re.search(r'id="private-url" type="text" readonly value="([^"]+)"', text).group(1))
    assert url.startswith(BASE + "/private/") and url.endswith("/calendar.ics")
    feed = site.app.test_client().get(urlsplit(url).path)
    assert feed.status_code == 200 and MARKER.encode() in feed.get_data().replace(b"\r\n ", b"")
    assert 'data-copy="private-url"' in text  # the copy button (shown by copy.js)
    expires = (FROZEN.astimezone(UTC) + timedelta(days=30)).date()
    assert f"{expires:%B} {expires.day}, {expires.year}" in text


def test_the_email_holds_the_link_the_next_online_session_and_the_reminder(site: Site) -> None:
    client = site.signed_in()
    _, text = _issue(client, "alice@agency.example.org")
    url = unescape(re.search(r'id="private-url" type="text" readonly value="([^"]+)"', text).group(1))
    mailto = unescape(re.search(r'href="(mailto:[^"]+)"', text).group(1))
    assert mailto.startswith("mailto:alice@agency.example.org?subject=")
    body = unquote(mailto.split("&body=", 1)[1]).replace("\r\n", "\n")
    _subject, expected = invitation(
        clackamas(), link=url, expires=FROZEN.astimezone(UTC) + timedelta(days=30), now=FROZEN
    )
    assert body == expected
    session = clackamas().next_session(FROZEN, modality="online")
    assert url in body and f"{session.start:%B} {session.start.day}, {session.start.year}" in body
    assert "pass the quiz" in body


@pytest.mark.parametrize(
    ("label", "days", "message"),
    [
        ("", "30", "Label: must not be empty"),
        ("two\nlines", "30", "Label: must be printable"),
        ("x" * 101, "30", "Label: too long"),
        ("Alice", "0", "Days: a whole number from 1 to 3650"),
        ("Alice", "3651", "Days: a whole number from 1 to 3650"),
        ("Alice", "soon", "Days: a whole number from 1 to 3650"),
    ],
)
def test_a_bad_label_or_lifetime_is_refused_naming_the_field(site: Site, label: str, days: str, message: str) -> None:
    status, text = _issue(site.signed_in(), label, days)
    assert status == 400
    assert message in unescape(text)
    assert "/private/" not in text


def test_without_private_feeds_the_page_says_how_to_set_them_up(tmp_path: Path) -> None:
    site = Site(tmp_path, HMIS_TEAMS_URL="")
    client = site.signed_in()
    text = client.get("/admin/links").get_data(as_text=True)
    assert "Private links are off" in text and "HMIS_TEAMS_URL" in text
    response = client.post("/admin/links", data={"label": "Alice", "days": "30", "csrf_token": token(client, "/admin")})
    assert response.status_code == 409 and "/private/" not in response.get_data(as_text=True)
