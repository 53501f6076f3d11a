"""The public page and the embed widget in a real browser: headless Chromium driven by Playwright.

The app runs on a real HTTP server on 127.0.0.1 (Werkzeug's, in a thread) with
"now" frozen through its ``NOW`` setting; a second and a third tiny server on
other 127.0.0.1 ports play the county's website (an origin allowed to frame
the widget through ``HMIS_EMBED_ORIGINS``) and some other website (not
allowed). The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or
``HMIS_CHROMIUM``), never a downloaded build.

What is checked, with the library as the oracle:

- the next session (and the next of each modality) is the one
  :meth:`hmis_schedule.Schedule.next_session` gives for the frozen instant;
- every subscribe link is the exact URL each calendar app documents, built
  here from the documented forms (not by the app's own helper);
- the language switch turns the page Spanish and back;
- the copy button puts the feed URL on the clipboard, and only appears when
  the script runs; with JavaScript off the page shows the same content;
- the widget renders inside an iframe of a page from an allowed origin, while
  other origins (and any framing of the public page) are refused;
- the Content-Security-Policy blocks an injected inline script;
- axe-core (from ``tests/js/node_modules``) finds no WCAG 2.1 A/AA violation
  on ``/``, ``/?lang=es`` and ``/embed``; a full-page screenshot of each is
  saved in ``test-output/browser/``;
- every request a page makes goes to its own origin, and the bytes
  transferred stay under budget (``/`` 60 KB, ``/embed`` 20 KB).

Chromium, Playwright and axe-core are installed by ``.ci/run`` and the test
extra. With ``CI`` set a missing one fails these tests; locally they skip,
saying what is missing.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from babel.dates import format_date
from support import FROZEN, ZONE
from werkzeug.serving import BaseWSGIServer, make_server

import hmis_schedule
from hmis_schedule import Modality, web

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("HMIS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OUTPUT = ROOT / "test-output" / "browser"

INSTANTS = {
    "thursday": FROZEN,
    "before-labor-day": datetime(2026, 9, 1, 8, 0, tzinfo=ZONE),  # Sept 7 is cancelled
    "during-a-session": datetime(2026, 12, 7, 10, 30, tzinfo=ZONE),
    "monday-evening-in-march-dst": datetime(2027, 3, 8, 18, 0, tzinfo=ZONE),
}
SCHEDULE = hmis_schedule.clackamas()
LANGS = ("en", "es")
BUDGETS = {"/": 60 * 1024, "/?lang=es": 60 * 1024, "/embed": 20 * 1024, "/embed?lang=es": 20 * 1024}


def _require(ok: bool, reason: str) -> None:
    """Skip locally when a tool is missing; with CI set, fail instead."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests must run", pytrace=False)
    pytest.skip(reason)


# -- servers -----------------------------------------------------------------------------


class FrozenClock:
    """The app's ``NOW``: an instant a test may move."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class LiveServer:
    """A WSGI app on a free 127.0.0.1 port, served by a thread until :meth:`close`."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def host_site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Another website: ``/frame?src=URL`` is a page that shows URL in an iframe."""
    from werkzeug.wrappers import Request, Response

    request = Request(environ)
    src = request.args.get("src", "")
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>County site</title></head>'
        f'<body><h1>County site</h1><iframe src="{html.escape(src)}" title="HMIS training" '
        'width="480" height="360"></iframe></body></html>'
    )
    response = Response(body, mimetype="text/html")
    return response(environ, start_response)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock(FROZEN)


@pytest.fixture(scope="module")
def sites(clock: FrozenClock) -> Iterator[dict[str, LiveServer]]:
    """The app, an allowed county site and a site not allowed to frame the widget."""
    county = LiveServer(host_site)
    other = LiveServer(host_site)
    app = web.create_app({"NOW": clock, "HMIS_BASE_URL": "", "HMIS_EMBED_ORIGINS": county.origin})
    served = {"app": LiveServer(app), "county": county, "other": other}
    yield served
    for live in served.values():
        live.close()


@pytest.fixture(autouse=True)
def _freeze(clock: FrozenClock) -> None:
    clock.moment = FROZEN


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require(sync_playwright is not None, "Playwright for Python is not installed (pip install -e '.[test]')")
    _require(
        CHROMIUM.exists(),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set HMIS_CHROMIUM)",
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def open_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a fresh context (no cache, cookies or permissions from another test)."""
    context: BrowserContext = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


def errors_of(page: Page) -> list[str]:
    """Collects the page's console errors and uncaught exceptions from now on."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


# -- the documented link forms ------------------------------------------------------------


def documented_links(https: str, name: str) -> list[str]:
    """Google, Outlook.com, Microsoft 365 and webcal links of a feed, as each service documents them."""
    webcal = "webcal://" + https.removeprefix("http://").removeprefix("https://")
    add_from_web = f"?url={quote(https, safe='')}&name={quote(name, safe='')}"
    return [
        "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        "https://outlook.live.com/calendar/0/addfromweb" + add_from_web,
        "https://outlook.office.com/calendar/0/addfromweb" + add_from_web,
        webcal,
    ]


def feed_url(origin: str, path: str, lang: str) -> str:
    return origin + path + ("" if lang == "en" else f"?lang={lang}")


def expected_subscribe_section(origin: str, lang: str) -> tuple[list[str], str]:
    """Every link of the Subscribe section in page order, and the address in the main copy field.

    The same five links for each feed: all sessions, online only, in person
    only, the other language (Apple Calendar subscribes through webcal too).
    """
    name = SCHEDULE.name.get(lang)
    other = "es" if lang == "en" else "en"
    links: list[str] = []
    for path, feed_lang, feed_name in (
        ("/calendar.ics", lang, name),
        ("/calendar/online.ics", lang, name),
        ("/calendar/in-person.ics", lang, name),
        ("/calendar.ics", other, SCHEDULE.name.get(other)),
    ):
        google, outlook, m365, webcal = documented_links(feed_url(origin, path, feed_lang), feed_name)
        links += [google, outlook, m365, webcal, webcal]
    return links, feed_url(origin, "/calendar.ics", lang)


def hrefs(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.getAttribute('href'))")


def datetimes(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{selector} time", "nodes => nodes.map(n => n.getAttribute('datetime'))"
    )


# -- what the page shows --------------------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS.values(), ids=INSTANTS.keys())
@pytest.mark.parametrize("lang", LANGS)
def test_the_page_shows_the_librarys_next_sessions(
    browser: Browser, sites: dict[str, LiveServer], clock: FrozenClock, instant: datetime, lang: str
) -> None:
    clock.moment = instant
    nxt = SCHEDULE.next_session(instant)
    assert nxt is not None
    with open_page(browser) as page:
        page.goto(f"{sites['app'].origin}/?lang={lang}")
        card = page.locator("section.next .card")
        assert datetimes(page, "section.next .card")[:2] == [nxt.start.isoformat(), nxt.end.isoformat()]
        shown = card.inner_text()
        assert format_date(nxt.start.date(), "full", locale=lang) in shown
        assert "Microsoft Teams" in shown if nxt.modality == Modality.ONLINE else nxt.full_location in shown
        items = page.locator("section.next .by-modality > li")
        assert items.count() == len(Modality)
        for index, modality in enumerate(Modality):
            of_modality = SCHEDULE.next_session(instant, modality=modality)
            assert of_modality is not None
            assert datetimes(page, f"section.next .by-modality > li:nth-child({index + 1})") == [
                of_modality.start.isoformat(),
                of_modality.end.isoformat(),
            ]
            assert format_date(of_modality.start.date(), "full", locale=lang) in items.nth(index).inner_text()
        # the embed widget says the same
        page.goto(f"{sites['app'].origin}/embed?lang={lang}")
        assert datetimes(page, "main > .when") == [nxt.start.isoformat(), nxt.end.isoformat()]


@pytest.mark.parametrize("lang", LANGS)
def test_every_subscribe_link_is_the_documented_url(
    browser: Browser, sites: dict[str, LiveServer], lang: str
) -> None:
    origin = sites["app"].origin
    links, address = expected_subscribe_section(origin, lang)
    with open_page(browser) as page:
        page.goto(f"{origin}/?lang={lang}")
        assert hrefs(page, "section.subscribe a") == links
        assert page.input_value("#feed-url") == address
        assert page.get_attribute("link[rel=alternate][type='text/calendar']", "href") == address
        page.goto(f"{origin}/embed?lang={lang}")
        google, outlook, m365, webcal = documented_links(address, SCHEDULE.name.get(lang))
        assert hrefs(page, ".actions a") == [google, outlook, m365]  # links that work on every platform
        assert webcal in hrefs(page, ".more a")


def test_the_language_switch_turns_the_page_spanish_and_back(
    browser: Browser, sites: dict[str, LiveServer]
) -> None:
    origin = sites["app"].origin
    with open_page(browser, locale="en-US") as page:
        page.goto(origin + "/")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == SCHEDULE.title.get("en")
        page.click("nav.lang a")
        page.wait_for_url(f"{origin}/?lang=es")
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("h1") == SCHEDULE.title.get("es")
        assert page.inner_text("#subscribe-h") != "Subscribe to the calendar"
        links, _ = expected_subscribe_section(origin, "es")
        assert hrefs(page, "section.subscribe a") == links
        page.click("nav.lang a")
        page.wait_for_url(f"{origin}/?lang=en")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == SCHEDULE.title.get("en")


def test_a_spanish_browser_gets_the_spanish_page(browser: Browser, sites: dict[str, LiveServer]) -> None:
    with open_page(browser, locale="es-US") as page:
        page.goto(sites["app"].origin + "/")
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("h1") == SCHEDULE.title.get("es")


def test_the_copy_button_copies_the_feed_url(browser: Browser, sites: dict[str, LiveServer]) -> None:
    origin = sites["app"].origin
    with open_page(browser, permissions=["clipboard-read", "clipboard-write"]) as page:
        errors = errors_of(page)
        page.goto(origin + "/")
        page.click("details.subscribe-menu > summary")
        button = page.locator("button[data-copy]").first
        assert button.is_visible()  # the script shows it
        button.click()
        page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
        assert page.evaluate("navigator.clipboard.readText()") == origin + "/calendar.ics"
        assert page.locator(".copy-status").first.inner_text() == button.get_attribute("data-done")
        assert errors == []


def _content(page: Page) -> dict[str, Any]:
    return {
        "links": hrefs(page, "a[href]"),
        "times": datetimes(page, "main"),
        "headings": page.eval_on_selector_all("h1, h2, h3, caption", "ns => ns.map(n => n.textContent)"),
        "address": page.input_value("#feed-url"),
        "grid": page.eval_on_selector_all(".month td", "ns => ns.map(n => n.textContent)"),
    }


def test_without_javascript_the_page_shows_everything(browser: Browser, sites: dict[str, LiveServer]) -> None:
    url = sites["app"].origin + "/"
    with open_page(browser) as page:
        page.goto(url)
        with_script = _content(page)
    with open_page(browser, java_script_enabled=False) as page:
        page.goto(url)
        without = _content(page)
        page.click("details.subscribe-menu > summary")  # the disclosure opens without a script
        assert page.locator("#feed-url").is_visible()
        assert not page.locator("button[data-copy]").first.is_visible()  # nothing that cannot work
        assert page.locator("section.next .card").is_visible()
        assert page.locator("table.month").count() == 3
    assert without == with_script
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None and nxt.start.isoformat() in without["times"]


# -- framing ----------------------------------------------------------------------------------


def framed(page: Page, site: LiveServer, src: str) -> tuple[Any, list[str]]:
    """Opens ``site``'s page that frames ``src``; the frame and the console messages."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{site.origin}/frame?src={quote(src, safe='')}")
    page.wait_for_load_state("load")
    (frame,) = [f for f in page.frames if f != page.main_frame]
    return frame, messages


def test_the_embed_renders_in_an_iframe_of_an_allowed_origin(
    browser: Browser, sites: dict[str, LiveServer]
) -> None:
    app = sites["app"].origin
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    with open_page(browser) as page:
        frame, _ = framed(page, sites["county"], f"{app}/embed")
        assert frame.url == f"{app}/embed"
        assert frame.inner_text("h1") == SCHEDULE.title.get("en")
        times = frame.eval_on_selector_all(
            "main > .when time", "ns => ns.map(n => n.getAttribute('datetime'))"
        )
        assert times == [nxt.start.isoformat(), nxt.end.isoformat()]
        box = page.locator("iframe").bounding_box()
        assert box is not None and box["width"] > 0
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=OUTPUT / "embed-in-county-page.png", full_page=True)


@pytest.mark.parametrize(
    ("site", "path"),
    [("other", "/embed"), ("county", "/"), ("county", "/?lang=es")],
    ids=[
        "embed-on-an-origin-not-allowed",
        "page-on-the-allowed-origin",
        "spanish-page-on-the-allowed-origin",
    ],
)
def test_framing_is_refused_where_not_allowed(
    browser: Browser, sites: dict[str, LiveServer], site: str, path: str
) -> None:
    with open_page(browser) as page:
        frame, messages = framed(page, sites[site], sites["app"].origin + path)
        print(messages)
        assert frame.url.startswith("chrome-error://"), frame.url  # Chromium's "refused to connect"
        assert SCHEDULE.title.get("en") not in frame.content()
        assert SCHEDULE.title.get("es") not in frame.content()
        assert any("frame-ancestors" in m for m in messages), messages


# -- security, accessibility, weight ---------------------------------------------------------------


def test_the_csp_blocks_an_injected_inline_script(browser: Browser, sites: dict[str, LiveServer]) -> None:
    url = sites["app"].origin + "/"
    script = "document.documentElement.dataset.injected = 'yes'"
    with open_page(browser) as page:
        page.goto(url)
        with pytest.raises(PlaywrightError, match="Content Security Policy"):
            page.add_script_tag(content=script)
        assert page.evaluate("document.documentElement.dataset.injected") is None
    with open_page(browser, bypass_csp=True) as page:  # what the axe test below relies on
        page.goto(url)
        page.add_script_tag(content=script)
        assert page.evaluate("document.documentElement.dataset.injected") == "yes"


@pytest.mark.parametrize("path", ["/", "/?lang=es", "/embed"])
def test_axe_finds_no_wcag_2_1_a_or_aa_violation(
    browser: Browser, sites: dict[str, LiveServer], path: str
) -> None:
    _require(AXE.exists(), f"axe-core is not installed at {AXE} (npm ci --prefix tests/js)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    name = {"/": "index", "/?lang=es": "index-es", "/embed": "embed"}[path]
    # the page's CSP refuses inline scripts, and add_script_tag injects one: bypass it for axe only
    with open_page(browser, bypass_csp=True, viewport={"width": 1280, "height": 900}) as page:
        errors = errors_of(page)
        page.goto(sites["app"].origin + path)
        page.screenshot(path=OUTPUT / f"{name}.png", full_page=True)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]],
            }
            for v in result["violations"]
        ]
        (OUTPUT / f"{name}-axe.json").write_text(json.dumps(violations, indent=2) + "\n")
        assert violations == []
        # the scan did look: the rules that matter most here ran and passed on this page
        passed = {rule["id"] for rule in result["passes"]}
        assert {"color-contrast", "html-has-lang", "link-name", "document-title"} <= passed, passed
        assert errors == []
    with open_page(browser, viewport={"width": 375, "height": 800}) as page:  # a phone
        page.goto(sites["app"].origin + path)
        page.screenshot(path=OUTPUT / f"{name}-phone.png", full_page=True)


@pytest.mark.parametrize("path", BUDGETS)
def test_every_request_is_to_the_pages_origin_and_the_weight_is_under_budget(
    browser: Browser, sites: dict[str, LiveServer], path: str
) -> None:
    origin = sites["app"].origin
    finished: list[Any] = []
    failed: list[str] = []
    with open_page(browser) as page:
        page.on("requestfinished", lambda request: finished.append(request))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(origin + path, wait_until="networkidle")
        sizes = {
            request.url: (lambda s: s["responseBodySize"] + s["responseHeadersSize"])(request.sizes())
            for request in finished
        }
    assert failed == []
    assert sizes, "the page made requests"
    for url in sizes:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == origin, f"third-party request: {url}"
    total = sum(sizes.values())
    print(f"{path}: {len(sizes)} requests, {total} bytes transferred: {sizes}")
    assert total < BUDGETS[path]
    # the document and its stylesheet at least; scripts only from /static/
    assert any(url.startswith(f"{origin}/static/site.css") for url in sizes)


def test_the_browser_is_the_installed_chromium(browser: Browser) -> None:
    """The browser driven is the system's Chromium (same version as the binary reports), not a download."""
    reported = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert browser.version in reported.split()
