"""The page's layout on a phone and a desktop, in Chromium (Playwright), with JavaScript on and off.

At 390 x 844 (a phone) and 1280 x 900 (a desktop), in English and Spanish,
with JavaScript on and off:

- nothing is wider than the viewport: the document does not scroll
  sideways and every element's box ends inside it;
- no word is broken inside: every word of every calendar entry (and of the
  rest of the page's text) is measured with a ``Range`` over it: it lies on
  one line (its client rects share one line box) and is no wider than the
  entry's box (a word ends at a space, or after a hyphen or dash, where
  lines may break);
- the same at 320, 601, 700 and 800 px: the smallest phones and the narrow
  grid just above the agenda's breakpoint;
- on the phone the month grid is an agenda: no weekday header, no empty or
  out-of-month day shown, each session's line starts with its date
  (``Mon, Dec 7``: Babel's form for the language) and shows its place; on
  the desktop it stays a seven-column grid;
- on the phone, "Next session", the Subscribe control and "How to get
  started" start within the first two screens (2 x 844 px);
- the Subscribe disclosure opens (a native ``<details>``, so with JavaScript
  off too) and shows the six choices: Google, Outlook.com, Microsoft 365,
  Apple, other apps (webcal) and the address to copy, and so does each
  other feed's (online only, in person only, the other language);
- axe-core finds no WCAG 2.1 A/AA violation on ``/`` and ``/embed`` at both
  sizes and in both languages, with every disclosure open;
- the embed in a cross-origin iframe (a county site on another port) offers
  Google, Outlook and the page first, shows the in-person address when the
  next session is in person, and does not scroll sideways;
- under a path prefix (a WSGI mount) the page is styled: its stylesheet and
  script load.

Full-page screenshots of each case are saved under ``test-output/layout/``
(CI keeps ``test-output/`` as an artifact). The servers, the browser and
what skips locally are those of ``tests/test_browser.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from babel.dates import format_skeleton
from support import FROZEN, ZONE
from test_browser import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    WCAG_TAGS,
    FrozenClock,
    LiveServer,
    _require,
    documented_links,
    host_site,
    sync_playwright,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

import hmis_schedule
from hmis_schedule import Modality, web
from hmis_schedule.overview import overview

if sync_playwright is not None:
    from playwright.sync_api import Browser, Page

OUTPUT = ROOT / "test-output" / "layout"
SCHEDULE = hmis_schedule.clackamas()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
LANGS = ("en", "es")
SCRIPTS = {"js": True, "nojs": False}
CHOICES = 6
"""Google, Outlook.com, Microsoft 365, Apple, other apps (webcal), and the address to copy."""


# -- servers and browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock(FROZEN)


@pytest.fixture(autouse=True)
def _freeze(clock: FrozenClock) -> None:
    clock.moment = FROZEN


@pytest.fixture(scope="module")
def sites(clock: FrozenClock) -> Iterator[dict[str, LiveServer]]:
    """The app, a county site allowed to frame the widget, and the app mounted under ``/hmis`` of another site."""
    county = LiveServer(host_site)
    app = web.create_app({"NOW": clock, "HMIS_BASE_URL": "", "HMIS_EMBED_ORIGINS": county.origin})
    mounted = web.create_app({"NOW": clock, "HMIS_BASE_URL": ""})
    served = {
        "app": LiveServer(app),
        "county": county,
        "mounted": LiveServer(DispatcherMiddleware(Response("another site"), {"/hmis": mounted})),
    }
    yield served
    for live in served.values():
        live.close()


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


def open_page(browser: Browser, size: str, *, js: bool = True, **options: Any) -> Any:
    """A page in a fresh context of ``size`` (``phone`` or ``desktop``), with or without JavaScript."""
    context = browser.new_context(viewport=SIZES[size], java_script_enabled=js, **options)
    return context, context.new_page()


def close(context: Any) -> None:
    """Close ``context`` once its pages' requests are over.

    Closing it while the icon is still on its way leaves the test server's
    file of it open, and a ResourceWarning then fails whichever test is
    running when it is collected.
    """
    for page in context.pages:
        page.wait_for_load_state("networkidle")
    context.close()


def shot(page: Page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


# -- measurements in the page (page.evaluate: runs even with the page's JavaScript off) ------------

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;           // not rendered
    if (box.right > width + 0.5 || box.left < -0.5) {
      if (el.closest('.visually-hidden, .skip')) continue;       // off-screen on purpose
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, width, wide};
}"""

BROKEN_WORDS = """(selector) => {
  // Every word of the visible text under `selector`: a Range over it must lie on one line
  // (all its client rects on one line box) and be no wider than its element's content box.
  const found = [];
  let words = 0;
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest('.visually-hidden, [hidden], script, style')) continue;
      if (parent.getClientRects().length === 0) continue;       // display: none
      const box = parent.getBoundingClientRect();
      const text = node.textContent;
      // a word ends at a space, or after a hyphen or dash, where a line may break ("Spanish-|language")
      for (const match of text.matchAll(/[^\\s\\-\u2010\u2013\u2014]+[\\-\u2010\u2013\u2014]?/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        if (rects.length === 0) continue;
        words += 1;
        const tops = new Set(rects.map(r => Math.round(r.bottom)));
        const width = range.getBoundingClientRect().width;
        if (tops.size > 1) found.push(`"${match[0]}" is broken across ${tops.size} lines in ${parent.className || parent.tagName}`);
        else if (width > box.width + 1) found.push(`"${match[0]}" (${Math.round(width)} px) is wider than its box (${Math.round(box.width)} px)`);
      }
    }
  }
  return {words, found};
}"""

TOP = """(selector) => {
  const el = document.querySelector(selector);
  return el ? el.getBoundingClientRect().top + window.scrollY : null;
}"""

VISIBLE_CHOICES = """(details) => {
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const block = details.querySelector(':scope > .menu > .choices, :scope > .choices');
  const links = [...block.querySelectorAll('a')].filter(visible).map(a => a.getAttribute('href'));
  const field = block.parentElement.querySelector(':scope > .copy input');
  return {links, address: field && visible(field) ? field.value : null};
}"""


def page_url(origin: str, path: str, lang: str) -> str:
    return f"{origin}{path}?lang={lang}"


# -- nothing wider than the screen, no word broken ---------------------------------------------------


CASES = [(size, lang, js) for size in SIZES for lang in LANGS for js in SCRIPTS]


@pytest.mark.parametrize(("size", "lang", "js"), CASES, ids=["-".join(c) for c in CASES])
def test_nothing_is_wider_than_the_screen_and_no_word_is_broken(
    browser: Browser, sites: dict[str, LiveServer], size: str, lang: str, js: str
) -> None:
    context, page = open_page(browser, size, js=SCRIPTS[js])
    try:
        for path, name in (("/", "index"), ("/embed", "embed")):
            page.goto(page_url(sites["app"].origin, path, lang))
            shot(page, f"{name}-{size}-{lang}-{js}")
            page.screenshot(path=OUTPUT / f"{name}-{size}-{lang}-{js}-first-screen.png")  # docs/screenshots/
            for opened in (False, True):  # the Subscribe disclosure closed, then open
                if opened:
                    if path != "/":
                        continue
                    page.click("details.subscribe-menu > summary")
                    for summary in page.locator("details.feed-choice > summary").all():
                        summary.click()
                overflow = page.evaluate(OVERFLOW)
                assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
                assert overflow["wide"] == [], overflow
            entries = page.evaluate(BROKEN_WORDS, ".month .ev, .month .ad")
            if path == "/":
                assert entries["words"] > 30  # the calendar's entries were measured
            assert entries["found"] == [], entries["found"]
            everything = page.evaluate(BROKEN_WORDS, "body")
            assert everything["found"] == [], everything["found"]
    finally:
        close(context)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", [320, 601, 700, 800])
def test_widths_around_the_breakpoints_neither_overflow_nor_break_words(
    browser: Browser, sites: dict[str, LiveServer], width: int, lang: str
) -> None:
    """The smallest phones, and the narrow grid just above the agenda's breakpoint (600 px)."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(page_url(sites["app"].origin, "/", lang))
        overflow = page.evaluate(OVERFLOW)
        assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
        assert overflow["wide"] == [], overflow
        assert page.evaluate(BROKEN_WORDS, "body")["found"] == []
    finally:
        close(context)


# -- the agenda on a phone, the grid on a desktop -------------------------------------------------------


AGENDA = """() => {
  const shown = el => el.getClientRects().length > 0;
  return {
    headers: [...document.querySelectorAll('.month thead')].filter(shown).length,
    cells: [...document.querySelectorAll('.month td')].filter(shown).length,
    emptyShown: [...document.querySelectorAll('.month td')].filter(td => shown(td) && !td.querySelector('.ev')).length,
    lines: [...document.querySelectorAll('.month td')].filter(shown).map(td => {
      const date = td.querySelector('.ad');
      const first = td.querySelector('.ev');
      const a = date.getBoundingClientRect(), b = first.getBoundingClientRect();
      return {date: date.textContent, sameLine: Math.abs(a.top - b.top) < 12 && a.right <= b.left};
    }),
    places: [...document.querySelectorAll('.month td')].filter(shown).map(td =>
      [...td.querySelectorAll('.ap')].filter(shown).map(p => p.textContent)),
    calendarHeight: document.querySelector('section.months').getBoundingClientRect().height,
  };
}"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("js", SCRIPTS)
def test_on_a_phone_the_grid_is_an_agenda_and_on_a_desktop_a_grid(
    browser: Browser, sites: dict[str, LiveServer], lang: str, js: str
) -> None:
    view = overview(SCHEDULE, FROZEN, months=3)
    days = [
        day for month in view.months for week in month.weeks for day in week if day.in_month and day.sessions
    ]
    context, page = open_page(browser, "phone", js=SCRIPTS[js])
    try:
        page.goto(page_url(sites["app"].origin, "/", lang))
        agenda = page.evaluate(AGENDA)
        assert agenda["headers"] == 0
        assert agenda["emptyShown"] == 0
        assert [line["date"] for line in agenda["lines"]] == [
            format_skeleton("MMMEd", day.date, locale=lang) for day in days
        ]
        assert all(line["sameLine"] for line in agenda["lines"]), agenda["lines"]
        # each session that takes place shows where (a cancelled one shows its reason instead)
        assert agenda["places"] == [[s.full_location for s in day.sessions if not s.cancelled] for day in days]
        assert agenda["calendarHeight"] < 1300  # the three grids took about 2,100 px before
    finally:
        close(context)
    context, page = open_page(browser, "desktop", js=SCRIPTS[js])
    try:
        page.goto(page_url(sites["app"].origin, "/", lang))
        columns = page.evaluate(
            "() => [...document.querySelectorAll('.month tbody tr')].map(tr =>"
            " new Set([...tr.cells].map(td => Math.round(td.getBoundingClientRect().top))).size)"
        )
        assert columns and set(columns) == {1}  # every week is one row of seven cells
        assert page.evaluate("document.querySelectorAll('.month thead th').length") == 7 * len(view.months)
        assert page.locator(".month .ad").first.is_hidden()  # the agenda's dates are for phones only
    finally:
        close(context)


# -- the first two screens of a phone ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("js", SCRIPTS)
def test_the_first_two_phone_screens_reach_the_next_session_subscribe_and_how_to_start(
    browser: Browser, sites: dict[str, LiveServer], lang: str, js: str
) -> None:
    context, page = open_page(browser, "phone", js=SCRIPTS[js])
    try:
        page.goto(page_url(sites["app"].origin, "/", lang))
        limit = 2 * PHONE["height"]
        tops = {
            selector: page.evaluate(TOP, selector)
            for selector in ("section.next .card", "details.subscribe-menu > summary", "#start-h")
        }
        assert all(top is not None and top < limit for top in tops.values()), tops
        assert page.locator("details.subscribe-menu").count() == 1  # one Subscribe control
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=OUTPUT / f"index-phone-{lang}-{js}-first-screen.png")
    finally:
        close(context)


# -- the Subscribe disclosure ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("js", SCRIPTS)
@pytest.mark.parametrize("size", SIZES)
def test_the_subscribe_disclosure_opens_with_six_choices_for_each_feed(
    browser: Browser, sites: dict[str, LiveServer], size: str, lang: str, js: str
) -> None:
    origin = sites["app"].origin
    other = "es" if lang == "en" else "en"
    feeds = [
        ("details.subscribe-menu", f"{origin}/calendar.ics", lang),
        ("details.feed-choice.online", f"{origin}/calendar/online.ics", lang),
        ("details.feed-choice.in_person", f"{origin}/calendar/in-person.ics", lang),
        ("details.feed-choice.other-lang", f"{origin}/calendar.ics", other),
    ]
    context, page = open_page(browser, size, js=SCRIPTS[js])
    try:
        page.goto(page_url(origin, "/", lang))
        menu = page.locator("details.subscribe-menu")
        assert menu.get_attribute("open") is None
        assert not page.locator("#feed-url").is_visible()  # closed: the choices are out of the way
        page.click("details.subscribe-menu > summary")
        assert menu.get_attribute("open") is not None
        for selector, feed, feed_lang in feeds:
            details = page.locator(selector)
            if selector != "details.subscribe-menu":
                details.locator("> summary").click()
            https = feed + ("" if feed_lang == "en" else f"?lang={feed_lang}")
            google, outlook, m365, webcal = documented_links(https, SCHEDULE.name.get(feed_lang))
            choices = details.evaluate(VISIBLE_CHOICES)
            # Google, Outlook.com, Microsoft 365, Apple (webcal), other apps (webcal), the address
            assert choices["links"] == [google, outlook, m365, webcal, webcal], selector
            assert choices["address"] == https, selector
            assert len(choices["links"]) + 1 == CHOICES
        if size == "phone" and js == "js":
            shot(page, f"index-phone-{lang}-subscribe-open")
    finally:
        close(context)


# -- accessibility ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", ["/", "/embed"])
def test_axe_finds_no_wcag_2_1_a_or_aa_violation_at_each_size_and_language(
    browser: Browser, sites: dict[str, LiveServer], path: str, size: str, lang: str
) -> None:
    _require(AXE.exists(), f"axe-core is not installed at {AXE} (npm ci --prefix tests/js)")
    # the page's CSP refuses inline scripts, and add_script_tag injects one: bypass it for axe only
    context, page = open_page(browser, size, bypass_csp=True)
    try:
        page.goto(page_url(sites["app"].origin, path, lang))
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
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
        name = f"{'index' if path == '/' else 'embed'}-{size}-{lang}"
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / f"{name}-axe.json").write_text(json.dumps(violations, indent=2) + "\n")
        assert violations == []
        passed = {rule["id"] for rule in result["passes"]}
        assert {"color-contrast", "html-has-lang", "link-name", "document-title"} <= passed, passed
    finally:
        close(context)


# -- the embed, framed by another site --------------------------------------------------------------------

IN_PERSON_NEXT = datetime(2026, 12, 8, 9, 0, tzinfo=ZONE)
"""After the December 7 online session: the next one is in person (December 14)."""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", [320, 480])
def test_the_framed_embed_offers_links_that_work_everywhere_and_the_address(
    browser: Browser, sites: dict[str, LiveServer], clock: FrozenClock, lang: str, width: int
) -> None:
    clock.moment = IN_PERSON_NEXT
    nxt = SCHEDULE.next_session(IN_PERSON_NEXT)
    assert nxt is not None and nxt.modality is Modality.IN_PERSON
    app, county = sites["app"].origin, sites["county"].origin
    src = page_url(app, "/embed", lang)
    context, page = open_page(browser, "desktop")
    try:
        page.goto(f"{county}/frame?src={quote(src, safe='')}")
        page.wait_for_load_state("load")
        page.evaluate(f"document.querySelector('iframe').width = {width}")
        (frame,) = [f for f in page.frames if f != page.main_frame]
        frame.wait_for_selector("main")
        assert frame.url == src  # framed from another origin
        https = app + "/calendar.ics" + ("" if lang == "en" else f"?lang={lang}")
        google, outlook, m365, webcal = documented_links(https, SCHEDULE.name.get(lang))
        actions = frame.eval_on_selector_all(".actions a", "as => as.map(a => a.getAttribute('href'))")
        assert actions == [google, outlook, m365]  # first: links that work without a webcal handler
        more = frame.eval_on_selector_all(".more a", "as => as.map(a => a.getAttribute('href'))")
        assert webcal in more  # webcal, second
        assert any(m.startswith("/") and "embed" not in m for m in more)  # the page
        assert nxt.full_location in frame.inner_text("main")  # the in-person address
        overflow = frame.evaluate(OVERFLOW)
        assert overflow["scrollWidth"] <= overflow["width"], overflow
        assert overflow["wide"] == [], overflow
        assert frame.evaluate(BROKEN_WORDS, "body")["found"] == []
        shot(page, f"embed-framed-{width}-{lang}")
    finally:
        close(context)


# -- under a path prefix ------------------------------------------------------------------------------------


def test_under_a_path_prefix_the_page_is_styled_and_its_script_runs(
    browser: Browser, sites: dict[str, LiveServer]
) -> None:
    failed: list[str] = []
    loaded: list[str] = []
    context, page = open_page(browser, "phone", permissions=["clipboard-read", "clipboard-write"])
    try:
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("response", lambda response: loaded.append(f"{response.status} {response.url}"))
        page.goto(sites["mounted"].origin + "/hmis/", wait_until="networkidle")
        assert failed == []
        assert all(line.startswith(("200 ", "304 ")) for line in loaded), loaded
        assert any("/hmis/static/site.css" in line for line in loaded), loaded
        header = page.evaluate("getComputedStyle(document.querySelector('header.site')).backgroundColor")
        assert header == "rgb(18, 58, 99)"  # site.css's #123a63: the stylesheet applied
        page.click("details.subscribe-menu > summary")
        assert page.locator("button[data-copy]").first.is_visible()  # copy.js ran and showed it
    finally:
        close(context)
