"""The HTML routes: the public page, the embeddable widget, and the page's redirects to Google Calendar.

What they show is the library's (:func:`hmis_schedule.overview.overview` and
:func:`hmis_schedule.page.page_model`); this module picks the language,
renders the template and caches the bytes until the page's "next session"
changes. Pages are answered ``Cache-Control: no-cache``: browsers and proxies
revalidate them with the ETag on every load (a 304 while unchanged), so a
page never shows a schedule older than the file; feeds and JSON keep their
``max-age``.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template

from hmis_schedule.overview import overview
from hmis_schedule.page import google_link, page_model

from . import params, public, sources
from .cache import Rendered, render_cache, rendered
from .responses import respond

__all__ = ["bp"]

bp = Blueprint("pages", __name__)


def _page(template: str, months: int, *, printed: bool = False) -> Response:
    """``template`` showing ``months`` of sessions; ``printed``: with the address a printed page shows under its QR code."""
    loaded = sources.loaded()
    schedule = loaded.schedule
    lang = params.negotiated_lang()
    now = sources.settings().now(schedule.zone)
    addresses = public.addresses()
    key = ("page", template, loaded.version, schedule.today(now), lang, addresses.base_url, public.link_root())

    def make() -> Rendered:
        view = overview(schedule, now, months=months)
        g.lang = lang
        model = page_model(schedule, view, lang, addresses)
        extra = {"print_address": addresses.page_in(schedule, lang)} if printed else {}
        html = render_template(template, lang=lang, **model.context(), **extra)
        return rendered(html.encode(), valid_until=view.valid_until)

    response = respond(render_cache().get(key, now, make), "text/html", revalidate=True)
    response.vary.add("Accept-Language")
    response.content_language.add(lang)
    return response


@bp.get("/")
def index() -> Response:
    """The public page."""
    return _page("index.html", months=3, printed=True)


@bp.get("/embed")
def embed() -> Response:
    """The compact widget for an iframe on another site."""
    return _page("embed.html", months=1)


@bp.get("/sessions/<uid>/google")
def session_google(uid: str) -> Response:
    """A redirect (302) to Google Calendar's form with this session filled in, ``?lang=``.

    The page links each upcoming session here: Google's link carries the
    whole description, about 1 KB a session, which the page need not hold.
    An unknown uid is a 404 (the library's :class:`~hmis_schedule.SessionNotFoundError`).
    Revalidated like the pages, so a changed session is never sent stale.
    """
    loaded = sources.loaded()
    schedule = loaded.schedule
    lang = params.lang()
    addresses = public.addresses()
    target = google_link(schedule, schedule.session(uid), lang, addresses)
    response = respond(rendered(target.encode()), "text/plain", revalidate=True)
    if response.status_code in (200, 206):  # a 304 (a cache's stored redirect is still right) or 412 stays
        response.status_code = 302
        response.location = target
        response.headers.pop("Content-Range", None)
        response.set_data(target.encode())  # whole, even if a Range was asked for
    return response
