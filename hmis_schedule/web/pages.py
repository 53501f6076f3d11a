"""The HTML routes: the public page and the embeddable widget.

What they show is the library's (:func:`hmis_schedule.overview.overview` and
:func:`hmis_schedule.page.page_model`); this module picks the language,
renders the template and caches the bytes until the page's "next session"
changes.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template

from hmis_schedule.overview import overview
from hmis_schedule.page import page_model

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

    response = respond(render_cache().get(key, now, make), "text/html")
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
