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
from hmis_schedule.audit import audit_path, read
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
        ("", "30", "For whom: must not be empty"),
        ("two\nlines", "30", "For whom: must be printable"),
        ("x" * 101, "30", "For whom: too long"),
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


# -- edits with a preview ---------------------------------------------------------------------------

_VERSION = re.compile(r'name="version" value="([0-9a-f]{64})"')


def _preview(client: object, fields: dict[str, str]) -> tuple[int, str]:
    response = post(client, "/admin/preview", fields, form="/admin/sessions")  # type: ignore[arg-type]
    return response.status_code, response.get_data(as_text=True)


def _confirm(client: object, fields: dict[str, str], version: str) -> tuple[int, str]:
    """Confirm; a 303 (saved) is followed to the page it names, as a browser does: its text is returned."""
    response = post(client, "/admin/confirm", {**fields, "version": version}, form="/admin/sessions")  # type: ignore[arg-type]
    if response.status_code == 303:
        assert response.headers["Location"] == "/admin/done"
        shown = client.get("/admin/done")  # type: ignore[attr-defined]
        assert shown.status_code == 200
        return 303, shown.get_data(as_text=True)
    return response.status_code, response.get_data(as_text=True)


def _session(site: Site, slot: str, day: str) -> object:
    from datetime import date

    from hmis_schedule.files import load_schedule
    from hmis_schedule.web.admin_edits import session_of

    return session_of(load_schedule(site.schedule), slot, date.fromisoformat(day))


def test_closing_a_day_is_previewed_then_written_by_the_library_and_recorded(site: Site) -> None:
    from hmis_schedule import edit as editing

    client = site.signed_in()
    fields = {"action": "close", "day": "2027-01-18", "reason": "County training day"}
    before = site.schedule.read_bytes()
    status, text = _preview(client, fields)
    assert status == 200 and site.schedule.read_bytes() == before  # a preview writes nothing
    expected = editing.close(site.schedule, date_(2027, 1, 18), reason="County training day", now=FROZEN, dry_run=True)
    assert [unescape(li) for li in re.findall(r"<li>(.*?)</li>", text.split('class="changes">')[1].split("</ul>")[0])] == [
        c.describe("en") for c in expected.changes
    ]
    version = _VERSION.search(text).group(1)
    assert version == editing.file_version(site.schedule)
    status, text = _confirm(client, fields, version)
    assert status == 303 and "Saved" in text
    session = _session(site, "third-monday", "2027-01-18")
    assert session.cancelled and session.reason == "County training day"  # type: ignore[attr-defined]
    entry = read(audit_path(site.state)).entries[0]
    assert entry.actor == "admin:alice" and entry.action == "close"
    public = site.app.test_client().get("/api/sessions.json?from=2027-01-18&to=2027-01-18").get_json()
    assert [s["status"] for s in public["sessions"]] == ["cancelled"]


def date_(*parts: int) -> object:
    from datetime import date

    return date(*parts)


def test_a_change_between_preview_and_confirm_is_refused(site: Site) -> None:
    from hmis_schedule import edit as editing

    client = site.signed_in()
    fields = {"action": "cancel", "slot": "second-monday", "day": "2027-02-08", "reason": "Trainer out"}
    _, text = _preview(client, fields)
    version = _VERSION.search(text).group(1)
    editing.close(site.schedule, date_(2027, 3, 15), reason="Another edit", now=FROZEN)  # type: ignore[arg-type]
    changed = site.schedule.read_bytes()
    status, text = _confirm(client, fields, version)
    assert status == 409 and "changed after the preview" in unescape(text)
    assert site.schedule.read_bytes() == changed
    assert _VERSION.search(text).group(1) == editing.file_version(site.schedule)  # a new preview to confirm


def test_a_past_session_needs_the_confirmation_box(site: Site) -> None:
    client = site.signed_in()
    fields = {"action": "cancel", "slot": "first-monday", "day": "2026-11-02", "reason": "Old"}
    before = site.schedule.read_bytes()
    status, text = _preview(client, fields)
    assert status == 409 and 'name="allow_past" type="checkbox"' in text and "Change the past" in text
    assert "_VERSION" not in text and not _VERSION.search(text)
    status, text = _confirm(client, fields, "0" * 64)
    assert status == 409 and site.schedule.read_bytes() == before
    status, text = _preview(client, {**fields, "allow_past": "1"})
    assert status == 200
    status, _ = _confirm(client, {**fields, "allow_past": "1"}, _VERSION.search(text).group(1))
    assert status == 303 and _session(site, "first-monday", "2026-11-02").cancelled  # type: ignore[attr-defined]


def test_an_added_session_that_overlaps_needs_the_confirmation_box(site: Site) -> None:
    client = site.signed_in()
    fields = {"action": "add-session", "slot": "extra-1", "day": "2027-01-04", "start": "10:00", "end": "11:00",
              "modality": "online", "location": "Microsoft Teams"}  # fmt: skip
    status, text = _preview(client, fields)
    assert status == 409 and 'name="allow_overlap"' in text
    status, text = _preview(client, {**fields, "allow_overlap": "1"})
    assert status == 200 and "2027-01-04" in text
    status, _ = _confirm(client, {**fields, "allow_overlap": "1"}, _VERSION.search(text).group(1))
    assert status == 303 and _session(site, "extra-1", "2027-01-04").start.hour == 10  # type: ignore[attr-defined]


def test_moving_a_session_passes_only_the_fields_that_changed(site: Site) -> None:
    client = site.signed_in()
    page = client.get("/admin/sessions/second-monday/2027-02-08").get_data(as_text=True)
    assert 'type="date"' in page and 'type="time"' in page and "America/Los_Angeles" in page
    fields = {"action": "move", "slot": "second-monday", "day": "2027-02-08", "to_date": "2027-02-09",
              "start": "13:00", "end": "16:00", "modality": "in_person",
              "location": "2051 Kaen Road, Oregon City, OR 97045", "room": "PSB 301", "notes": "Bring ID"}  # fmt: skip
    status, text = _preview(client, fields)
    assert status == 200, unescape(text)
    _confirm(client, fields, _VERSION.search(text).group(1))
    moved = _session(site, "second-monday", "2027-02-08")
    assert moved.day.isoformat() == "2027-02-09" and moved.room == "PSB 301" and moved.notes == "Bring ID"  # type: ignore[attr-defined]
    text = site.schedule.read_text(encoding="utf-8")
    assert "start" not in text.split("[[changes]]")[-1].split("\n\n")[0]  # unchanged fields are not written


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "close", "day": "2027-13-01", "reason": "x"}, "Date: expected a date such as 2027-03-15"),
        ({"action": "close", "day": "2027-03-15"}, "Reason: is required"),
        ({"action": "explode", "day": "2027-03-15"}, "Edit: unknown edit"),
        ({"action": "add-session", "slot": "Bad Id", "day": "2027-03-15", "start": "09:00", "end": "10:00",
          "modality": "online"}, "Session: use 1 to 63 lowercase letters"),
        ({"action": "add-session", "slot": "x", "day": "2027-03-15", "start": "9am", "end": "10:00",
          "modality": "online"}, "Start: expected a 24-hour time"),
        ({"action": "cancel", "slot": "nope", "day": "2027-03-15", "reason": "x"}, "no slot or extra session"),
    ],
)
def test_a_bad_form_names_the_field_and_changes_nothing(site: Site, fields: dict[str, str], message: str) -> None:
    client = site.signed_in()
    before = site.files()
    status, text = _preview(client, fields)
    assert status in (400, 409) and message in unescape(text)
    assert site.files() == before


def test_the_audit_log_page_shows_who_when_and_what_newest_first(site: Site) -> None:
    client = site.signed_in()
    for day in ("2027-03-15", "2027-03-22"):
        fields = {"action": "close", "day": day, "reason": f"Closed {day}"}
        _, text = _preview(client, fields)
        _confirm(client, fields, _VERSION.search(text).group(1))
    page = client.get("/admin/audit").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", page, re.S)
    assert [(who, "2027-03-22" in what) for _, who, what in rows] == [("admin:alice", True), ("admin:alice", False)]
    assert "cancelled: Closed 2027-03-22" in page


def test_the_audit_log_is_paged(site: Site) -> None:
    from hmis_schedule.audit import AuditEntry, append, audit_path

    for n in range(120):
        append(audit_path(site.state), AuditEntry(at=FROZEN, actor="cli:maria", action="revoke", summary=f"entry {n}."))
    client = site.signed_in()
    first = client.get("/admin/audit").get_data(as_text=True)
    third = client.get("/admin/audit?page=3").get_data(as_text=True)
    assert "entry 119." in first and "entry 70." in first and "entry 69." not in first and "?page=2" in first
    assert "entry 19." in third and "entry 0." in third and "?page=4" not in third
    assert client.get("/admin/audit?page=999999").status_code == 200


def test_links_issued_are_listed_and_revoked_by_form(site: Site) -> None:
    client = site.signed_in()
    _, text = _issue(client, "Agency X - Bob")
    url = unescape(re.search(r'id="private-url" type="text" readonly value="([^"]+)"', text).group(1))
    page = client.get("/admin/links").get_data(as_text=True)
    assert "Agency X - Bob" in page and "works" in page and "/private/" not in page  # no token kept or shown
    response = post(client, "/admin/links/revoke", {"label": "Agency X - Bob"}, form="/admin/links")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/links#issued-links"
    shown = client.get("/admin/links").get_data(as_text=True)
    assert "revoked" in shown and "is turned off" in shown
    assert site.app.test_client().get(urlsplit(url).path).status_code == 404
    assert [e.action for e in read(audit_path(site.state)).entries] == ["revoke", "private-link"]


def test_the_admin_pages_speak_spanish_when_the_browser_asks(site: Site) -> None:
    client = site.signed_in()
    page = client.get("/admin/sessions", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Sesiones" in page and "Cerrar un día" in page
    wrong = sign_in(site.client("192.0.2.77"), "alice", "not the password!")
    assert "El nombre o la contraseña no son correctos." not in wrong.get_data(as_text=True)  # no Accept-Language
    es = site.client("192.0.2.78")
    response = es.post("/admin/sign-in", headers={"Accept-Language": "es"},
                       data={"name": "alice", "password": "nope nope nope", "csrf_token": token(es)})  # fmt: skip
    assert "El nombre o la contraseña no son correctos." in response.get_data(as_text=True)
