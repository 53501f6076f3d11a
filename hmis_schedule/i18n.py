"""Translations and locale-aware formatting, from standard gettext catalogs (Babel).

Catalogs are ordinary ``.po`` files under ``hmis_schedule/locale/<lang>/LC_MESSAGES/``
so translators use the usual tools (Poedit, Weblate, ``pybabel``). They are
compiled in memory when first used, so there is no build step and no ``.mo``
file to forget. English is the source language and needs no catalog.

>>> t = translations("es", "feed", LOCALE_DIR)
>>> t.gettext("no such message") == "no such message"
True
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from .errors import ScheduleError
from .facts import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["LOCALE_DIR", "check_language", "translations"]

LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the library's own catalogs live."""


def check_language(lang: object, field: str = "lang") -> str:
    """Return ``lang`` if it is one of :data:`~hmis_schedule.facts.LANGUAGES`, else raise.

    >>> check_language("es")
    'es'
    """
    if lang not in LANGUAGES:
        raise ScheduleError(f"unknown language {lang!r}", field=field, choices=LANGUAGES)
    assert isinstance(lang, str)
    return lang


@functools.cache
def translations(lang: str, domain: str, directory: Path = LOCALE_DIR) -> NullTranslations:
    """The translations of ``domain`` into ``lang`` from ``directory`` (cached).

    Parameters
    ----------
    lang:
        One of :data:`~hmis_schedule.facts.LANGUAGES`.
    domain:
        The catalog's name: ``<directory>/<lang>/LC_MESSAGES/<domain>.po``.
    directory:
        The locale folder (the library's own by default; the web app passes its own).

    Returns
    -------
    Babel translations; for English, or a language without that catalog,
    ones that return every message unchanged.
    """
    check_language(lang)
    po = directory / lang / "LC_MESSAGES" / f"{domain}.po"
    if lang == DEFAULT_LANGUAGE or not po.is_file():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)
