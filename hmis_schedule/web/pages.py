"""The HTML routes: the public page, the embeddable widget, each session's own page, and the redirects to Google Calendar.

What they show is the library's (:func:`hmis_schedule.overview.overview`,
:func:`hmis_schedule.page.page_model` and :func:`hmis_schedule.page.session_model`);
this module picks the language, renders the template and caches the bytes
until the page's "next session" changes (a session's page, until the
schedule does). Pages are answered ``Cache-Control: no-cache``: browsers and
proxies revalidate them with the ETag on every load (a 304 while unchanged),
so a page never shows a schedule older than the file; feeds and JSON keep
their ``max-age``.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template

from hmis_schedule.overview import overview
from hmis_schedule.page import google_link, page_model, session_model

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


@bp.get("/sessions/<uid>")
def session_page(uid: str) -> Response:
    """One session's own page: when, where, its status, what to do first, add-to-calendar links.

    ``/sessions/<uid>.ics`` (the one-event calendar, :mod:`.feeds`) is another
    route: Werkzeug matches the rule with the static ``.ics`` part first. An
    unknown or malformed uid is the 404 page (``SessionNotFoundError``).
    """
    loaded = sources.loaded()
    schedule = loaded.schedule
    lang = params.negotiated_lang()
    session = schedule.session(uid)
    addresses = public.addresses()
    key = ("session-page", loaded.version, session.uid, lang, addresses.base_url, public.link_root())

    def make() -> Rendered:
        g.lang = lang
        model = session_model(schedule, session, lang, addresses)
        return rendered(render_template("session.html", lang=lang, **model.context()).encode())

    response = respond(render_cache().get(key, sources.settings().now(schedule.zone), make), "text/html", revalidate=True)
    response.vary.add("Accept-Language")
    response.content_language.add(lang)
    return response
