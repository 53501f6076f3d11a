"""Facts a schedule carries beside its sessions: contact, onboarding, text in several languages.

These are data of the schedule file (``[contact]``, ``[onboarding]``,
``[crisis]``), so another county states its own without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ScheduleError

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Contact", "Crisis", "Onboarding", "Text"]

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
"""The languages the product is translated into; text falls back to English."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of text in one or more languages, English required.

    >>> t = Text.of({"en": "Monday", "es": "lunes"})
    >>> t.get("es"), t.get("fr"), str(t)
    ('lunes', 'Monday', 'Monday')
    """

    items: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        langs = [lang for lang, _ in self.items]
        if DEFAULT_LANGUAGE not in langs:
            raise ScheduleError(
                f"needs an English ('{DEFAULT_LANGUAGE}') text", field=DEFAULT_LANGUAGE
            )
        for lang, value in self.items:
            if lang not in LANGUAGES:
                raise ScheduleError(
                    f"unknown language {lang!r}", field=lang, choices=LANGUAGES
                )
            if not isinstance(value, str):
                raise ScheduleError(f"expected text, got {value!r}", field=lang)

    @classmethod
    def of(cls, value: str | Mapping[str, str] | Text) -> Text:
        """Build from a plain string (English) or a mapping of language to text."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls(((DEFAULT_LANGUAGE, value),))
        if isinstance(value, Mapping):
            return cls(tuple(sorted(value.items())))
        raise ScheduleError(
            f"expected text or a table of languages ({', '.join(LANGUAGES)}), got {value!r}"
        )

    def get(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The text in ``lang``, falling back to English."""
        mapping = dict(self.items)
        return mapping.get(lang) or mapping[DEFAULT_LANGUAGE]

    def to_data(self) -> str | dict[str, str]:
        """A plain string when only English is given, else a language table."""
        if len(self.items) == 1:
            return self.items[0][1]
        return dict(self.items)

    def __str__(self) -> str:
        return self.get(DEFAULT_LANGUAGE)


def _email(value: str, name: str) -> None:
    if value and not _EMAIL.match(value):
        raise ScheduleError(f"{value!r} is not an email address", field=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """Who to ask: the HMIS administrator and the department's front desk."""

    hmis_email: str
    department: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    office_hours: Text = field(default_factory=lambda: Text.of(""))

    def __post_init__(self) -> None:
        if not self.hmis_email:
            raise ScheduleError("the administrator's email is required", field="hmis_email")
        _email(self.hmis_email, "hmis_email")
        _email(self.email, "email")


@dataclass(frozen=True, slots=True, kw_only=True)
class Crisis:
    """Where a person in a housing crisis gets help now."""

    name: str
    phone: str
    url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Onboarding:
    """How a new user gets to a session.

    ``facts`` are what a person sends in the first email (full name, ...);
    ``lms`` names the learning system whose videos and quiz come first.
    """

    email: str
    facts: tuple[Text, ...]
    lms: Text
    subject: Text = field(default_factory=lambda: Text.of("HMIS new user training"))

    def __post_init__(self) -> None:
        _email(self.email, "email")
        if not self.facts:
            raise ScheduleError("list at least one fact a new user sends", field="facts")
