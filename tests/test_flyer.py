"""The printed page's QR code (:mod:`hmis_schedule.flyer`): inline SVG the CSP allows, equal for equal input.

The code itself is decoded by zxing-cpp from Chromium's rendering in
``tests/test_browser_print.py``; here the SVG is read as XML: one square
``viewBox``, attributes only (no ``style``, no script, no namespace a page
would not need), and its dark modules are segno's matrix for the data.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import segno
from hypothesis import given
from hypothesis import strategies as st

from hmis_schedule.flyer import qr_svg

URLS = st.from_regex(r"https://[a-z0-9-]{1,30}(\.[a-z]{2,6}){1,2}/([a-z0-9/-]{0,30})?(\?lang=es)?", fullmatch=True)


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """The cells the SVG's dark path covers (segno writes rows of horizontal runs: M, m, h moves)."""
    root = ET.fromstring(svg)
    dark = [p for p in root.iter("path") if p.get("stroke") == "#000"]
    assert len(dark) == 1
    cells: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,]?(-?[\d.]+))?", dark[0].get("d", "")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            run = float(a)
            cells.update((int(x + i), int(y)) for i in range(int(run)))
            x += run
    return cells


@given(URLS)
def test_the_svg_is_segnos_matrix_with_attributes_only(url: str) -> None:
    svg = qr_svg(url, title="Scan")
    root = ET.fromstring(svg)
    assert root.tag == "svg" and root.get("class") == "qr"
    _, _, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert width == height
    for element in root.iter():
        assert "style" not in element.attrib and not element.tag.startswith("script")
        assert not any(name.startswith("on") for name in element.attrib)
    code = segno.make(url, error="l", boost_error=True, micro=False)
    expected = {(x + 4, y + 4) for y, row in enumerate(code.matrix) for x, v in enumerate(row) if v & 1}
    assert dark_modules(svg) == expected
    assert qr_svg(url, title="Scan") == svg


def test_the_title_is_escaped() -> None:
    svg = qr_svg("https://hmis.example.org/", title='</title><script>alert(1)</script>')
    assert "<script>" not in svg
    assert ET.fromstring(svg).findtext("title") == "</title><script>alert(1)</script>"
