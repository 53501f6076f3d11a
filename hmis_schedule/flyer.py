"""The printed page: a one-page flyer of the next sessions, with the page's address and a QR code to it.

Agencies pin the schedule on notice boards. Printing the public page gives a
flyer instead of the screen layout: ``static/print.css`` (linked with
``media="print"``) keeps the page's title, its time-zone line and the first
:data:`FLYER_SESSIONS` items of its upcoming sessions, and shows a block that
is hidden on screen (``templates/_flyer.html``): the contact line and the
page's address under its QR code. This module makes that code:
:func:`qr_svg`, inline SVG written by ``segno`` with attributes only (no
``style``: the site's Content-Security-Policy allows no inline style), black
on white with its quiet zone, and a ``<title>`` saying what it is.

>>> svg = qr_svg("https://hmis.example.org/?lang=es", title="QR")
>>> svg.startswith('<svg viewBox="0 0 '), "style" in svg
(True, False)
"""

from __future__ import annotations

import segno

__all__ = ["FLYER_SESSIONS", "qr_svg"]

FLYER_SESSIONS = 6
"""How many upcoming sessions the printed page lists (``print.css`` hides the rest; a test checks both agree)."""


def qr_svg(data: str, *, title: str) -> str:
    """``data`` as a QR code, inline SVG scaled by CSS through its ``viewBox``.

    The smallest symbol for ``data`` at error correction L, raised to the
    highest level that still fits that symbol (segno's ``boost_error``): at a
    fixed printed size fewer modules are larger, which scans better from a
    notice board, and the page stays light (it is in every page's HTML).

    ``title`` becomes the SVG's ``<title>`` (escaped by segno). The same data
    and title give the same string.

    >>> svg = qr_svg("https://hmis.example.org/", title="Scan <me>")
    >>> svg.startswith('<svg viewBox="0 0 ') and "<title>Scan &lt;me&gt;</title>" in svg
    True
    """
    code = segno.make(data, error="l", boost_error=True, micro=False)
    svg: str = code.svg_inline(
        scale=1, border=4, omitsize=True, title=title, svgclass="qr", lineclass=None, dark="#000", light="#fff"
    )
    return svg
