"""Benchmark: the weight of the public page and the embed, with the stylesheet and script they load.

Run it (``make bench`` does the same)::

    .venv/bin/python bench/page_weight.py

For ``/`` and ``/embed``, in English and Spanish, it asks the app (Flask's
test client, the built-in schedule at a fixed instant, no server) for the
page and for every stylesheet and script the page loads from ``/static/``,
and prints their bytes as sent, uncompressed and without headers: HTML,
CSS, JS, their total, and the same total gzipped (what a server that
compresses would send). The icon is shown apart (a browser asks for it
once). The budgets are the page's: ``/`` under 60 KB and ``/embed`` under
20 KB (KB = 1,024 bytes) of HTML + CSS + JS.

This is a benchmark, not a test: it exits non-zero when a page is over its
budget, so that ``make bench`` says so, but the test suite checks the
budgets itself (``tests/test_web_pages.py``, ``tests/test_browser.py``).
"""

from __future__ import annotations

import gzip
import re
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from hmis_schedule import web

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
"""The instant the pages are rendered at: the tests' frozen "now" (three months of sessions shown)."""
PAGES = {"/": 60, "/?lang=es": 60, "/embed": 20, "/embed?lang=es": 20}
"""Each page and its budget in KB."""
ASSET = re.compile(r'<(link|script)\b[^>]*?\b(?:href|src)="(/static/[^"]+)"[^>]*>')


def weigh(client: object, path: str) -> dict[str, int | bytes]:
    """The bytes of ``path`` and of each asset it loads, by kind (``html``, ``css``, ``js``, ``icon``)."""
    get = client.get  # type: ignore[attr-defined]
    page = get(path)
    assert page.status_code == 200, (path, page.status_code)
    html: bytes = page.get_data()
    sizes: dict[str, int | bytes] = {"html": len(html), "css": 0, "js": 0, "icon": 0}
    everything = html
    for tag, ref in ASSET.findall(html.decode()):
        with get(ref.replace("&amp;", "&")) as asset:
            body: bytes = asset.get_data()
        kind = "js" if tag == "script" else "css" if ".css" in ref else "icon"
        sizes[kind] = int(sizes[kind]) + len(body)
        if kind != "icon":
            everything += body
    sizes["total"] = int(sizes["html"]) + int(sizes["css"]) + int(sizes["js"])
    sizes["gzip"] = len(gzip.compress(everything, mtime=0))
    return sizes


def main() -> int:
    app = web.create_app({"NOW": lambda: NOW, "HMIS_BASE_URL": "https://hmis.example.org"})
    client = app.test_client()
    print(f"{'page':<16}{'HTML':>9}{'CSS':>8}{'JS':>7}{'total':>9}{'budget':>9}{'gzip':>8}{'icon':>7}")
    over = []
    for path, budget in PAGES.items():
        s = weigh(client, path)
        total = int(s["total"])
        print(
            f"{path:<16}{s['html']:>9,}{s['css']:>8,}{s['js']:>7,}{total:>9,}{budget * 1024:>9,}"
            f"{s['gzip']:>8,}{s['icon']:>7,}   {total / 1024:.1f} KB, {100 * total / (budget * 1024):.0f}% of budget"
        )
        if total >= budget * 1024:
            over.append(path)
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
