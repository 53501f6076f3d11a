"""The JSON routes: sessions in a window (also as CSV), the next session, health, and the OpenAPI description."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, Response

from hmis_schedule import Status
from hmis_schedule.addresses import CSV_PATH
from hmis_schedule.openapi import openapi_spec
from hmis_schedule.record import schedule_info, session_record
from hmis_schedule.session import local_datetime
from hmis_schedule.table import to_csv
from hmis_schedule.zones import tzdata_version

from . import params, public, sources
from .cache import Rendered, render_cache, rendered
from .responses import json_body, respond

__all__ = ["bp"]

bp = Blueprint("api", __name__)


@bp.get("/api/sessions.json")
def api_sessions() -> Response:
    """Sessions in a window as JSON, cancelled ones with their reason unless ``status=scheduled``."""
    return _sessions(csv=False)


@bp.get(CSV_PATH)
def api_sessions_csv() -> Response:
    """The same sessions as ``/api/sessions.json`` (same parameters, same records) as CSV, for spreadsheets."""
    return _sessions(csv=True)


def _sessions(*, csv: bool) -> Response:
    """Sessions in a window, as the JSON document or as CSV rows (:mod:`hmis_schedule.table`) of the same records."""
    loaded = sources.loaded()
    schedule = loaded.schedule
    now = sources.settings().now(schedule.zone)
    today = schedule.today(now)
    lang = params.lang()
    modality = params.modality()
    status = params.status()
    window = params.window(schedule, today)
    base = public.base_url()
    key = ("api-sessions-csv" if csv else "api-sessions", loaded.version, today, window, modality, status, lang, base)

    def make() -> Rendered:
        sessions = schedule.sessions_between(
            window.start, window.end, modality=modality, include_cancelled=status != Status.SCHEDULED
        )
        records = [
            session_record(s, schedule, base_url=base, lang=lang, published=loaded.published)
            for s in sessions
            if status is None or s.status == status
        ]
        if csv:
            body = to_csv(records)
        else:
            data = {
                **schedule_info(schedule, lang=lang, base_url=base),
                "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
                "sessions": records,
            }
            body = json_body(data)
        return rendered(body, max(schedule.updated, local_datetime(today, time(0), schedule.zone)))

    found = render_cache().get(key, now, make)
    if not csv:
        return respond(found, "application/json")
    name = "-".join(part for part in (schedule.id, "sessions", lang) if part != "en")
    return respond(found, "text/csv", filename=f"{name}.csv")


@bp.get("/api/next.json")
def api_next() -> Response:
    """The next session that takes place after ``after`` (default: now)."""
    loaded = sources.loaded()
    schedule = loaded.schedule
    lang = params.lang()
    modality = params.modality()
    after = params.after()
    moment = after if after is not None else sources.settings().now(schedule.zone)
    session = schedule.next_session(moment, modality=modality)
    base = public.base_url()
    data = {
        **schedule_info(schedule, lang=lang, base_url=base),
        "after": moment.isoformat(),
        "session": None
        if session is None
        else session_record(session, schedule, base_url=base, lang=lang, published=loaded.published),
    }
    return respond(rendered(json_body(data)), "application/json")


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: ``ok``, or ``degraded`` while a followed file's latest version cannot be used; the version served and its tz data.

    ``degraded`` too while what was published cannot be saved in the state
    file (it is served from memory). Public, so it says nothing more: no path, no parser message (which could
    quote a line of the secrets file). Why a file is refused goes to the log,
    once per version of the file (:mod:`hmis_schedule.follow`), and
    ``hmis-schedule validate`` says it for a schedule file.
    """
    reading = sources.current_source().reading()
    feeds = sources.private_feeds()
    errors = [reading.error, feeds.error if feeds is not None else None]  # every file looked at
    degraded = any(error is not None for error in errors)
    data = {
        "status": "degraded" if degraded else "ok",
        "version": reading.value.schedule.version,
        "tzdata": tzdata_version(),
    }
    return respond(rendered(json_body(data)), "application/json", cache=False)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route; its window defaults are the schedule's ``[feed]`` settings."""
    base = public.base_url()
    loaded = sources.loaded()
    schedule = loaded.schedule

    def make() -> Rendered:
        return rendered(json_body(openapi_spec(base, feed=schedule.feed)))

    found = render_cache().get(("openapi", loaded.version, base), sources.settings().now(schedule.zone), make)
    return respond(found, "application/json")
