"""Error answers: every error in the form its route speaks (JSON, plain text or a page), never a traceback.

A bad parameter is a 400 naming it; an unknown session a 404; Werkzeug's
HTTP errors keep their status (405 with its ``Allow``, 503 with its
``Retry-After`` when every render slot is taken); anything unexpected
is logged (with private tokens redacted) and answered with a plain 500.
Error answers are never cached.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from hmis_schedule import SessionNotFoundError
from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.redact import redact

from . import params
from .params import BadParameter
from .responses import json_body

__all__ = ["init_app"]

log = logging.getLogger("hmis_schedule.server")


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
    if path.endswith(".ics"):
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
        html = render_template("error.html", lang=lang, status=status, title=title, message=message)
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
    log.exception("unexpected error on %s", redact(request.path))
    return _error(500, "Internal Server Error", "Something went wrong on our side. Please try again later.")
