"""Query parameters: each one read once, checked, and turned into the library's values.

Anything not accepted raises :class:`BadParameter`, which the error handlers
answer with a 400 naming the parameter and what it accepts. Dates in URLs are
inclusive (``from=2027-01-01&to=2027-01-31``); :func:`window` turns them
into the library's half-open window.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask import request

from hmis_schedule import (
    LANGUAGES,
    Modality,
    Schedule,
    ScheduleError,
    Status,
    Window,
    WindowError,
    feed_window,
)
from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.values import aware_datetime, day

__all__ = [
    "MAX_PARAMETER",
    "BadParameter",
    "after",
    "lang",
    "modality",
    "negotiated_lang",
    "status",
    "window",
]

MAX_PARAMETER = 100
"""The longest query parameter value accepted, in characters."""

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_YEARS = (1900, 2199)


class BadParameter(Exception):
    """A query parameter is not valid: answered with 400 naming it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter(name, f"given {len(values)} times; give it once")
    value = values[0]
    if len(value) > MAX_PARAMETER:
        raise BadParameter(name, f"too long ({len(value)} characters; at most {MAX_PARAMETER})")
    return value


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = _one(name)
    if value is not None and value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise BadParameter(name, f"unknown value {_show(value)}; expected one of {accepted}")
    return value


def lang() -> str:
    """``?lang=``, English when it is not given."""
    return _choice("lang", LANGUAGES) or DEFAULT_LANGUAGE


def negotiated_lang() -> str:
    """A page's language: ``?lang=`` if it names one, else the best of ``Accept-Language``, else English.

    Never raises: a page asked for in a language it does not speak
    (``?lang=fr``, ``lang`` given twice or too long) is shown in the
    negotiated one, where feeds and JSON (:func:`lang`) answer 400.
    """
    values = request.args.getlist("lang")
    if len(values) == 1 and values[0] in LANGUAGES:
        return values[0]
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def modality() -> str | None:
    """``?modality=online|in_person``, or ``None``."""
    return _choice("modality", tuple(m.value for m in Modality))


def status() -> str | None:
    """``?status=scheduled|cancelled``, or ``None``."""
    return _choice("status", tuple(s.value for s in Status))


def _date(name: str) -> date | None:
    value = _one(name)
    if value is None:
        return None
    expected = f"expected a date YYYY-MM-DD from {_YEARS[0]} to {_YEARS[1]}"
    if not _DATE.match(value):
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    try:
        parsed = day(value, name)
    except ScheduleError:
        raise BadParameter(name, f"no such date {_show(value)}; {expected}") from None
    if not _YEARS[0] <= parsed.year <= _YEARS[1]:
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    return parsed


def after() -> datetime | None:
    """``?after=`` as an aware datetime, or ``None``."""
    name = "after"
    value = _one(name)
    if value is None:
        return None
    expected = "expected a date and time with an offset, such as 2026-12-07T09:00:00-08:00"
    if not _DATETIME.match(value):
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    try:
        moment = aware_datetime(value, name)
    except ScheduleError:
        raise BadParameter(name, f"no such date and time {_show(value)}; {expected}") from None
    if not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise BadParameter(name, f"year out of range {_YEARS[0]}-{_YEARS[1]}: {_show(value)}")
    return moment


def window(schedule: Schedule, today: date) -> Window:
    """The half-open :class:`~hmis_schedule.Window` of the inclusive ``from``/``to`` parameters.

    Each one left out takes the schedule's ``[feed]`` default; the window is
    checked here, once, and passed on as it is.
    """
    first = _date("from")
    last = _date("to")
    end = None if last is None else last + timedelta(days=1)
    if first is not None and last is not None and last < first:
        raise BadParameter("to", f"must not be before from ({first.isoformat()})")
    try:
        return feed_window(schedule, today, first, end)
    except WindowError as err:
        name = {"start": "from", "end": "to"}.get(err.field, err.field or "to")
        raise BadParameter(name, err.message) from None
