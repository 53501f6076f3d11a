"""Error answers: every error in the form its route speaks (JSON, plain text or a page), never a traceback.

A bad parameter is a 400 naming it; an unknown session a 404; Werkzeug's
HTTP errors keep their status (405 with its ``Allow``, 503 with its
``Retry-After`` when every render slot is taken); anything unexpected
is logged (with private tokens redacted) and answered with a plain 500.
Error answers are never cached.

An error page's links come from :func:`.public.link`, which cannot fail on a
request's host; if rendering the page fails anyway, the answer is plain
text. Every failure is logged by :func:`log_failure` in one line (a
failure that every request meets must not write a traceback per request).
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from hmis_schedule import SessionNotFoundError
from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.redact import redact

from . import params
from .params import BadParameter
from .responses import json_body

__all__ = ["init_app", "log_failure"]

log = logging.getLogger("hmis_schedule.server")

_TRACED: set[tuple[str, str]] = set()
"""The (exception type, place) pairs whose traceback this process has logged."""
_TRACED_MAX = 256
_traced_lock = threading.Lock()


def log_failure(what: str, err: BaseException) -> None:
    """Log that ``what`` failed with ``err``, in one line: the exception, its message and where it was raised.

    The traceback goes with that line only the first time this process meets
    that type of exception raised at that place (at most 256 such places), so
    a failure that every request meets writes one line each, not a traceback
    each. ``what`` and the message are redacted (:func:`~hmis_schedule.redact.redact`).
    """
    frames = traceback.extract_tb(err.__traceback__) if err.__traceback__ is not None else []
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    signature = (type(err).__qualname__, where)
    with _traced_lock:
        first = signature not in _TRACED and len(_TRACED) < _TRACED_MAX
        if first:
            _TRACED.add(signature)
    message = " ".join(str(err).split())[:300]
    log.error(
        "%s failed: %s: %s (at %s)",
        redact(what),
        type(err).__name__,
        redact(message),
        where,
        exc_info=(type(err), err, err.__traceback__) if first else None,
    )


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(BadParameter, _bad_parameter)
    app.register_error_handler(SessionNotFoundError, _not_found)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _kind() -> str:
    path = request.path
    if path.startswith("/api/") or path.endswith(".json") or path == "/healthz":
        return "json"
    if path.endswith((".ics", ".atom")):
        return "text"
    return "html"


def _error(status: int, title: str, message: str, parameter: str | None = None) -> Response:
    kind = _kind()
    if kind == "json":
        error: dict[str, object] = {"status": status, "title": title, "message": message}
        if parameter is not None:
            error["parameter"] = parameter
        response = Response(json_body({"error": error}), status=status, mimetype="application/json")
    elif kind == "text":
        response = Response(f"{status} {title}\n{message}\n", status=status, mimetype="text/plain")
    else:
        try:
            lang = params.negotiated_lang()
        except BadParameter:
            lang = DEFAULT_LANGUAGE
        g.lang = lang
        try:
            html = render_template("error.html", lang=lang, status=status, title=title, message=message)
        except Exception as err:  # the answer must not fail too: say it in plain text
            log_failure(f"error page for {request.method} {request.path}", err)
            response = Response(f"{status} {title}\n{message}\n", status=status, mimetype="text/plain")
        else:
            response = Response(html, status=status, mimetype="text/html")
    response.cache_control.no_store = True
    return response


def _bad_parameter(err: BadParameter) -> Response:
    return _error(400, "Bad Request", f"{err.parameter}: {err.message}", err.parameter)


def _not_found(err: SessionNotFoundError) -> Response:
    return _error(404, "Not Found", "No session has this id. The schedule may have changed: see the public page.")


def _http_error(err: HTTPException) -> Response:
    code = err.code or 500
    response = _error(code, err.name, err.description or err.name)
    for name, value in err.get_headers():
        if name.lower() in ("allow", "retry-after"):  # 405's methods, 503's wait (a render slot: cache.Busy)
            response.headers[name] = value
    return response


def _unexpected(err: Exception) -> Response:
    log_failure(f"{request.method} {request.path}", err)
    return _error(500, "Internal Server Error", "Something went wrong on our side. Please try again later.")
