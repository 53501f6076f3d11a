"""One parser per kind of value: an accepted input becomes one plain value, anything else a :class:`ScheduleError`.

Schedule files (:mod:`~hmis_schedule.files`), the schedule's own checks,
private links (:mod:`~hmis_schedule.private`), the feeds, the command line
and the server's settings and query parameters all read these kinds of value
through the functions here, so each kind is accepted the same way everywhere.
A layer that must answer in its own words (a 400 naming a query parameter, a
click usage error, a :class:`~hmis_schedule.web.settings.ConfigError`) wraps
the parser and rewords its error; it never parses the value a second way.

Every function takes the value and ``field``, the name the error gives (empty
inside a schedule file, where the reader puts the field path in front), and
raises :class:`ScheduleError` saying what is accepted. Where a library call
should take only the Python value, ``text=False`` refuses its text form.

No Flask here (``tests/test_layout.py``).

>>> day("2026-12-07", "date"), modality("in_person", "modality").value
(datetime.date(2026, 12, 7), 'in_person')
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from .errors import ScheduleError
from .rules import Modality

__all__ = ["MAX_URL", "aware_datetime", "day", "hostname", "https_url", "modality", "web_url", "whole_number"]

MAX_URL = 2048
"""The longest URL :func:`https_url` accepts, in characters."""

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URL_FORBIDDEN = frozenset('"<>\\^`{|}')
_LABEL = re.compile(r"[A-Za-z0-9-]{1,63}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def modality(value: object, field: str) -> Modality:
    """A :class:`Modality` from a Modality or its value (``"online"``, ``"in_person"``).

    Raises
    ------
    ScheduleError
        For anything else; the error lists the choices.

    >>> modality("online", "modality") is Modality.ONLINE
    True
    >>> modality("zoom", "modality")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: modality: unknown modality 'zoom' (expected one of 'online', 'in_person')
    """
    if isinstance(value, Modality):
        return value
    if isinstance(value, str):
        try:
            return Modality(value)
        except ValueError:
            pass
    raise ScheduleError(f"unknown modality {_show(value)}", field=field, choices=[m.value for m in Modality])


def aware_datetime(value: object, field: str, *, text: bool = True) -> datetime:
    """An aware datetime from an aware datetime or, unless ``text=False``, an ISO 8601 string with an offset.

    The value is returned as given (its offset or zone kept); a naive
    datetime, or a string without an offset, is refused: it names no instant.

    Raises
    ------
    ScheduleError
        For anything else.

    >>> aware_datetime("2026-11-23T09:00:00-08:00", "updated").isoformat()
    '2026-11-23T09:00:00-08:00'
    >>> aware_datetime("2026-11-23T09:00:00", "updated")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: updated: expected a date and time with an offset, such as 2026-11-23T09:00:00Z, got '2026-11-23T09:00:00'
    >>> aware_datetime("2026-11-23T09:00:00Z", "now", text=False)
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: now: expected an aware datetime, got '2026-11-23T09:00:00Z'
    """
    parsed = value
    if text and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if isinstance(parsed, datetime) and parsed.utcoffset() is not None:
        return parsed
    expected = "a date and time with an offset, such as 2026-11-23T09:00:00Z" if text else "an aware datetime"
    raise ScheduleError(f"expected {expected}, got {_show(value)}", field=field)


def whole_number(value: object, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` if it is an int (not a bool) from ``minimum`` to ``maximum`` (each included, each optional).

    Raises
    ------
    ScheduleError
        For anything else, saying the range.

    >>> whole_number(90, "past_days", minimum=0, maximum=3660)
    90
    >>> whole_number(True, "days", minimum=1, maximum=3650)
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: days: expected a whole number from 1 to 3650, got True
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        if minimum is not None and maximum is not None:
            bounds = f" from {minimum} to {maximum}"
        elif minimum is not None:
            bounds = f" of at least {minimum}"
        elif maximum is not None:
            bounds = f" of at most {maximum}"
        else:
            bounds = ""
        raise ScheduleError(f"expected a whole number{bounds}, got {_show(value)}", field=field)
    return value


def day(value: object, field: str, *, text: bool = True) -> date:
    """A date (not a datetime) from a date or, unless ``text=False``, a string ``YYYY-MM-DD``.

    Raises
    ------
    ScheduleError
        For anything else, a datetime included, or a day that does not exist.

    >>> day("2026-12-07", "date")
    datetime.date(2026, 12, 7)
    >>> day("2026-02-30", "date")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: date: expected a date such as 2026-12-07, got '2026-02-30'
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if text and isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleError(f"expected a date such as 2026-12-07, got {_show(value)}", field=field)


def https_url(value: object, field: str) -> str:
    """``value`` (stripped) if it is an absolute https URL with a host, else raise.

    No user name or password, port a number, at most :data:`MAX_URL`
    characters, no white space, control or unsafe characters (quotes, ``<>``,
    backslash...). The message never repeats the value: such a URL (a
    meeting's join link) is often a secret.

    Raises
    ------
    ScheduleError
        For anything else.

    >>> https_url(" https://teams.microsoft.com/l/meetup-join/abc ", "join_url")
    'https://teams.microsoft.com/l/meetup-join/abc'
    >>> https_url("http://teams.example.org/x", "join_url")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: join_url: expected an https URL ...
    """
    expected = (
        "expected an https URL such as https://teams.microsoft.com/l/meetup-join/..., "
        "without spaces or quotes (the value is not shown: it is a secret)"
    )
    if not isinstance(value, str):
        raise ScheduleError(expected, field=field)
    stripped = value.strip()
    if not stripped or len(stripped) > MAX_URL:
        raise ScheduleError(expected, field=field)
    if any(not c.isprintable() or c.isspace() or c in _URL_FORBIDDEN for c in stripped):
        raise ScheduleError(expected, field=field)
    try:
        parts = urlsplit(stripped)
        host = parts.hostname
        has_login = parts.username is not None or parts.password is not None
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ScheduleError(expected, field=field) from None
    if parts.scheme.lower() != "https" or not host or has_login:
        raise ScheduleError(expected, field=field)
    return stripped


def web_url(value: object, field: str) -> str:
    """``value`` (stripped) if it is empty or an absolute http or https URL with a host, else raise.

    For a public address written into feeds and pages (the schedule's
    ``url``): only printable ASCII, no white space or unsafe characters
    (quotes, ``<>``, backslash...), no user name or password, port a number,
    at most :data:`MAX_URL` characters. Plain http is accepted: the page is
    public and some county sites still serve it; a join link, which is a
    secret, takes :func:`https_url` instead. The error shows the value.

    Raises
    ------
    ScheduleError
        For anything else.

    >>> web_url(" https://www.clackamas.us/hmis ", "url")
    'https://www.clackamas.us/hmis'
    >>> web_url("", "url")
    ''
    >>> web_url("www.clackamas.us/hmis training", "url")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: url: expected an absolute http or https URL such as https://www.example.org/training, ...
    """
    if not isinstance(value, str):
        raise ScheduleError(f"expected text (an http or https URL), got {_show(value)}", field=field)
    stripped = value.strip()
    if not stripped:
        return ""
    expected = (
        "expected an absolute http or https URL such as https://www.example.org/training, "
        "in ASCII without spaces or quotes (percent-encode anything else)"
    )
    bad = (
        len(stripped) > MAX_URL
        or not stripped.isascii()
        or any(not c.isprintable() or c.isspace() or c in _URL_FORBIDDEN for c in stripped)
    )
    if not bad:
        try:
            parts = urlsplit(stripped)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            bad = True
        else:
            bad = (
                parts.scheme.lower() not in ("http", "https")
                or not parts.hostname
                or parts.username is not None
                or parts.password is not None
            )
    if bad:
        raise ScheduleError(f"{expected}, got {_show(value)}", field=field)
    return stripped


def hostname(value: object, field: str) -> str:
    """``value`` if it is a host name: letters, digits and hyphens in labels of 1 to 63, joined by dots.

    At most 253 characters in all, no trailing dot. (The schedule's
    ``uid_domain`` ends every UID: a ``;`` or ``,`` there would be escaped
    in the feed and read back differently by some calendar programs.)

    Raises
    ------
    ScheduleError
        For anything else.

    >>> hostname("hmis-training.clackamas.us", "uid_domain")
    'hmis-training.clackamas.us'
    >>> hostname("hmis;training.org", "uid_domain")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: uid_domain: expected a domain name such as 'hmis.example.org' ...
    """
    if (
        isinstance(value, str)
        and 0 < len(value) <= 253
        and all(_LABEL.fullmatch(label) for label in value.split("."))
    ):
        return value
    raise ScheduleError(
        "expected a domain name such as 'hmis.example.org' (letters, digits, hyphens and dots; "
        f"each part 1 to 63 characters, 253 in all), got {_show(value)}",
        field=field,
    )
