"""Templates: Jinja's gettext in the request's language, Babel's date filters and versioned static files.

The page's messages are the gettext domain ``web``, in catalogs under
``hmis_schedule/web/translations/`` (``make messages`` extracts them); dates
and times are formatted by Babel in the page's language.
"""

from __future__ import annotations

from datetime import date, datetime
from hashlib import sha256
from pathlib import Path

from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, g
from markupsafe import Markup

from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.flyer import qr_svg
from hmis_schedule.i18n import translations

from . import public

__all__ = ["STATIC", "TEMPLATES", "TRANSLATIONS", "gettext", "init_app", "ngettext"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
"""The page templates."""
STATIC = HERE / "static"
"""The stylesheet, script and icon."""
TRANSLATIONS = HERE / "translations"
"""The pages' gettext catalogs (domain ``web``)."""


def _lang() -> str:
    return str(g.get("lang", DEFAULT_LANGUAGE))


def _gettext(message: str) -> str:
    """Translate ``message`` into the current request's language (Jinja formats the variables)."""
    return translations(_lang(), "web", TRANSLATIONS).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_lang(), "web", TRANSLATIONS).ngettext(singular, plural, n)


gettext = _gettext
"""``message`` in the current request's language (domain ``web``), for the routes' own sentences."""
ngettext = _ngettext
"""The singular or plural of a message in the current request's language."""


def long_date(day: date) -> str:
    """``Monday, December 7, 2026`` in the page's language."""
    return format_date(day, "full", locale=_lang())


def short_date(day: date) -> str:
    """``Mon, Dec 7`` (Spanish ``lun, 7 dic``): the language's own short form (Babel's skeleton ``MMMEd``)."""
    return format_skeleton("MMMEd", day, locale=_lang())


def month_title(day: date) -> str:
    """``December 2026`` (Spanish ``diciembre de 2026``): the language's own form (Babel's skeleton ``yMMMM``)."""
    return format_skeleton("yMMMM", day, locale=_lang())


def clock_time(moment: datetime) -> str:
    """The wall-clock time of ``moment`` in its own zone, in the page's language."""
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=_lang())


def qr_code(data: str, title: str) -> Markup:
    """``data`` as a QR code, inline SVG for the printed page (:func:`hmis_schedule.flyer.qr_svg`; segno escapes ``title``)."""
    return Markup(qr_svg(data, title=title))  # segno writes the markup and escapes the title


def init_app(app: Flask) -> None:
    """Install gettext, the date filters, ``static_url`` and ``link`` in ``app``'s Jinja environment.

    Templates write their links with ``link(endpoint)`` (:func:`.public.link`),
    not ``url_for``: it never depends on the request's host.
    """
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # ``tojson`` (the page's schema.org data) without spaces after separators: the page's weight counts
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    static_versions: dict[str, str] = {}

    def static_url(filename: str) -> str:
        """The URL of a static file, with a version from its content so it can be cached for long."""
        if filename not in static_versions:
            data = (STATIC / filename).read_bytes()
            static_versions[filename] = sha256(data).hexdigest()[:10]
        return public.link("static", filename=filename, v=static_versions[filename])

    app.jinja_env.globals.update(static_url=static_url, link=public.link, qr_code=qr_code)
    app.jinja_env.filters.update(
        long_date=long_date, short_date=short_date, month_title=month_title, clock_time=clock_time
    )
