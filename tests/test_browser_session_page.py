"""A session's own page in a real browser (headless Chromium, as in ``tests/test_browser.py``).

For a scheduled, a cancelled and a moved session, in English and Spanish:
axe-core finds no WCAG 2.1 A/AA violation, nothing is wider than a
390 x 844 phone screen, the page makes no third-party request, and it stays
under its 30 KB budget. Screenshots go to ``test-output/browser/``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from support import FROZEN
from test_browser import AXE, OUTPUT, WCAG_TAGS, LiveServer, _require, browser, errors_of, open_page

from hmis_schedule import Change, clackamas, web
from hmis_schedule.addresses import session_page_path

__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SCHEDULE = dataclasses.replace(
    clackamas(),
    changes=(
        Change(
            slot="second-monday", date=date(2027, 1, 11), to_date=date(2027, 1, 12), room="PSB 301",
            reason="Room 216 is being painted", notes="Use the north entrance",
        ),
    ),
)  # fmt: skip
PAGES = {
    "scheduled": f"first-monday-20261207@{SCHEDULE.uid_domain}",
    "cancelled": f"third-monday-20270118@{SCHEDULE.uid_domain}",
    "moved": f"second-monday-20270111@{SCHEDULE.uid_domain}",
}
PHONE = {"width": 390, "height": 844}
BUDGET = 30 * 1024


@pytest.fixture(scope="module")
def site() -> Iterator[LiveServer]:
    served = LiveServer(web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", "HMIS_SCHEDULE": SCHEDULE}))
    yield served
    served.close()


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("kind", PAGES)
def test_a_session_page_is_accessible_and_fits_a_phone(
    browser: Browser, site: LiveServer, kind: str, lang: str
) -> None:
    _require(AXE.exists(), f"axe-core is not installed at {AXE} (npm ci --prefix tests/js)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    name = f"session-{kind}-{lang}"
    url = site.origin + session_page_path(PAGES[kind], lang)
    with open_page(browser, bypass_csp=True, viewport=PHONE) as page:
        errors = errors_of(page)
        page.goto(url)
        page.screenshot(path=OUTPUT / f"{name}-phone.png", full_page=True)
        wide = page.evaluate(
            """width => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 0.5)
                .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))""",
            PHONE["width"],
        )
        assert wide == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        violations = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]
        ]
        (OUTPUT / f"{name}-axe.json").write_text(json.dumps(violations, indent=2) + "\n")
        assert violations == []
        passed = {rule["id"] for rule in result["passes"]}
        assert {"color-contrast", "html-has-lang", "link-name", "document-title"} <= passed, passed
        assert errors == []


@pytest.mark.parametrize("kind", PAGES)
def test_a_session_page_loads_from_its_own_origin_under_budget(browser: Browser, site: LiveServer, kind: str) -> None:
    finished: list[Any] = []
    with open_page(browser) as page:
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(site.origin + session_page_path(PAGES[kind]), wait_until="networkidle")
        assert page.locator("h1").count() == 1
        sizes = {
            request.url: (lambda s: s["responseBodySize"] + s["responseHeadersSize"])(request.sizes())
            for request in finished
        }
    for url in sizes:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == site.origin, f"third-party request: {url}"
    total = sum(sizes.values())
    print(f"session page ({kind}): {len(sizes)} requests, {total} bytes transferred")
    assert total < BUDGET
