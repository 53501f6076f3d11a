"""VTIMEZONE components that Outlook reads, generated from ``zoneinfo`` and checked against it.

Outlook keeps one "standard" and one "daylight" rule per time zone, each "the
n-th (or last) weekday of a month at a wall-clock time". It mishandles the
VTIMEZONE that most generators write (an RDATE list per transition, several
STANDARD parts), so this module writes the classic form instead::

    BEGIN:VTIMEZONE
    TZID:America/Los_Angeles
    BEGIN:STANDARD
    DTSTART:20251102T020000
    RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
    ...

How it is made, for any IANA zone a schedule names:

1. :func:`transitions` finds every change of UTC offset that ``zoneinfo``
   knows (from the pinned ``tzdata`` package, :mod:`hmis_schedule.zones`) in
   a *span* of whole years: from January 1 of the year before the window to
   the end of :data:`HORIZON_YEARS` (30) years after the year after it.
   Calendar programs keep the first VTIMEZONE they see for a TZID (icalendar,
   vobject and others per process, Outlook per calendar) and place later
   events with it, so the rules must be right long after the window, not
   only inside it. Beyond 2037 ``zoneinfo``'s data is the zone's POSIX TZ
   rule, so thirty years of agreement with it are the zone's stated future.
2. Each transition becomes an *onset*: the wall-clock time it happens at,
   read in the offset before it (as RFC 5545 wants ``DTSTART`` inside a
   VTIMEZONE). Onsets with the same offsets, month and time of day in
   consecutive years join one *block* as long as one yearly rule describes
   all of them: ``BYDAY=2SU`` (second Sunday), ``BYDAY=-1SU`` (last Sunday),
   ``BYMONTHDAY=25`` (a fixed date) or ``BYMONTHDAY=23,...,29;BYDAY=FR``
   ("the Friday on or after the 23rd"), preferred in that order, so the
   n-th-weekday form Outlook knows is chosen wherever it is exact for every
   year of the block.
3. Each block becomes one STANDARD (offset falls) or DAYLIGHT (offset rises)
   part with that RRULE. Only a block still in force at the end of the span,
   that is true for every year up to thirty years past the window, has no
   ``UNTIL``, so readers carry it on; an earlier block ends with ``UNTIL``
   (two days after its last onset, so that readers reading ``UNTIL`` as UTC,
   as RFC 5545 says, and those reading it as wall-clock time agree).
   A zone with no transition before the window (Asia/Kolkata,
   America/Phoenix) gets one STANDARD part with the offset in force.
4. The rules are expanded again and checked against ``zoneinfo`` for every
   transition in the span (:meth:`ZoneRules.check`); should they ever
   disagree, every transition gets its own part instead (right by
   construction). :func:`offset_at` lets the feed check every session it
   writes, too.

A zone whose yearly rule stays the same from the window to thirty years
after it (Los Angeles, London, Sydney, Auckland... for any window from 2008
on) therefore gets exactly one STANDARD and one DAYLIGHT part, the form
Outlook expects. Where no n-th-weekday rule is exact for all those years the
exact form is written instead: America/Santiago's "Sunday on or after the
2nd" (``BYMONTHDAY=2,...,8;BYDAY=SU``, where ``BYDAY=1SU`` would be wrong in
2029) and Asia/Jerusalem's "Friday on or after the 23rd" (``4FR`` would be
wrong in 2030). A window across a change of rules (the United States in
2007, Mexico ending DST in 2022), or a change of rules within thirty years
after it, gets one part per era, each but the last closed with ``UNTIL``:
Outlook's one-pair model cannot hold such a span exactly, so the choice goes
to being right for every reader that follows RFC 5545, rather than to one
pair that is wrong on one side of the change. Irregular transitions (dates
from a lunar calendar, Africa/Casablanca's Ramadan changes) that no yearly
rule fits become parts without RRULE, one per transition.

Transitions are found one year at a time and cached per zone and year, and
the rules per zone and window years, so the first feed of a zone pays for
about thirty-five years of sampling (some 10 ms on an idle core) and later
windows little.

>>> rules = zone_rules("America/Los_Angeles", 2026, 2027)
>>> [(p.kind, p.rrule) for p in rules.parts]
[('STANDARD', 'FREQ=YEARLY;BYDAY=1SU;BYMONTH=11'), ('DAYLIGHT', 'FREQ=YEARLY;BYDAY=2SU;BYMONTH=3')]
>>> [(p.kind, p.rrule) for p in zone_rules("Asia/Kolkata", 2026, 2027).parts]
[('STANDARD', '')]
"""

from __future__ import annotations

import bisect
import calendar
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from .rules import LAST, Weekday, nth_weekday
from .zones import zone_named

__all__ = [
    "HORIZON_YEARS",
    "Part",
    "Transition",
    "ZoneRules",
    "ZoneRulesError",
    "offset_at",
    "transitions",
    "vtimezone",
    "zone_rules",
]

HORIZON_YEARS = 30
"""Years after the window (and the year after it) that every VTIMEZONE is checked for and right for."""

_DAY = 86_400
_LAST_YEAR = 9998  # the last whole year datetime arithmetic in UTC allows everywhere
_EPOCH = datetime(1970, 1, 1)
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAYS = tuple(Weekday)


class ZoneRulesError(AssertionError):
    """The generated rules disagree with ``zoneinfo``: a bug here, never bad input."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of UTC offset: at ``utc`` (naive, in UTC) from ``before`` to ``after``.

    ``name`` is the zone's abbreviation after the change (``"PDT"``).
    """

    utc: datetime
    before: timedelta
    after: timedelta
    name: str

    @property
    def onset(self) -> datetime:
        """The wall-clock time of the change, read in the offset before it."""
        return self.utc + self.before


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[Transition]:
    """Every change of UTC offset of ``zone`` in ``[start, end)`` (naive datetimes in UTC).

    The zone is sampled once a day and each change is pinned to the second by
    bisection; zones change their offset at most once a day.

    >>> la = zone_named("America/Los_Angeles")
    >>> [t.onset.isoformat() for t in transitions(la, datetime(2026, 1, 1), datetime(2027, 1, 1))]
    ['2026-03-08T02:00:00', '2026-11-01T02:00:00']
    """

    def offset(ts: int) -> timedelta:
        value = datetime.fromtimestamp(ts, zone).utcoffset()
        assert value is not None
        return value

    t = int((start - _EPOCH).total_seconds())
    stop = int((end - _EPOCH).total_seconds())
    found: list[Transition] = []
    current = offset(t)
    while t < stop:
        step = min(t + _DAY, stop)
        if offset(step) == current:
            t = step
            continue
        lo, hi = t, step  # offset(lo) == current != offset(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset(mid) == current:
                lo = mid
            else:
                hi = mid
        after = offset(hi)
        moment = datetime.fromtimestamp(hi, zone)
        found.append(
            Transition(
                utc=_EPOCH + timedelta(seconds=hi), before=current, after=after, name=moment.tzname() or ""
            )
        )
        current, t = after, hi
    return found


# -- yearly rules -------------------------------------------------------------

# A day rule says which day of a month a transition falls on, every year:
#   ("byday", n, wd)      the n-th (1-4) or last (-1) weekday wd of the month
#   ("bymonthday", d)     day d of the month
#   ("range", k, wd)      the weekday wd on or after day k (days k to k + 6 exist every year)
_DayRule = tuple[str, int] | tuple[str, int, int]


def _day_rules(day: date) -> set[_DayRule]:
    """Every day rule that gives ``day`` in its own month."""
    wd = day.weekday()
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    rules: set[_DayRule] = {("bymonthday", day.day)}
    nth = (day.day - 1) // 7 + 1
    if nth <= 4:
        rules.add(("byday", nth, wd))
    if day.day + 7 > days_in_month:
        rules.add(("byday", LAST, wd))
    shortest = 28 if day.month == 2 else days_in_month  # the month's length in every year
    rules.update(("range", k, wd) for k in range(max(1, day.day - 6), day.day + 1) if k + 6 <= shortest)
    return rules


def _preference(rule: _DayRule) -> tuple[int, int]:
    """Classic forms first: n-th weekday, last weekday, fixed date, weekday on or after."""
    if rule[0] == "byday":
        return (0 if rule[1] > 0 else 1), rule[1]
    return (2 if rule[0] == "bymonthday" else 3), rule[1]


def _day_of(year: int, month: int, rule: _DayRule) -> date | None:
    """The day ``rule`` gives in a month, or ``None`` if it gives none."""
    if rule[0] == "byday":
        assert len(rule) == 3
        return nth_weekday(year, month, _WEEKDAYS[rule[2]], rule[1])
    if rule[0] == "bymonthday":
        return date(year, month, rule[1]) if rule[1] <= calendar.monthrange(year, month)[1] else None
    assert len(rule) == 3
    first = date(year, month, rule[1])
    return first + timedelta(days=(rule[2] - first.weekday()) % 7)


def _rrule_parts(month: int, rule: _DayRule) -> dict[str, object]:
    if rule[0] == "byday":
        assert len(rule) == 3
        return {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{rule[1]}{_ICAL_DAYS[rule[2]]}"}
    if rule[0] == "bymonthday":
        return {"FREQ": "YEARLY", "BYMONTH": month, "BYMONTHDAY": rule[1]}
    assert len(rule) == 3
    return {
        "FREQ": "YEARLY",
        "BYMONTH": month,
        "BYMONTHDAY": list(range(rule[1], rule[1] + 7)),
        "BYDAY": _ICAL_DAYS[rule[2]],
    }


@dataclass(frozen=True, slots=True)
class Part:
    """One STANDARD or DAYLIGHT part of a VTIMEZONE.

    ``start`` is the first onset (wall clock, in ``offset_from``); ``rule`` is
    the yearly day rule (``None`` for a single onset); ``until`` (naive UTC)
    bounds the rule when it ended within the span, two days after its last onset.
    """

    kind: str
    start: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    month: int
    rule: _DayRule | None = None
    until: datetime | None = None

    @property
    def rrule(self) -> str:
        """The RRULE as written in the file (empty for a single onset)."""
        if self.rule is None:
            return ""
        value: bytes = self.recur().to_ical()  # type: ignore[no-untyped-call]  # icalendar leaves it untyped
        return value.decode()

    def recur(self) -> vRecur:
        """The RRULE value for icalendar."""
        assert self.rule is not None
        parts = _rrule_parts(self.month, self.rule)
        if self.until is not None:
            parts["UNTIL"] = self.until.replace(tzinfo=UTC)
        return vRecur(parts)

    def onsets(self, last_year: int) -> Iterator[datetime]:
        """The wall-clock onsets this part describes, up to the end of ``last_year``."""
        if self.rule is None:
            yield self.start
            return
        clock = self.start.time()
        for year in range(self.start.year, last_year + 1):
            day = _day_of(year, self.month, self.rule)
            if day is None:
                continue
            onset = datetime.combine(day, clock)
            if onset < self.start:
                continue
            if self.until is not None and onset - self.offset_from > self.until:
                return
            yield onset


@dataclass(slots=True)
class _Block:
    onsets: list[Transition]
    rules: set[_DayRule]


@dataclass(frozen=True, slots=True)
class ZoneRules:
    """The VTIMEZONE of one zone over a span of whole years, and what it means.

    ``parts`` are the STANDARD and DAYLIGHT parts in the order written;
    ``changes`` are the transitions the parts describe, sorted by time, as
    (UTC instant, offset before, offset after).
    """

    tzid: str
    first_year: int
    last_year: int
    parts: tuple[Part, ...]
    changes: tuple[tuple[datetime, timedelta, timedelta], ...]
    _wall_starts: tuple[datetime, ...]

    def offset_at(self, local: datetime) -> timedelta:
        """The UTC offset a reader of this VTIMEZONE gives the naive wall-clock time ``local``.

        As RFC 5545 says: a repeated time is its first occurrence; a skipped
        time takes the offset before the gap.
        """
        k = bisect.bisect_right(self._wall_starts, local) - 1
        if k < 0:
            return self.changes[0][1]
        utc, before, after = self.changes[k]
        if after < before and local < utc + before:
            return before  # a repeated hour: the first occurrence
        return after

    def check(self) -> None:
        """Raise :class:`ZoneRulesError` unless the parts give ``zoneinfo``'s offsets throughout the span.

        The offset in force when the span begins and every transition in it
        (the pinned ``tzdata``'s, through :func:`~hmis_schedule.zones.zone_named`)
        must be the same as ``zoneinfo``'s.
        """
        lo, hi = datetime(self.first_year, 1, 1), datetime(self.last_year + 1, 1, 1)
        truth = [(t.utc, t.before, t.after) for t in _span_transitions(self.tzid, self.first_year, self.last_year)]
        ours = [c for c in self.changes if lo <= c[0] < hi and c[1] != c[2]]
        earlier = [c for c in self.changes if c[0] < lo]
        initial = earlier[-1][2] if earlier else self.changes[0][1]
        if ours != truth or initial != lo.replace(tzinfo=UTC).astimezone(zone_named(self.tzid)).utcoffset():
            raise ZoneRulesError(
                f"the VTIMEZONE of {self.tzid} disagrees with zoneinfo in {self.first_year}-{self.last_year}"
            )

    def component(self) -> Timezone:
        """A new icalendar VTIMEZONE component."""
        tz = Timezone()
        tz.add("TZID", self.tzid)
        for part in self.parts:
            sub = TimezoneStandard() if part.kind == "STANDARD" else TimezoneDaylight()
            sub.add("DTSTART", part.start)
            if part.rule is not None:
                sub.add("RRULE", part.recur())
            sub.add("TZNAME", part.name)
            sub.add("TZOFFSETFROM", part.offset_from)
            sub.add("TZOFFSETTO", part.offset_to)
            tz.add_component(sub)
        return tz


def _blocks(onsets: list[Transition]) -> list[_Block]:
    """Group transitions into blocks that one yearly rule describes."""
    blocks: list[_Block] = []
    latest: dict[tuple[timedelta, timedelta, int, time, str], _Block] = {}
    for t in onsets:
        onset = t.onset
        key = (t.before, t.after, onset.month, onset.time(), t.name)
        rules = _day_rules(onset.date())
        block = latest.get(key)
        if block is not None and block.onsets[-1].onset.year == onset.year - 1 and block.rules & rules:
            block.onsets.append(t)
            block.rules &= rules
        else:
            block = _Block(onsets=[t], rules=rules)
            blocks.append(block)
            latest[key] = block
    return blocks


@functools.lru_cache(maxsize=4096)
def _year_transitions(tzid: str, year: int) -> tuple[Transition, ...]:
    """The transitions of one zone in one year (cached: the spans of nearby windows share most years)."""
    return tuple(transitions(zone_named(tzid), datetime(year, 1, 1), datetime(year + 1, 1, 1)))


def _span_transitions(tzid: str, first_year: int, last_year: int) -> list[Transition]:
    """The transitions of a zone from January 1 of ``first_year`` to the end of ``last_year``."""
    return [t for year in range(first_year, last_year + 1) for t in _year_transitions(tzid, year)]


def _parts(tzid: str, first_year: int, last_year: int, *, exact: bool = False) -> list[Part]:
    """The parts for the span; ``exact`` gives every transition its own part, without RRULE."""
    zone = zone_named(tzid)
    span_start = datetime(first_year, 1, 1)
    found = _span_transitions(tzid, first_year, last_year)
    parts: list[Part] = []
    if not found or found[0].utc >= datetime(first_year + 1, 1, 1):
        # No change in the year before the window: one part states the offset
        # in force since well before (1970, as is customary).
        offset = zone.utcoffset(span_start)
        assert offset is not None
        moment = (span_start - offset).replace(tzinfo=UTC).astimezone(zone)
        since = min(datetime(1970, 1, 1), span_start)
        parts.append(Part(kind="STANDARD", start=since, offset_from=offset, offset_to=offset,
                          name=moment.tzname() or "", month=since.month))
    blocks = [_Block(onsets=[t], rules=set()) for t in found] if exact else _blocks(found)
    for block in blocks:
        first, last = block.onsets[0], block.onsets[-1]
        kind = "DAYLIGHT" if first.after > first.before else "STANDARD"
        rule = min(block.rules, key=_preference) if len(block.onsets) > 1 else None
        open_ended = last.onset.year == last_year
        # UNTIL is in UTC, as RFC 5545 wants; some readers (dateutil's tzical)
        # compare it with the wall-clock onsets instead, so it is put two days
        # after the last onset, where both readings keep that onset and the
        # yearly rule has no other.
        until = None if rule is None or open_ended else datetime.combine(last.onset.date() + timedelta(days=2), time(0))
        parts.append(Part(kind=kind, start=first.onset, offset_from=first.before, offset_to=first.after,
                          name=first.name, month=first.onset.month, rule=rule, until=until))
    parts.sort(key=lambda p: (p.kind != "STANDARD", p.start))
    return parts


@functools.lru_cache(maxsize=256)
def zone_rules(tzid: str, first_year: int, last_year: int) -> ZoneRules:
    """The checked VTIMEZONE rules of ``tzid`` for a window within ``first_year`` to ``last_year``.

    The span covered runs from January 1 of the year before ``first_year`` to
    the end of :data:`HORIZON_YEARS` years after the year after
    ``last_year``, so every instant of the window, and the next 30 years that
    calendar programs keep using the first VTIMEZONE they saw for, is
    described as ``zoneinfo`` (with the pinned ``tzdata``) says.

    Parameters
    ----------
    tzid:
        An IANA zone name that :func:`~hmis_schedule.zones.zone_named` knows.
    first_year, last_year:
        The years of the window's first and last days.

    Returns
    -------
    The :class:`ZoneRules`, checked against ``zoneinfo`` (cached).

    Raises
    ------
    ZoneRulesError
        If even one part per transition disagrees with ``zoneinfo`` (a bug,
        not bad input). Yearly rules that disagree are replaced by one part
        per transition first.

    >>> rules = zone_rules("Australia/Sydney", 2026, 2026)
    >>> [(p.kind, p.start.isoformat(), p.rrule) for p in rules.parts]  # doctest: +NORMALIZE_WHITESPACE
    [('STANDARD', '2025-04-06T03:00:00', 'FREQ=YEARLY;BYDAY=1SU;BYMONTH=4'),
     ('DAYLIGHT', '2025-10-05T02:00:00', 'FREQ=YEARLY;BYDAY=1SU;BYMONTH=10')]
    >>> rules.last_year
    2057
    """
    span_first, span_last = first_year - 1, min(last_year + 1 + HORIZON_YEARS, _LAST_YEAR)
    try:
        rules = _rules(tzid, _parts(tzid, span_first, span_last), span_first, span_last)
        rules.check()
    except ZoneRulesError:
        # Never seen with the zones of tzdata 2026: should the yearly rules
        # ever disagree with zoneinfo, write every transition on its own,
        # which is right by construction, rather than a wrong VTIMEZONE.
        rules = _rules(tzid, _parts(tzid, span_first, span_last, exact=True), span_first, span_last)
        rules.check()
    return rules


def _rules(tzid: str, parts: list[Part], first_year: int, last_year: int) -> ZoneRules:
    changes: list[tuple[datetime, timedelta, timedelta]] = []
    for part in parts:
        changes.extend((onset - part.offset_from, part.offset_from, part.offset_to) for onset in part.onsets(last_year))
    changes.sort()
    return ZoneRules(
        tzid=tzid,
        first_year=first_year,
        last_year=last_year,
        parts=tuple(parts),
        changes=tuple(changes),
        _wall_starts=tuple(utc + after for utc, _, after in changes),
    )


def offset_at(rules: ZoneRules, local: datetime) -> timedelta:
    """:meth:`ZoneRules.offset_at` as a function.

    >>> offset_at(zone_rules("Europe/London", 2026, 2026), datetime(2026, 7, 1, 9))
    datetime.timedelta(seconds=3600)
    """
    return rules.offset_at(local)


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE component for ``tzid`` covering the dates ``first`` to ``last``.

    >>> print(vtimezone("America/Phoenix", date(2026, 1, 1), date(2026, 12, 31)).to_ical().decode())
    ... # doctest: +NORMALIZE_WHITESPACE
    BEGIN:VTIMEZONE
    TZID:America/Phoenix
    BEGIN:STANDARD
    DTSTART:19700101T000000
    TZNAME:MST
    TZOFFSETFROM:-0700
    TZOFFSETTO:-0700
    END:STANDARD
    END:VTIMEZONE
    """
    return zone_rules(tzid, first.year, last.year).component()
