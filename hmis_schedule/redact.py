"""Keep private-feed tokens out of logs.

A private link's token is its password, so no log line may hold it. Access
logs write the request line (``GET /private/<token>/calendar.ics HTTP/1.1``),
error logs write the request's URI when something fails, and the app writes
the path of an unexpected error. :func:`redact` replaces everything after
``/private`` (up to the next space or quote) with ``[redacted]``, whatever
the case and the percent-encoding (any character of ``/private``, encoded
once or more: ``/%70rivate/``, ``%2Fprivate%2F``, ``/%2570rivate``), after
any number of slashes; then any token-shaped string left (three dot-joined
base64url parts, the last of 27 or more characters: a signed link's shape)
anywhere in the line. It errs on the side of hiding: ``/privately`` is
redacted too. :class:`RedactFilter` applies it to each log record's message
and traceback; :func:`guard` puts the filter on loggers and their handlers
(a logger's filter sees only the records logged on that very logger, so
each logger the app writes to is guarded, not only their parent).

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



def _encoded(char: str) -> str:
    """A pattern for ``char`` (in either case) as itself or percent-encoded, once or more (``%70``, ``%2570``...)."""
    codes = "|".join(sorted({f"{ord(c):02x}" for c in (char.lower(), char.upper())}))
    return rf"(?:{re.escape(char)}|%(?:25)*(?:{codes}))"


_SLASH = rf"(?:{_encoded('/')}|{_encoded(chr(92))})"  # a backslash too: never served, but logged
_PRIVATE = re.compile(_SLASH + "".join(_encoded(c) for c in "private") + r"[^\s\"']*", re.IGNORECASE)
_B64 = r"(?:[A-Za-z0-9_-]|%(?:25)*(?!2e)[0-9A-Fa-f]{2})"  # a base64url character, maybe encoded (not a dot)
_DOT = _encoded(".")
_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9_%.-]){_DOT}?{_B64}++{_DOT}{_B64}++{_DOT}(?:{_B64}){{27,}}+(?![A-Za-z0-9_%-])",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with everything after each ``/private`` (to the next space or quote) and every token replaced.

    Parameters
    ----------
    text:
        A log line, a path or a URL.

    Returns
    -------
    The text with no token left in it; text without ``/private/`` is unchanged.

    >>> redact("/private%2Fabc.def%2Fonline.ics")
    '/private/[redacted]'
    >>> redact("GET /%70rivate/abc.def/calendar.ics HTTP/1.1")
    'GET /private/[redacted] HTTP/1.1'
    >>> redact("bad signature: eyJsIjoiYSJ9.aS0aBQ.gwONd1rp2KaaL7cdhNuhKfI2kIFn3iNepuKgjeEZLa8")
    'bad signature: [redacted]'
    >>> redact("/calendar.ics?lang=es")
    '/calendar.ics?lang=es'
    """
    return _TOKEN.sub(REDACTED, _PRIVATE.sub(f"/private/{REDACTED}", text))


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
