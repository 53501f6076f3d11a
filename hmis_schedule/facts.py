"""Facts a schedule carries beside its sessions: contact, onboarding, online joining, text in several languages.

These are data of the schedule file (``[contact]``, ``[onboarding]``,
``[online]``, ``[crisis]``), so another county states its own words, in
English and Spanish, without touching code: the product's own words (the
page's headings, "Next session", "Subscribe") are in the gettext catalogs,
every word about a county is here. Each is optional beyond what a sentence
cannot do without; what a file leaves out, the page and feeds leave out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ScheduleError
from .values import web_url

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LMS_MARK", "Contact", "Crisis", "Onboarding", "Online", "Step", "Text"]

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

    def __bool__(self) -> bool:
        """Whether there is any text (an empty English text is none)."""
        return any(value for _, value in self.items)


def _text(value: Text | str) -> Text:
    return value if isinstance(value, Text) else Text.of(value)


def _empty() -> Text:
    return Text.of("")


def _email(value: str, name: str) -> None:
    if value and not _EMAIL.match(value):
        raise ScheduleError(f"{value!r} is not an email address", field=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """Who to ask: the HMIS administrator and the department's front desk."""

    hmis_email: str
    department: Text = field(default_factory=_empty)
    """The organisation and department people deal with (a plain string is English)."""
    phone: str = ""
    email: str = ""
    address: str = ""
    office_hours: Text = field(default_factory=_empty)
    hmis_title: Text = field(default_factory=_empty)
    """Who ``hmis_email`` reaches, e.g. "HMIS administrator" (the page's label before the address)."""

    def __post_init__(self) -> None:
        for name in ("department", "office_hours", "hmis_title"):
            object.__setattr__(self, name, _text(getattr(self, name)))
        if not self.hmis_email:
            raise ScheduleError("the administrator's email is required", field="hmis_email")
        _email(self.hmis_email, "hmis_email")
        _email(self.email, "email")


@dataclass(frozen=True, slots=True, kw_only=True)
class Crisis:
    """Where a person in a housing crisis gets help now."""

    name: Text
    """The service's name (a plain string is English)."""
    phone: str
    url: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text(self.name))


LMS_MARK = "{lms}"
"""Where a step's or ``feed_text``'s words name the LMS: replaced by its name (a link on the page when it has a URL)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of getting started: a short ``title`` (shown in bold) and the ``text`` after it.

    Either may name the LMS with ``{lms}`` (:data:`LMS_MARK`).
    """

    title: Text
    text: Text = field(default_factory=_empty)

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _text(self.title))
        object.__setattr__(self, "text", _text(self.text))
        if not self.title:
            raise ScheduleError("a step needs a title", field="title")


@dataclass(frozen=True, slots=True, kw_only=True)
class Onboarding:
    """How a new user gets to a session.

    The first step is an email to ``email`` (titled ``email_step``) holding
    ``facts`` (full name, ...); the other ``steps`` follow in order. ``lms``
    names the learning system whose videos and quiz come first (``lms_url``
    its address); ``feed_text`` is the line every calendar event carries
    about what comes before a session. All optional: what is left out is
    not shown.
    """

    email: str = ""
    facts: tuple[Text, ...] = ()
    lms: Text = field(default_factory=_empty)
    lms_url: str = ""
    subject: Text = field(default_factory=lambda: Text.of("HMIS new user training"))
    email_step: Text = field(default_factory=_empty)
    steps: tuple[Step, ...] = ()
    feed_text: Text = field(default_factory=_empty)

    def __post_init__(self) -> None:
        for name in ("lms", "subject", "email_step", "feed_text"):
            object.__setattr__(self, name, _text(getattr(self, name)))
        object.__setattr__(self, "facts", tuple(_text(f) for f in self.facts))
        _email(self.email, "email")
        if self.facts and not self.email:
            raise ScheduleError("the facts are what a new user emails: say where, with email", field="email")
        object.__setattr__(self, "lms_url", web_url(self.lms_url, "lms_url"))
        if not self.lms:
            for where, texts in (
                ("feed_text", (self.feed_text,)),
                *((f"steps[{i}]", (s.title, s.text)) for i, s in enumerate(self.steps)),
            ):
                if any(LMS_MARK in value for t in texts for _, value in t.items):
                    raise ScheduleError(f"says {LMS_MARK} but the file names no lms", field=where)

    def with_lms(self, value: Text, lang: str) -> str:
        """``value`` in ``lang`` with ``{lms}`` replaced by the LMS's name.

        >>> o = Onboarding(lms=Text.of({"en": "the LMS", "es": "el LMS"}))
        >>> o.with_lms(Text.of({"en": "Pass the quiz in {lms}.", "es": "Apruebe la prueba en {lms}."}), "es")
        'Apruebe la prueba en el LMS.'
        """
        return value.get(lang).replace(LMS_MARK, self.lms.get(lang))


@dataclass(frozen=True, slots=True, kw_only=True)
class Online:
    """How people join an online session: all optional, each left out where it is not given.

    ``platform`` ("Microsoft Teams") names the meeting platform in the
    page's legend ("Online (Microsoft Teams)"); ``join`` says how and when
    the link arrives, after a session's place on the page ("Microsoft Teams
    (the link is emailed to you after the LMS steps)"); ``feed_text`` is the
    line the public feeds' online events carry about it (private feeds carry
    the link itself instead).
    """

    platform: Text = field(default_factory=_empty)
    join: Text = field(default_factory=_empty)
    feed_text: Text = field(default_factory=_empty)

    def __post_init__(self) -> None:
        for name in ("platform", "join", "feed_text"):
            object.__setattr__(self, name, _text(getattr(self, name)))
