"""Four independent iCalendar readers for the feed tests, and the schedules they read.

Each reader turns feed bytes into :class:`Read` events (uid, start and end in
UTC, STATUS, and the text people see):

- :func:`read_icalendar`: ``icalendar`` (the library that writes the feeds);
- :func:`read_recurring`: ``recurring-ical-events`` (expands what a calendar
  app would show);
- :func:`read_ical`: allenporter's ``ical``, a strict RFC 5545 parser;
- :class:`IcalJs`: Mozilla's ``ical.js`` (Thunderbird's engine) under Node.js,
  one long-lived ``node tests/js/read_ics.mjs`` process for the whole run.

:func:`ical_js` finds or starts that process. With ``CI`` set a missing
Node.js or ``npm ci`` is a failure; otherwise a missing Node.js skips the
test with the reason, and a missing ``node_modules`` is installed with
``npm ci`` from the committed lockfile.

:func:`expected` is what every reader must find: the library's own sessions.
The Hypothesis strategies build valid schedules in several time zones with
text full of characters that need escaping.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

from hmis_schedule import (
    LAST,
    Change,
    Closure,
    Contact,
    ExtraSession,
    FeedSettings,
    HolidayCalendar,
    Modality,
    Onboarding,
    Schedule,
    Session,
    Slot,
    Text,
    Weekday,
    nth_weekday,
)

JS_DIR = Path(__file__).parent / "js"
DATA_DIR = Path(__file__).parent / "data"

ZONES = (
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "America/Phoenix",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # southern hemisphere, rules that move
    "Pacific/Auckland",
    "America/Mexico_City",  # DST abolished in 2022: rules change inside windows
    "Asia/Tehran",  # DST abolished in 2022, fixed-date rules before
)
"""Time zones for generated schedules: DST in both hemispheres, none, half-hour shifts, rule changes."""


@dataclass(frozen=True, slots=True)
class Read:
    """One event as a reader sees it."""

    uid: str
    start: datetime  # UTC
    end: datetime  # UTC
    status: str
    summary: str = ""
    location: str = ""
    description: str = ""

    @property
    def key(self) -> tuple[str, datetime, datetime, str]:
        """(uid, start in UTC, end in UTC, status): what every reader must agree on."""
        return self.uid, self.start, self.end, self.status


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime), value
    assert value.utcoffset() is not None, f"{value!r} is floating"
    return value.astimezone(UTC)


def expected(sessions: Iterable[Session]) -> set[tuple[str, datetime, datetime, str]]:
    """The (uid, start UTC, end UTC, STATUS) of the library's sessions."""
    return {
        (s.uid, s.start.astimezone(UTC), s.end.astimezone(UTC), "CANCELLED" if s.cancelled else "CONFIRMED")
        for s in sessions
    }


def read_icalendar(ics: bytes) -> list[Read]:
    """The events as ``icalendar`` reads them."""
    calendar = icalendar.Calendar.from_ical(ics)
    return [
        Read(
            uid=str(e["UID"]),
            start=_utc(e.start),
            end=_utc(e.end),
            status=str(e["STATUS"]),
            summary=str(e.get("SUMMARY", "")),
            location=str(e.get("LOCATION", "")),
            description=str(e.get("DESCRIPTION", "")),
        )
        for e in calendar.events
    ]


def read_recurring(ics: bytes) -> list[Read]:
    """The events as ``recurring-ical-events`` expands them (every occurrence, ever)."""
    calendar = icalendar.Calendar.from_ical(ics)
    return [
        Read(
            uid=str(e["UID"]),
            start=_utc(e["DTSTART"].dt),
            end=_utc(e["DTEND"].dt),
            status=str(e["STATUS"]),
            summary=str(e.get("SUMMARY", "")),
            location=str(e.get("LOCATION", "")),
            description=str(e.get("DESCRIPTION", "")),
        )
        for e in recurring_ical_events.of(calendar).all()
    ]


def read_ical(ics: bytes) -> list[Read]:
    """The events as allenporter's strict ``ical`` parser reads them."""
    calendar = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    return [
        Read(
            uid=str(e.uid),
            start=_utc(e.dtstart),
            end=_utc(e.dtend),
            status=str(e.status.value if e.status is not None else ""),
            summary=e.summary or "",
            location=e.location or "",
            description=e.description or "",
        )
        for e in calendar.events
    ]


class IcalJs:
    """One ``node tests/js/read_ics.mjs`` process answering a JSON line per calendar."""

    def __init__(self, node: str) -> None:
        self._process = subprocess.Popen(
            [node, str(JS_DIR / "read_ics.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=JS_DIR,
        )
        self._lock = threading.Lock()
        atexit.register(self.close)

    def events(self, ics: bytes) -> list[dict[str, object]]:
        """The raw event records ical.js gives for ``ics``."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps({"ics": ics.decode("utf-8")}) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"ical.js reader exited (code {self._process.poll()})")
        reply = json.loads(line)
        if "error" in reply:
            raise AssertionError(f"ical.js could not read the calendar: {reply['error']}")
        events: list[dict[str, object]] = reply["events"]
        return events

    def read(self, ics: bytes) -> list[Read]:
        """The events as ical.js reads them, placed by the calendar's own VTIMEZONE."""
        return [
            Read(
                uid=str(e["uid"]),
                start=datetime.fromisoformat(str(e["start"])),
                end=datetime.fromisoformat(str(e["end"])),
                status=str(e["status"]),
                summary=str(e["summary"] or ""),
                location=str(e["location"] or ""),
                description=str(e["description"] or ""),
            )
            for e in self.events(ics)
        ]

    def close(self) -> None:
        """End the process (it exits when its input closes)."""
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


@functools.cache
def _start_ical_js() -> IcalJs | str:
    """The reader, or the reason there is none."""
    node = shutil.which("node")
    if node is None:
        return "Node.js is not installed (needed to read feeds with Mozilla's ical.js)"
    if not (JS_DIR / "node_modules" / "ical.js").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            return "npm is not installed, and tests/js/node_modules is missing (run: npm ci --prefix tests/js)"
        done = subprocess.run(
            [npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return f"npm ci --prefix tests/js failed:\n{done.stdout}\n{done.stderr}"
    return IcalJs(node)


def ical_js() -> IcalJs:
    """The shared ical.js reader; fails under CI and skips elsewhere when Node.js is missing."""
    reader = _start_ical_js()
    if isinstance(reader, IcalJs):
        return reader
    if os.environ.get("CI") or shutil.which("node") is not None:
        pytest.fail(f"cannot read feeds with ical.js: {reader}")
    pytest.skip(reader)


def python_readers() -> dict[str, object]:
    """The three Python readers, by name."""
    return {"icalendar": read_icalendar, "recurring-ical-events": read_recurring, "ical": read_ical}


# -- Hypothesis strategies ---------------------------------------------------------

# Text that needs care in iCalendar: escapes, line breaks, accents, emoji, and
# anything else Unicode has outside control characters and surrogates.
TRICKY = st.sampled_from([",", ";", "\\", "\\N", "\\n", "\n", ":", '"', "é", "ñ", "Ñ", "ü", "😀", "🏳️‍🌈", " ", "\t"])
TEXT = st.lists(
    TRICKY | st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=8),
    min_size=1,
    max_size=12,
).map("".join)


def _times() -> st.SearchStrategy[tuple[time, time]]:
    quarter = st.integers(min_value=0, max_value=24 * 4 - 2)
    return quarter.flatmap(
        lambda q: st.integers(min_value=q + 1, max_value=min(q + 16, 24 * 4 - 1)).map(
            lambda e: (time(q // 4, q % 4 * 15), time(e // 4, e % 4 * 15))
        )
    )


@st.composite
def slots(draw: st.DrawFn, count: int) -> tuple[Slot, ...]:
    """``count`` slots on different weekdays (so they never overlap), any times of day."""
    weekdays = draw(st.permutations(list(Weekday)))[:count]
    found = []
    for i, weekday in enumerate(weekdays):
        start, end = draw(_times())
        modality = draw(st.sampled_from(Modality))
        room = draw(st.one_of(st.just(""), TEXT))
        found.append(
            Slot(
                id=f"slot-{i}",
                ordinal=draw(st.sampled_from((1, 2, 3, 4, 5, LAST))),
                weekday=weekday,
                start=start,
                end=end,
                modality=modality,
                location=draw(TEXT.filter(str.strip)) if modality is Modality.IN_PERSON else draw(st.just("") | TEXT),
                room=room,
                notes=draw(st.just("") | TEXT),
            )
        )
    return tuple(found)


@st.composite
def windows(draw: st.DrawFn, first_year: int = 2020, last_year: int = 2045, max_days: int = 5 * 365) -> tuple[date, date]:
    """A window ``[start, end)`` within the years given, at most ``max_days`` long."""
    start = draw(st.dates(date(first_year, 1, 1), date(last_year, 12, 1)))
    days = draw(st.integers(min_value=1, max_value=max_days))
    return start, min(start + timedelta(days=days), date(last_year + 1, 1, 1))


@st.composite
def schedules(draw: st.DrawFn, zones: tuple[str, ...] = ZONES, window: tuple[date, date] | None = None) -> Schedule:
    """A valid schedule in one of ``zones``, with closures and changes near ``window``."""
    zone = draw(st.sampled_from(zones))
    chosen = draw(slots(draw(st.integers(min_value=1, max_value=3))))
    lo, hi = window or (date(2020, 1, 1), date(2046, 1, 1))
    closures = {}
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        day = draw(st.dates(lo, hi - timedelta(days=1)))
        closures[day] = Closure(date=day, reason=draw(TEXT.filter(str.strip)), sequence=draw(st.integers(1, 3)))
    changes = {}
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        slot = draw(st.sampled_from(chosen))
        month = draw(st.dates(lo, hi - timedelta(days=1)))
        day = nth_weekday(month.year, month.month, slot.weekday, slot.ordinal)
        if day is None or (slot.id, day) in changes:
            continue
        if draw(st.booleans()):
            change = Change(slot=slot.id, date=day, cancel=True, reason=draw(TEXT.filter(str.strip)))
        else:
            start, end = draw(_times())
            change = Change(
                slot=slot.id,
                date=day,
                to_date=day + timedelta(days=draw(st.integers(-3, 3))),
                start=start,
                end=end,
                room=draw(st.none() | TEXT),
                notes=draw(st.none() | TEXT),
                sequence=draw(st.integers(1, 4)),
            )
        changes[(slot.id, day)] = change
    extras = ()
    if draw(st.booleans()):
        start, end = draw(_times())
        extras = (
            ExtraSession(
                id="extra",
                date=draw(st.dates(lo, hi - timedelta(days=1))),
                start=start,
                end=end,
                modality=Modality.ONLINE,
                location=draw(TEXT),
                notes=draw(TEXT),
            ),
        )
    return Schedule(
        id="generated",
        name=Text.of({"en": draw(TEXT), "es": draw(TEXT)}),
        title=Text.of({"en": draw(TEXT), "es": draw(TEXT)}),
        description=Text.of(draw(st.just("") | TEXT)),
        timezone=zone,
        updated=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 10**8))),
        uid_domain="generated.example.org",
        slots=chosen,
        holidays=draw(st.none() | st.just(HolidayCalendar(country="US", subdivision="OR"))),
        closures=tuple(closures.values()),
        changes=tuple(changes.values()),
        extras=extras,
        contact=Contact(hmis_email="admin@example.org", department=draw(TEXT), phone="555-0100"),
        onboarding=Onboarding(
            email="admin@example.org", facts=(Text.of(draw(TEXT)),), lms=Text.of(draw(TEXT))
        ),
        feed=FeedSettings(refresh_interval=timedelta(minutes=draw(st.integers(15, 7 * 24 * 60)))),
    )


def with_max_years(schedule: Schedule, years: int) -> Schedule:
    """``schedule`` allowing explicit feed windows of ``years`` years."""
    return dataclasses.replace(schedule, feed=dataclasses.replace(schedule.feed, max_years=years))
