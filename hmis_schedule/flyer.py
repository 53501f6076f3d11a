"""The printed page: a one-page flyer of the next sessions, the page's address and a QR code to it.

Agencies pin the schedule on notice boards. Printing the public page gives
this flyer instead of the screen layout (``static/print.css``, linked with
``media="print"``; the block itself is in ``templates/_flyer.html``, hidden on
screen). :func:`flyer` and :func:`qr_svg` compute what it shows, without a web framework:

- the next :data:`FLYER_SESSIONS` sessions that take place (a cancelled one
  is left out: a notice board lists sessions to attend);
- the page's address, in the page's language;
- that address as a QR code, inline SVG written by ``segno`` with
  attributes only (no ``style``: the site's Content-Security-Policy allows no
  inline style), black on white, with a ``<title>`` saying what it is.

>>> from datetime import UTC, datetime
>>> from hmis_schedule import clackamas
>>> from hmis_schedule.overview import overview
>>> s = clackamas()
>>> f = flyer(overview(s, datetime(2026, 12, 1, tzinfo=UTC)), "https://hmis.example.org/?lang=es")
>>> len(f.sessions), any(x.cancelled for x in f.sessions)
(6, False)
>>> "style" in qr_svg(f.address, title="QR")
False
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

from .overview import Overview
from .session import Session

__all__ = ["FLYER_SESSIONS", "Flyer", "flyer", "qr_svg"]

FLYER_SESSIONS = 6
"""How many sessions the flyer lists (one printed page with the QR code)."""


@dataclass(frozen=True, slots=True)
class Flyer:
    """What the printed page shows beyond the schedule's own words."""

    address: str
    """The page's address, printed under its QR code (:func:`qr_svg`)."""
    sessions: tuple[Session, ...]
    """The next sessions that take place, at most :data:`FLYER_SESSIONS`."""


def qr_svg(data: str, *, title: str) -> str:
    """``data`` as a QR code (error correction M), inline SVG scaled by CSS through its ``viewBox``.

    ``title`` becomes the SVG's ``<title>`` (escaped by segno). The same data
    and title give the same string.

    >>> svg = qr_svg("https://hmis.example.org/", title="Scan <me>")
    >>> svg.startswith('<svg viewBox="0 0 ') and "<title>Scan &lt;me&gt;</title>" in svg
    True
    """
    code = segno.make(data, error="m", micro=False)
    svg: str = code.svg_inline(
        scale=1, border=4, omitsize=True, title=title, svgclass="qr", lineclass=None, dark="#000", light="#fff"
    )
    return svg


def flyer(view: Overview, address: str) -> Flyer:
    """The flyer of ``view`` (what the page shows now), pointing at ``address``.

    Parameters
    ----------
    view:
        The page's :class:`~hmis_schedule.overview.Overview`.
    address:
        The public page's address in the page's language.
    """
    sessions = tuple(s for s in view.upcoming if not s.cancelled)[:FLYER_SESSIONS]
    return Flyer(address=address, sessions=sessions)
