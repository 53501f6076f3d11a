"""The printed page in Chromium: one page, the next sessions, the page's address and a QR code that decodes to it.

Printing is emulated with Playwright (``emulate_media(media="print")`` for
what is visible, ``page.pdf()`` for the printed pages, which Chromium makes
with its print media). Oracles: the library's overview for the sessions
listed (the first :data:`~hmis_schedule.flyer.FLYER_SESSIONS` of the page's
upcoming sessions), pypdf for the number of printed pages (Letter and A4),
and zxing-cpp for the QR code, decoded from a screenshot of the code as
Chromium draws it for print.

Same browser as ``tests/test_browser.py`` (Debian's Chromium, through
Playwright): with ``CI`` set a missing one fails these tests; locally they skip.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator

import pytest
from support import FROZEN
from test_browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, _require, errors_of, open_page

import hmis_schedule
from hmis_schedule import web
from hmis_schedule.flyer import FLYER_SESSIONS
from hmis_schedule.overview import overview

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]

SCHEDULE = hmis_schedule.clackamas()
NOTE = "Bring your agency's HMIS user agreement, signed, and your supervisor's email address. " * 2
WORDY = dataclasses.replace(SCHEDULE, slots=tuple(dataclasses.replace(s, notes=NOTE.strip()) for s in SCHEDULE.slots))
SCHEDULES = {"clackamas": SCHEDULE, "notes-on-every-session": WORDY}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, LiveServer]]:
    served = {
        name: LiveServer(web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", "HMIS_SCHEDULE": schedule}))
        for name, schedule in SCHEDULES.items()
    }
    yield served
    for live in served.values():
        live.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require(sync_playwright is not None, "Playwright for Python is not installed (pip install -e '.[test]')")
    _require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def address(origin: str, lang: str) -> str:
    return f"{origin}/" + ("" if lang == "en" else f"?lang={lang}")


def printed(page: Page, origin: str, lang: str) -> list[str]:
    """Open the page emulating print; return the console errors seen (a CSP refusal would be one)."""
    errors = errors_of(page)
    page.goto(address(origin, lang))
    page.emulate_media(media="print")
    return errors


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", SCHEDULES)
def test_printing_gives_one_page_with_the_next_sessions(
    browser: Browser, servers: dict[str, LiveServer], name: str, lang: str
) -> None:
    from pypdf import PdfReader

    origin = servers[name].origin
    with open_page(browser) as page:
        errors = printed(page, origin, lang)
        assert page.locator(".flyer").is_visible()
        for hidden in ("header.site", "footer.site", "a.skip", "section.subscribe", "section.months", "section.next"):
            assert not page.locator(hidden).is_visible(), hidden
        assert page.locator("main h1").is_visible()
        view = overview(SCHEDULES[name], FROZEN, months=3)
        expected = list(view.upcoming[:FLYER_SESSIONS])
        assert len(expected) == FLYER_SESSIONS < len(view.upcoming)
        items = page.locator("section.upcoming li")
        visible = [i for i in range(items.count()) if items.nth(i).is_visible()]
        assert visible == list(range(FLYER_SESSIONS))
        shown = page.eval_on_selector_all(
            "section.upcoming li time", "nodes => nodes.filter(n => n.checkVisibility()).map(n => n.getAttribute('datetime'))"
        )
        assert shown == [t.isoformat() for s in expected for t in (s.start, s.end)]
        assert not page.locator("section.upcoming .actions").first.is_visible()
        assert page.locator(".flyer .qr b").inner_text() == address(origin, lang)
        assert SCHEDULE.contact is not None
        assert SCHEDULE.contact.hmis_email in page.locator(".flyer").inner_text()
        for paper in ("Letter", "A4"):
            pdf = PdfReader(io.BytesIO(page.pdf(format=paper, print_background=True)))
            assert len(pdf.pages) == 1, f"{paper}: {len(pdf.pages)} pages"
            words = pdf.pages[0].extract_text()
            assert SCHEDULE.title.get(lang) in " ".join(words.split())
        assert errors == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_printed_qr_code_decodes_to_the_pages_address(
    browser: Browser, servers: dict[str, LiveServer], lang: str
) -> None:
    import zxingcpp
    from PIL import Image

    origin = servers["clackamas"].origin
    with open_page(browser, device_scale_factor=2) as page:
        printed(page, origin, lang)
        code = page.locator(".flyer .qr svg")
        assert code.is_visible()
        assert code.get_attribute("style") is None and page.locator(".flyer .qr svg [style]").count() == 0
        image = Image.open(io.BytesIO(code.screenshot()))
        found = zxingcpp.read_barcodes(image)
        assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode, address(origin, lang))]


def test_on_screen_the_flyer_is_hidden_and_the_page_is_as_before(
    browser: Browser, servers: dict[str, LiveServer]
) -> None:
    with open_page(browser) as page:
        errors = errors_of(page)
        page.goto(address(servers["clackamas"].origin, "en"))
        assert not page.locator(".flyer").is_visible()
        assert page.locator("main").is_visible() and page.locator("footer.site").is_visible()
        media = page.eval_on_selector("link[href*='print.css']", "link => link.media")
        assert media == "print"
        assert errors == []
