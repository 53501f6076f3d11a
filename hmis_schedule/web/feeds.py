"""The calendar routes: the three public feeds, the private feeds and one session's calendar.

Each route reads its parameters (:mod:`.params`), asks the library for the
bytes, keeps them in the render cache and answers through :mod:`.responses`.
Feeds are assembled from the worker's kept VEVENTs (:func:`.cache.feed_parts`),
so a window never asked for before costs its sessions and a look-up per event.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, Response
from werkzeug.exceptions import NotFound

from hmis_schedule import Schedule, feed, feed_window
from hmis_schedule.addresses import ATOM_PATH, FEED_PATHS, FeedFilter
from hmis_schedule.atom import render_atom
from hmis_schedule.session import local_datetime
from hmis_schedule.source import Loaded

from . import params, public, sources
from .cache import Rendered, feed_parts, render_cache, rendered
from .responses import respond

__all__ = ["ATOM_TYPE", "FEEDS", "bp"]

bp = Blueprint("feeds", __name__)

FEEDS = {path: kind for kind, path in FEED_PATHS.items()}
"""The public feed paths and their filters."""

ATOM_TYPE = "application/atom+xml; charset=utf-8"
"""The Atom feed's content type (Werkzeug adds a charset to ``text/*`` types only)."""


def _day_start(schedule: Schedule, day: date) -> datetime:
    return local_datetime(day, time(0), schedule.zone)


def _modified(loaded: Loaded) -> datetime:
    """When the schedule or the record of what was published last changed."""
    latest = loaded.published.latest if loaded.published is not None else None
    return loaded.schedule.updated if latest is None else max(loaded.schedule.updated, latest)


def _feed(kind: FeedFilter, join_url: str | None = None) -> Response:
    """The feed of ``kind``; with ``join_url``, the private one: default window, never cached by others."""
    loaded = sources.loaded()
    schedule = loaded.schedule
    now = sources.settings().now(schedule.zone)
    today = schedule.today(now)
    lang = params.lang()
    window = params.window(schedule, today) if join_url is None else feed_window(schedule, today)
    base = public.base_url()
    key = ("feed", loaded.version, today, kind, lang, window, base, join_url)

    def make() -> Rendered:
        body = feed.render_feed(
            schedule, window, lang=lang, filter=kind, base_url=base, join_url=join_url, published=loaded.published,
            parts=feed_parts(loaded.version),
        )
        return rendered(body, max(_modified(loaded), _day_start(schedule, today)))

    found = render_cache().get(key, now, make)
    private = "private" if join_url else "all"
    name = "-".join(
        part for part in (schedule.id, kind.value.replace("_", "-"), lang, private) if part not in ("all", "en")
    )
    response = respond(found, "text/calendar", filename=f"{name}.ics", cache=join_url is None)
    if join_url:
        response.cache_control.private = True
    return response


@bp.get("/calendar.ics")
def calendar_all() -> Response:
    """Every session (default window: the schedule's ``[feed]`` settings)."""
    return _feed(FeedFilter.ALL)


@bp.get("/calendar/online.ics")
def calendar_online() -> Response:
    """Online sessions only."""
    return _feed(FeedFilter.ONLINE)


@bp.get("/calendar/in-person.ics")
def calendar_in_person() -> Response:
    """In-person sessions only."""
    return _feed(FeedFilter.IN_PERSON)


def _private_feed(token: str, kind: FeedFilter) -> Response:
    """A private feed, or the 404 of any unknown URL for a token that is not valid (no hint why)."""
    feeds = sources.private_feeds()
    join_url = None
    if feeds is not None:
        join_url = feeds.grant(token, sources.settings().now(sources.loaded().schedule.zone))
    if join_url is None:
        raise NotFound()
    return _feed(kind, join_url=join_url)


@bp.get("/private/<token>/calendar.ics")
def private_calendar(token: str) -> Response:
    """Every session; online ones carry the meeting's join URL (private link)."""
    return _private_feed(token, FeedFilter.ALL)


@bp.get("/private/<token>/online.ics")
def private_online(token: str) -> Response:
    """Online sessions only, with the meeting's join URL (private link)."""
    return _private_feed(token, FeedFilter.ONLINE)


@bp.get("/sessions/<uid>.ics")
def session_ics(uid: str) -> Response:
    """One session as a one-event calendar (for "Add to calendar")."""
    loaded = sources.loaded()
    schedule = loaded.schedule
    lang = params.lang()
    base = public.base_url()
    key = ("session", loaded.version, uid, lang, base)

    def make() -> Rendered:
        body = feed.render_session(schedule, uid, lang=lang, base_url=base, published=loaded.published)
        return rendered(body, _modified(loaded))

    found = render_cache().get(key, sources.settings().now(schedule.zone), make)
    return respond(found, "text/calendar", filename=f"{uid.split('@')[0]}.ics")


@bp.get(ATOM_PATH)
def atom_feed() -> Response:
    """The Atom feed: the next sessions and the recent changes (:mod:`hmis_schedule.atom`), ``?lang=``.

    Its only parameter is ``lang``; its sessions come from the default window
    and today, so a client cannot make it cost more. Cached like the
    calendar feeds, by schedule version, today, language and public root.
    """
    loaded = sources.loaded()
    schedule = loaded.schedule
    now = sources.settings().now(schedule.zone)
    today = schedule.today(now)
    lang = params.lang()
    base = public.base_url()
    key = ("atom", loaded.version, today, lang, base)

    def make() -> Rendered:
        body = render_atom(schedule, today, lang=lang, base_url=base, published=loaded.published)
        return rendered(body, max(_modified(loaded), _day_start(schedule, today)))

    found = render_cache().get(key, now, make)
    name = "-".join(part for part in (schedule.id, lang) if part != "en")
    return respond(found, ATOM_TYPE, filename=f"{name}.atom")
