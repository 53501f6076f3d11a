"""The admin pages in a real browser: Debian's Chromium driven by Playwright, the app on 127.0.0.1.

- **Keyboard only** (Tab, Shift+Tab, Enter, Space; no mouse): sign in, go to
  the sessions, open a session, close its day, read the preview, confirm
  (answered by a redirect to the result, which a reload does not repeat);
  then the public page and the feed show the day cancelled (the app follows
  the file, with a small ``HMIS_RELOAD_SETTLE``).
- **A private link**: made by the form, copied with the copy button (the
  clipboard holds the link), served with the join link; revoked from the
  list, then refused; signing out, after which ``/admin`` is the sign-in page.
- **axe-core** finds no WCAG 2.1 A/AA violation on any admin page (sign-in,
  sign-in with its error, start, sessions, one session, preview, a refusal
  with its override check box, saved, private links with a link issued,
  audit log); the override is ticked with Space and previewed again. Screenshots go to ``test-output/browser/admin-*.png``;
  the preview's first screen as ``test-output/browser/admin-readme.png``, the
  README's ``docs/screenshots/admin.png`` when copied there by hand (a test never
  writes into the checkout).

Like ``test_browser.py``: skipped locally when Chromium, Playwright or
axe-core is missing, failed under ``CI``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from admin_support import CHEAP, PASSWORD, Site
from support import MARKER
from test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, OUTPUT, WCAG_TAGS, LiveServer, _require

from hmis_schedule import accounts

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]

SCREENSHOT = OUTPUT / "admin-readme.png"  # copied to docs/screenshots/admin.png for the README
DAY = "2026-12-21"  # the third Monday of December 2026, online, a few weeks after the tests' "now"
SLOT = "third-monday"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", CHEAP)
        yield Site(
            tmp_path_factory.mktemp("admin-browser"), HMIS_BASE_URL="", HMIS_RELOAD_INTERVAL="0.05",
            HMIS_RELOAD_SETTLE="0.2",
        )  # fmt: skip


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[LiveServer]:
    live = LiveServer(site.app)
    yield live
    live.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require(sync_playwright is not None, "Playwright for Python is not installed (pip install -e '.[test]')")
    _require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    _require(AXE.exists(), f"axe-core is not installed at {AXE} (npm ci --prefix tests/js)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _axe(page: Page, name: str) -> None:
    """No WCAG 2.1 A/AA violation on the page now; its screenshot saved as ``admin-<name>.png``."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUTPUT / f"admin-{name}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS
    )
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
    (OUTPUT / f"admin-{name}-axe.json").write_text(json.dumps(violations, indent=2) + "\n")
    assert violations == [], name
    assert {"html-has-lang", "document-title", "color-contrast"} <= {r["id"] for r in result["passes"]}, name


def _tab_to(page: Page, test: str, *, most: int = 80, back: bool = False) -> None:
    """Press Tab (Shift+Tab with ``back``) until the focused element passes the JS predicate ``test`` (on ``el``)."""
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({test}); }})()"):
            return
    pytest.fail(f"no focusable element where {test} within {most} presses of Tab on {page.url}")


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _eventually(check: Any, seconds: float = 10.0) -> None:
    """Wait (bounded) until ``check()`` is true: the server follows the file after its settle time."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not show the change in time"
        time.sleep(0.1)


def test_sign_in_and_close_a_day_with_the_keyboard_alone(browser: Browser, server: LiveServer, site: Site) -> None:
    origin = server.origin
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # axe is injected
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(origin + "/admin")
        assert page.url == origin + "/admin/sign-in"
        _axe(page, "sign-in")
        assert page.evaluate("document.activeElement.id") == "name"  # the form is ready to type in
        page.keyboard.type("alice")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(origin + "/admin")
        assert "Signed in as alice" in page.inner_text("header")
        _axe(page, "start")

        _tab_to(page, "el.getAttribute('href') === '/admin/sessions'")
        page.keyboard.press("Enter")
        page.wait_for_url(origin + "/admin/sessions")
        _axe(page, "sessions")
        _tab_to(page, f"(el.getAttribute('href') || '').endsWith('/admin/sessions/{SLOT}/{DAY}')")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{origin}/admin/sessions/{SLOT}/{DAY}")
        assert page.locator("input[type=date]").count() >= 1 and page.locator("input[type=time]").count() == 2
        assert "America/Los_Angeles" in page.inner_text("main")
        _axe(page, "session")

        _tab_to(page, "el.id === 'close-reason'")
        page.keyboard.type("County training day")
        page.keyboard.press("Enter")
        page.wait_for_url(origin + "/admin/preview")
        changes = page.locator("ul.changes li").all_inner_texts()
        assert changes == ["Mon 2026-12-21 09:00-12:00 online: cancelled (County training day)"]
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=False)
        _axe(page, "preview")
        assert "County training day" not in site.schedule.read_text(encoding="utf-8")  # nothing written yet

        _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Confirm'")
        page.keyboard.press("Space")
        page.wait_for_url(origin + "/admin/done")  # 303 after the POST: Back or reload sends no form again
        assert "Saved" in page.inner_text("h1")
        _axe(page, "saved")
        written = site.schedule.read_bytes()
        page.reload()  # no "Confirm Form Resubmission": the result was shown once, the reload writes nothing
        assert page.url == origin + "/admin/sessions" and site.schedule.read_bytes() == written

        def public_shows_it() -> bool:
            page.goto(origin + "/")
            return "County training day" in page.inner_text("main")

        _eventually(public_shows_it)
        status, feed = _fetch(origin + "/calendar.ics")
        events = feed.decode().replace("\r\n ", "").split("BEGIN:VEVENT")
        event = next(e for e in events if f"UID:{SLOT}-{DAY.replace('-', '')}@" in e)
        assert status == 200 and "STATUS:CANCELLED" in event and "County training day" in event
        page.goto(origin + "/admin/audit")
        assert "admin:alice" in page.inner_text("main") and "Closed Mon 2026-12-21" in page.inner_text("main")
        _axe(page, "audit")
        assert errors == []
    finally:
        context.close()


def test_issue_copy_and_revoke_a_private_link_then_sign_out(browser: Browser, server: LiveServer) -> None:
    origin = server.origin
    context = browser.new_context(
        bypass_csp=True, permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(origin + "/admin/sign-in")
        page.fill("#name", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(origin + "/admin")
        page.click("nav.admin-nav >> text=Private links")
        page.fill("#label", "alice@agency.example.org")
        page.fill("#days", "30")
        page.click("text=Make the link")
        link = page.input_value("#private-url")
        assert re.fullmatch(re.escape(origin) + r"/private/[A-Za-z0-9_.-]+/calendar\.ics", link)
        page.click("button[data-copy=private-url]")  # shown by copy.js: the strict CSP lets it run
        assert page.evaluate("navigator.clipboard.readText()") == link
        mailto = page.get_attribute("text=Write the email", "href") or ""
        assert mailto.startswith("mailto:alice@agency.example.org?subject=") and quote(link, safe="") in mailto
        _axe(page, "links")
        status, feed = _fetch(link)
        assert status == 200 and MARKER.encode() in feed.replace(b"\r\n ", b"")

        page.click("button:has-text('Revoke')")
        page.wait_for_url(origin + "/admin/links#issued-links")  # 303 after the POST
        assert "turned off" in page.inner_text("p.notice")
        _eventually(lambda: _fetch(link)[0] == 404)

        page.click("text=Sign out")
        page.wait_for_url(origin + "/admin/sign-in?signed-out=1")
        assert "You are signed out." in page.inner_text("main")
        page.goto(origin + "/admin/links")
        assert page.url == origin + "/admin/sign-in"
    finally:
        context.close()


def test_the_error_pages_are_accessible_and_an_override_is_ticked_with_the_keyboard(
    browser: Browser, server: LiveServer
) -> None:
    origin = server.origin
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(origin + "/admin/sign-in")
        page.fill("#name", "alice")
        page.fill("#password", "not the password!")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "not right" in page.inner_text("[role=alert]")
        _axe(page, "sign-in-error")
        page.fill("#name", "alice")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(origin + "/admin")
        page.goto(origin + "/admin/sessions")
        page.fill("#close-day-date", "2026-11-02")  # before the tests' "now": in the past
        page.fill("#close-day-reason", "Recorded late")
        page.keyboard.press("Enter")
        page.wait_for_url(origin + "/admin/preview")
        assert "in the past" in page.inner_text("[role=alert]")
        _axe(page, "refused-past")
        _tab_to(page, "el.id === 'override'")
        page.keyboard.press("Space")
        assert page.is_checked("#override")
        _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Preview again'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("ul.changes li").all_inner_texts() == [
            "Mon 2026-11-02 09:00-12:00 online: cancelled (Recorded late)"
        ]
    finally:
        context.close()
