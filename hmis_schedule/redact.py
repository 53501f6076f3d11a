"""Keep private-feed tokens out of logs.

A private link's token is its password, so no log line may hold it. Access
logs write the request line (``GET /private/<token>/calendar.ics HTTP/1.1``),
error logs write the request's URI when something fails, and the app writes
the path of an unexpected error. :func:`redact` replaces everything after
``/private/`` (up to the next space or quote) with ``[redacted]``, in plain or
percent-encoded form and in any case; :class:`RedactFilter` applies it to each
log record's message and traceback; :func:`guard` puts the filter on loggers
and their handlers.

The gunicorn configuration (``gunicorn.conf.py``, used by ``make serve`` and
``hmis-schedule serve``) guards gunicorn's error and access logs and sends
the app's own log (``hmis_schedule``) through gunicorn's error log.

>>> redact('127.0.0.1 - - "GET /private/eyJsIjoiYSJ9.aS0aBQ.c2ln/calendar.ics?lang=es HTTP/1.1" 200')
'127.0.0.1 - - "GET /private/[redacted] HTTP/1.1" 200'
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactFilter", "guard", "redact"]

REDACTED = "[redacted]"
"""What a token is replaced with."""

_PRIVATE = re.compile(r"(?:/|%2f)private(?:/|%2f)[^\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with everything after each ``/private/`` (to the next space or quote) replaced.

    Parameters
    ----------
    text:
        A log line, a path or a URL.

    Returns
    -------
    The text with no token left in it; text without ``/private/`` is unchanged.

    >>> redact("/private%2Fabc.def%2Fonline.ics")
    '/private/[redacted]'
    >>> redact("/calendar.ics?lang=es")
    '/calendar.ics?lang=es'
    """
    return _PRIVATE.sub(f"/private/{REDACTED}", text)


class RedactFilter(logging.Filter):
    """A logging filter that :func:`redact` s each record's message and traceback (it drops nothing).

    >>> record = logging.LogRecord("x", logging.INFO, "", 0, "GET %s", ("/private/tok/calendar.ics",), None)
    >>> RedactFilter().filter(record), record.getMessage()
    (True, 'GET /private/[redacted]')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place: its message formatted and redacted, its traceback text redacted."""
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is logging's problem to report
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def guard(*loggers: logging.Logger) -> None:
    """Put one :class:`RedactFilter` on each logger and on each of its handlers (again: no-op).

    >>> log = logging.getLogger("hmis_schedule.redact.example")
    >>> guard(log); guard(log)
    >>> sum(isinstance(f, RedactFilter) for f in log.filters)
    1
    """
    for logger in loggers:
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactFilter) for f in target.filters):
                target.addFilter(RedactFilter())
