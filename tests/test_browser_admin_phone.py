"""The admin pages on a phone: Debian's Chromium at 390x844 (Playwright), the app on 127.0.0.1.

On each page an administrator goes through (sign-in, start, sessions, one
session, preview, saved, private links with a link issued, audit log): the
page is no wider than the screen (``scrollWidth <= innerWidth``: no sideways
scrolling), every link and button shown lies within the screen's width (so
"Change" and "Revoke" can be reached), and axe-core finds no WCAG 2.1 A/AA
violation. Below 600 px the tables are cards, each cell labelled from its
``data-label`` (``admin.css``). Screenshots go to
``test-output/browser/admin-phone-*.png``.

Like ``test_browser.py``: skipped locally when Chromium, Playwright or
axe-core is missing, failed under ``CI``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from admin_support import CHEAP, PASSWORD, Site
from test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, LiveServer, _require
from test_browser_admin import _axe

from hmis_schedule import accounts

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]

PHONE = {"width": 390, "height": 844}
DAY = "2026-12-21"  # the third Monday of December 2026, online, a few weeks after the tests' "now"
SLOT = "third-monday"
LABEL = "firstname.lastname.of.a.new.user@a-long-agency-name.example.org"  # one long word: it must wrap


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", CHEAP)
        yield Site(tmp_path_factory.mktemp("admin-phone"), HMIS_BASE_URL="")


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


_OUTSIDE = """() => {
  const width = window.innerWidth;
  return [...document.querySelectorAll('a[href], button')]
    .filter(el => el.getClientRects().length > 0 && el.checkVisibility())
    .map(el => ({text: el.textContent.trim().slice(0, 40), box: el.getBoundingClientRect()}))
    .filter(({box}) => box.left < 0 || box.right > width)
    .map(({text, box}) => `${text} (${Math.round(box.left)} to ${Math.round(box.right)})`);
}"""


def _fits(page: Page, name: str) -> None:
    """The page fits the phone's width, every link and button within it; axe-clean; ``admin-phone-<name>.png``."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == PHONE["width"] and widths[0] <= widths[1], (name, widths)
    assert page.evaluate(_OUTSIDE) == [], name
    _axe(page, f"phone-{name}")


def test_every_admin_page_fits_a_phone(browser: Browser, server: LiveServer, site: Site) -> None:
    origin = server.origin
    context = browser.new_context(bypass_csp=True, viewport=PHONE)  # axe is injected
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(origin + "/admin/sign-in")
        _fits(page, "sign-in")
        page.fill("#name", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(origin + "/admin")
        _fits(page, "start")

        page.goto(origin + "/admin/sessions")
        assert page.locator("table.admin tbody tr").count() > 3
        # a card: the cell's label is shown (generated from data-label), the header row is not
        label = "getComputedStyle(document.querySelector('table.admin td[data-label]'), '::before').content"
        assert page.evaluate(label) == '"Date"'
        head = page.locator("table.admin thead").bounding_box()
        assert head is not None and head["width"] <= 1  # visually hidden, still read by a screen reader
        _fits(page, "sessions")
        page.click(f"a[href='/admin/sessions/{SLOT}/{DAY}']")  # "Change": on screen, so it can be tapped
        page.wait_for_url(f"{origin}/admin/sessions/{SLOT}/{DAY}")
        _fits(page, "session")

        page.fill("#close-reason", "County training day")
        page.click("text=Preview: close the day")
        page.wait_for_url(origin + "/admin/preview")
        assert page.locator("ul.changes li").count() == 1
        _fits(page, "preview")
        page.click("button:has-text('Confirm')")
        page.wait_for_url(origin + "/admin/done")
        _fits(page, "saved")

        page.goto(origin + "/admin/links")
        page.fill("#label", LABEL)
        page.fill("#days", "30")
        page.click("text=Make the link")
        assert "/private/" in page.input_value("#private-url")
        _fits(page, "links")
        page.click("button:has-text('Revoke')")  # on screen, so it can be tapped
        page.wait_for_url(origin + "/admin/links#issued-links")
        assert "turned off" in page.inner_text("p.notice")
        _fits(page, "links-revoked")

        page.goto(origin + "/admin/audit")
        assert LABEL in page.inner_text("main")
        _fits(page, "audit")
        assert errors == []
    finally:
        context.close()
