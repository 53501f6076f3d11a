"""Five independent iCalendar readers for the feed tests, and the schedules they read.

Each reader turns feed bytes into :class:`Read` events (uid, start and end in
UTC, STATUS, and the text people see):

- :func:`read_icalendar`: ``icalendar`` (the library that writes the feeds);
- :func:`read_recurring`: ``recurring-ical-events`` (expands what a calendar
  app would show);
- :func:`read_ical`: allenporter's ``ical``, a strict RFC 5545 parser;
- :class:`IcalJs`: Mozilla's ``ical.js`` (Thunderbird's engine) under Node.js,
  one long-lived ``node tests/js/read_ics.mjs`` process for the whole run;
- :class:`Libical`: ``libical`` (GNOME Evolution's engine), through the small
  C program ``tests/c/read_ics.c``, compiled once per test process into a
  temporary folder (``gcc`` and ``pkg-config --cflags --libs libical``), one
  long-lived process for the run. It also runs libical's RFC 5546
  restriction check, and refuses a feed its parser or that check faults.

:data:`READERS` names all five; a test that iterates readers takes them from
there (:func:`require` starts an outside reader or skips). ical.js and libical
place times by the feed's own VTIMEZONE alone; the three Python readers take
a TZID they know from ``zoneinfo``.

:func:`ical_js` and :func:`libical` find or start their process. With ``CI``
set a missing Node.js, ``npm ci``, libical or compiler is a failure;
otherwise a missing Node.js or libical (Debian's ``libical-dev``) skips the
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
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

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
C_DIR = Path(__file__).parent / "c"
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


def _from_record(e: Mapping[str, object]) -> Read:
    """An event as a reader process gives it (times in ISO 8601 with their offsets)."""
    return Read(
        uid=str(e["uid"]),
        start=datetime.fromisoformat(str(e["start"])),
        end=datetime.fromisoformat(str(e["end"])),
        status=str(e["status"]),
        summary=str(e["summary"] or ""),
        location=str(e["location"] or ""),
        description=str(e["description"] or ""),
    )


def _end(process: subprocess.Popen[Any]) -> None:
    """End a reader process (it exits when its input closes), bounded in time."""
    if process.poll() is None:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


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
        return [_from_record(e) for e in self.events(ics)]

    def close(self) -> None:
        """End the process (it exits when its input closes)."""
        _end(self._process)


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


class Libical:
    """One ``tests/c/read_ics`` process (libical) answering a JSON line per calendar."""

    def __init__(self, program: Path) -> None:
        self._process = subprocess.Popen([str(program)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._lock = threading.Lock()
        atexit.register(self.close)

    def answer(self, ics: bytes) -> dict[str, Any]:
        """The raw answer for ``ics``: ``events``, parser ``errors``, ``restriction`` and its errors."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(b"%d\n" % len(ics) + ics)
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"libical reader exited (code {self._process.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def restriction_errors(self, ics: bytes) -> list[str]:
        """What ``icalrestriction_check`` (RFC 5545/5546 rules for the METHOD) finds wrong; empty if it passes."""
        reply = self.answer(ics)
        errors = [str(e) for e in reply["restriction_errors"]]
        if not reply["restriction"] and not errors:
            errors = ["icalrestriction_check failed without saying why"]
        return errors

    def read(self, ics: bytes, *, strict: bool = True) -> list[Read]:
        """The events as libical reads them, placed by the calendar's own VTIMEZONE.

        With ``strict`` (the default) a calendar that libical's parser faults
        (it records an X-LIC-ERROR and goes on) or that fails its restriction
        check is an :class:`AssertionError`, so every feed read this way is
        also checked. One complaint is libical's own bug, not the feed's: it
        trims spaces and tabs from both ends of every value, so a value of
        only white space becomes "no value" (see :func:`seen_by`); that one
        passes where the feed does hold such a value.
        """
        reply = self.answer(ics)
        if strict:
            blank = {"X" if m[1].startswith(b"X-") else m[1].decode() for m in _BLANK_VALUE.finditer(ics)}
            faults = [e for e in reply["errors"] if (m := _LIBICAL_TRIMMED.match(e)) is None or m[1] not in blank]
            assert faults == [], f"libical's parser faults the calendar: {faults}"
            assert reply["restriction"], f"libical's restriction check fails: {reply['restriction_errors']}"
        found = []
        for e in reply["events"]:
            assert e["note"] is None, f"libical cannot place {e['uid']}: {e['note']}"
            found.append(_from_record(e))
        return found

    def close(self) -> None:
        """End the process (it exits when its input closes)."""
        _end(self._process)


_LIBICAL_TRIMMED = re.compile(r"No value for (\S+) property")
_BLANK_VALUE = re.compile(rb"^([A-Z-]+)(?:;[^:\r\n]*)?:[ \t]+\r$", re.MULTILINE)  # a value of only white space


def _libical_missing() -> str | None:
    """Why libical cannot be compiled against here, or ``None``."""
    for tool in ("gcc", "pkg-config"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (needed to build the libical reader tests/c/read_ics.c)"
    found = subprocess.run(["pkg-config", "--exists", "libical"], capture_output=True, check=False)
    if found.returncode != 0:
        return "libical is not installed (Debian: apt-get install libical-dev pkg-config)"
    return None


@functools.cache
def _start_libical() -> Libical | str:
    """The reader, built once per process into a temporary folder, or the reason there is none."""
    missing = _libical_missing()
    if missing is not None:
        return missing
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libical"], capture_output=True, text=True, check=True
    ).stdout.split()
    folder = Path(tempfile.mkdtemp(prefix="hmis-libical-"))
    atexit.register(shutil.rmtree, folder, True)
    program = folder / "read_ics"
    built = subprocess.run(
        ["gcc", "-O1", "-Wall", "-Werror", "-o", str(program), str(C_DIR / "read_ics.c"), *flags],
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        raise RuntimeError(f"cannot compile tests/c/read_ics.c against libical:\n{built.stderr}")
    return Libical(program)


def libical() -> Libical:
    """The shared libical reader; fails under CI and skips elsewhere when libical is missing."""
    reader = _start_libical()
    if isinstance(reader, Libical):
        return reader
    if os.environ.get("CI"):
        pytest.fail(f"cannot read feeds with libical: {reader}")
    pytest.skip(reader)


Reader = Callable[[bytes], list[Read]]

READERS: dict[str, Reader] = {
    "icalendar": read_icalendar,
    "recurring-ical-events": read_recurring,
    "ical": read_ical,
    "ical.js": lambda ics: ical_js().read(ics),
    "libical": lambda ics: libical().read(ics),
}
"""Every reader of the feed tests, by name: iterate these to test what all readers see."""

VTIMEZONE_READERS = ("ical.js", "libical")
"""The readers that place times by the feed's VTIMEZONE alone, never by the TZID's name."""


def seen_by(reader: Reader, text: str) -> str:
    """``text`` as ``reader`` gives a TEXT value back.

    libical (3.0 at least) trims spaces and tabs from both ends of every
    property value, though RFC 5545 keeps them in TEXT: the xfail test in
    ``test_libical.py`` shows it on a minimal file. Every other reader gives
    ``text`` back exactly.
    """
    return text.strip(" \t") if reader is READERS["libical"] else text


def require(name: str) -> Reader:
    """The reader ``name``, its process started first (so a missing one skips or fails here)."""
    if name == "ical.js":
        ical_js()
    elif name == "libical":
        libical()
    return READERS[name]


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
