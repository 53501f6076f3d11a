"""The OpenAPI 3.1 description of the server's routes (``GET /openapi.json``).

Pure data: no Flask. ``tests/test_openapi.py`` validates it with
openapi-spec-validator, ``tests/test_web_api.py`` checks the app's responses
against it, and ``tests/test_schemathesis.py`` calls every described
operation with generated input, so it stays true to :mod:`hmis_schedule.web`.
"""

from __future__ import annotations

from typing import Any

from .facts import DEFAULT_LANGUAGE, LANGUAGES
from .rules import Modality
from .schedule import FeedSettings
from .session import Status

__all__ = ["openapi_spec"]


def openapi_spec(base_url: str = "", *, feed: FeedSettings) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the app's routes (a test keeps it true).

    Parameters
    ----------
    base_url:
        The public root the description's ``servers`` entry names (none if empty).
    feed:
        The served schedule's ``[feed]`` settings: the default window and the
        longest one are described from them, never repeated here.

    Returns
    -------
    The description, as JSON-ready data.

    >>> spec = openapi_spec(feed=FeedSettings(past_days=30))
    >>> sorted(spec["paths"])[:2]
    ['/', '/api/next.json']
    >>> spec["paths"]["/calendar.ics"]["get"]["parameters"][1]["description"]
    'First day (inclusive, YYYY-MM-DD); default 30 days before today.'
    """
    text = {"type": "string"}
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of names and descriptions.",
        "schema": {"type": "string", "enum": list(LANGUAGES), "default": DEFAULT_LANGUAGE},
    }
    page_lang = {
        **lang,
        "description": f"Page language ({', '.join(LANGUAGES)}); without it, or with any other value, "
        "the best match of Accept-Language (a page never refuses a language).",
    }
    page_lang["schema"] = {"type": "string", "examples": list(LANGUAGES)}
    day = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    # parameters take years 1900-2199 only (_YEARS); responses may name the day after 2199-12-31
    day_param = {**day, "pattern": r"^(19|2[01])\d{2}-\d{2}-\d{2}$"}
    window = [
        {"name": "from", "in": "query", "required": False, "schema": day_param,
         "description": f"First day (inclusive, YYYY-MM-DD); default {feed.past_days} days before today."},
        {"name": "to", "in": "query", "required": False, "schema": day_param,
         "description": f"Last day (inclusive, YYYY-MM-DD); default {feed.future_months} months after today; "
                        f"at most {feed.max_years} years after from."},
    ]  # fmt: skip
    modality = {
        "name": "modality",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": [m.value for m in Modality]},
    }
    status = {
        "name": "status",
        "in": "query",
        "required": False,
        "description": "Only sessions with this status; default both.",
        "schema": {"type": "string", "enum": [s.value for s in Status]},
    }

    def problem(kind: str) -> dict[str, Any]:
        if kind == "json":
            return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if kind == "text":
            return {"content": {"text/plain": {"schema": text}}}
        return {"content": {"text/html": {"schema": text}}}

    def calendar(summary: str, params: list[dict[str, Any]], not_found: bool | str = False) -> dict[str, Any]:
        responses: dict[str, Any] = {
            "200": {
                "description": "An iCalendar (RFC 5545) file.",
                "headers": {"ETag": {"schema": text}, "Last-Modified": {"schema": text}},
                "content": {"text/calendar": {"schema": text}},
            },
            "304": {"description": "Not modified (If-None-Match or If-Modified-Since)."},
            "400": {"description": "A parameter is not valid; the message names it.", **problem("text")},
        }
        if not_found:
            why = not_found if isinstance(not_found, str) else "No session has this uid."
            responses["404"] = {"description": why, **problem("text")}
        return {"get": {"summary": summary, "parameters": params, "responses": responses}}

    def json_route(summary: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                        },
                    },
                    "304": {"description": "Not modified."},
                    "400": {
                        "description": "A parameter is not valid; the message names it.",
                        **problem("json"),
                    },
                },
            }
        }

    def page(summary: str, path: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        responses: dict[str, Any] = {
            "200": {"description": "An HTML page.", "content": {"text/html": {"schema": text}}},
            "304": {"description": "Not modified."},
        }
        if path:
            responses["404"] = {"description": "No session has this uid (an HTML page).", **problem("html")}
        return {"get": {"summary": summary, "parameters": [*(path or []), page_lang], "responses": responses}}

    nullable_text = {"type": "string"}
    session = {
        "type": "object",
        "required": [
            "uid", "slot", "date", "start", "end", "modality", "location", "room",
            "status", "reason", "sequence", "summary", "notes", "original_date", "moved", "ics_url",
        ],
        "additionalProperties": False,
        "properties": {
            "uid": {"type": "string", "description": "Stable id: slot, planned date and domain."},
            "slot": {"type": "string"},
            "date": {**day, "description": "The day it takes place, in the schedule's time zone."},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "modality": {"type": "string", "enum": [m.value for m in Modality]},
            "location": nullable_text,
            "room": nullable_text,
            "status": {"type": "string", "enum": [s.value for s in Status]},
            "reason": {"type": "string", "description": "Why it is cancelled (empty when scheduled)."},
            "sequence": {"type": "integer", "minimum": 0},
            "summary": {"type": "string"},
            "notes": {"type": "string"},
            "original_date": {**day, "description": "The date first planned (a moved session keeps it)."},
            "moved": {"type": "boolean", "description": "Whether it takes place at another date or time than planned."},
            "ics_url": {"type": "string", "format": "uri"},
        },
    }  # fmt: skip
    about = {
        "schedule": {"type": "string", "description": "The schedule's id."},
        "name": text,
        "timezone": {"type": "string", "description": "IANA time zone of the schedule."},
        "updated": {
            "type": "string",
            "format": "date-time",
            "description": "When the schedule last changed.",
        },
        "version": {"type": "string", "description": "Changes whenever the schedule does."},
        "url": {"type": "string", "description": "The public page."},
    }
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "hmis-schedule",
            "version": "1",
            "description": "Training sessions as calendar feeds and JSON. Dates in parameters are inclusive.",
        },
        "paths": {
            "/": page("The public page: next sessions, month calendar, subscribe links, how to start."),
            "/embed": page("A compact widget for an iframe: next sessions and a subscribe link."),
            "/calendar.ics": calendar("Every session (cancelled ones marked cancelled).", [lang, *window]),
            "/calendar/online.ics": calendar("Online sessions only.", [lang, *window]),
            "/calendar/in-person.ics": calendar("In-person sessions only.", [lang, *window]),
            "/sessions/{uid}": page(
                "One session's own page: when, where, status, notes, what to do first, add-to-calendar links, "
                "schema.org Event data.",
                [{"name": "uid", "in": "path", "required": True, "schema": text}],
            ),
            "/sessions/{uid}/google": {
                "get": {
                    "summary": "A redirect to Google Calendar's form with this session filled in "
                    "(the page's Add to Google Calendar link).",
                    "parameters": [{"name": "uid", "in": "path", "required": True, "schema": text}, lang],
                    "responses": {
                        "302": {
                            "description": "To https://calendar.google.com/calendar/render with the session's "
                            "title, times, description and place.",
                            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                        },
                        "304": {"description": "Not modified."},
                        "400": {"description": "A parameter is not valid (an HTML page naming it).", **problem("html")},
                        "404": {"description": "No session has this uid (an HTML page).", **problem("html")},
                    },
                }
            },
            "/sessions/{uid}.ics": calendar(
                "One session, for Add to calendar.",
                [{"name": "uid", "in": "path", "required": True, "schema": text}, lang],
                not_found=True,
            ),
            **{
                f"/private/{{token}}/{name}": calendar(
                    f"{what} Online sessions carry the meeting's join URL (URL, DESCRIPTION, CONFERENCE). "
                    "A private link made by `hmis-schedule private-link`; the default window (as a subscription); "
                    "never cached by shared caches.",
                    [{"name": "token", "in": "path", "required": True, "schema": text}, lang],
                    not_found="Not found, the same answer for any token that is missing, not valid, "
                    "expired or revoked, and when private feeds are off.",
                )
                for name, what in (
                    ("calendar.ics", "Every session (cancelled ones marked cancelled)."),
                    ("online.ics", "Online sessions only."),
                )
            },
            "/api/sessions.json": json_route(
                "Sessions in a window (default as the feeds).",
                [
                    *window,
                    modality,
                    status,
                    lang,
                ],
                "SessionList",
            ),
            "/api/sessions.csv": {
                "get": {
                    "summary": "The sessions of /api/sessions.json (same parameters, same records) as CSV: "
                    "one row per session, one column per field in the record's order; a cell starting with "
                    "= + - @ gets a leading apostrophe (spreadsheet-safe).",
                    "parameters": [*window, modality, status, lang],
                    "responses": {
                        "200": {
                            "description": "UTF-8 CSV (RFC 4180) with a byte-order mark and a header row.",
                            "headers": {"ETag": {"schema": text}, "Content-Disposition": {"schema": text}},
                            "content": {"text/csv": {"schema": text}},
                        },
                        "304": {"description": "Not modified."},
                        "400": {"description": "A parameter is not valid; the message names it.", **problem("json")},
                    },
                }
            },
            "/feed.atom": {
                "get": {
                    "summary": "An Atom feed (RFC 4287) of the next sessions and of recent changes "
                    "(cancellations, moves, added sessions), for feed readers.",
                    "parameters": [lang],
                    "responses": {
                        "200": {
                            "description": "An Atom feed.",
                            "headers": {"ETag": {"schema": text}, "Last-Modified": {"schema": text}},
                            "content": {"application/atom+xml": {"schema": text}},
                        },
                        "304": {"description": "Not modified (If-None-Match or If-Modified-Since)."},
                        "400": {"description": "A parameter is not valid; the message names it.", **problem("text")},
                    },
                }
            },
            "/api/next.json": json_route(
                "The next session that takes place.",
                [
                    modality,
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "description": "An instant with its offset (default now), years 1900 to 2199.",
                        "schema": {
                            "type": "string",
                            "format": "date-time",
                            "pattern": r"^(19|2[01])\d{2}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
                        },
                    },
                    lang,
                ],
                "Next",
            ),
            "/openapi.json": {
                "get": {
                    "summary": "This description.",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "304": {"description": "Not modified."},
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "ok, or degraded while a followed file cannot be used (the reason is logged), the version of the schedule being served and the tz data release.",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
                            },
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Session": session,
                "SessionList": {
                    "type": "object",
                    "required": [*about, "window", "sessions"],
                    "additionalProperties": False,
                    "properties": {
                        **about,
                        "window": {
                            "type": "object",
                            "required": ["start", "end"],
                            "additionalProperties": False,
                            "properties": {
                                "start": {**day, "description": "First day of the window (inclusive)."},
                                "end": {**day, "description": "Day after the window (exclusive)."},
                            },
                        },
                        "sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}},
                    },
                },
                "Next": {
                    "type": "object",
                    "required": [*about, "after", "session"],
                    "additionalProperties": False,
                    "properties": {
                        **about,
                        "after": {"type": "string", "format": "date-time"},
                        "session": {"oneOf": [{"$ref": "#/components/schemas/Session"}, {"type": "null"}]},
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "version", "tzdata"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "degraded"]},
                        "version": text,
                        "tzdata": {
                            "type": "string",
                            "description": "The IANA tz data release every time is placed with, such as 2025b.",
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "title", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "title": text,
                                "message": text,
                                "parameter": {"type": "string", "description": "The parameter at fault."},
                            },
                        }
                    },
                },
            }
        },
    }
    if base_url:
        spec["servers"] = [{"url": base_url}]
    return spec
