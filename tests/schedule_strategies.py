"""Hypothesis strategies for schedules, slots, changes, closures and windows.

Everything here builds *valid* values by construction (no ``assume`` that
could hide a library bug): slot sets never overlap, changes name a real
occurrence, closures are unique. The tests import these directly; they are
not fixtures, so ``@given`` tests can use them freely.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, rrule
from hypothesis import strategies as st

from hmis_schedule import (
    ORDINALS,
    Change,
    Closure,
    Contact,
    Crisis,
    ExtraSession,
    FeedSettings,
    HolidayCalendar,
    Modality,
    Onboarding,
    Schedule,
    Slot,
    Text,
    Weekday,
    nth_weekday,
)

ZONES = ("America/Los_Angeles", "Europe/London", "Australia/Sydney", "America/Phoenix")
"""The time zones the issue asks for: two DST rules of opposite hemispheres, one without DST."""

EDGE_ZONES = (
    *ZONES,
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # clocks change at midnight: some days have no 00:00
    "Asia/Kolkata",  # a half-hour offset, no DST
    "Pacific/Chatham",  # +12:45 / +13:45
)

FIRST_YEAR, LAST_YEAR = 1995, 2045
"""Windows and dates stay in these years so holiday tables stay small and fast."""

HOLIDAY_CALENDARS = (
    HolidayCalendar(country="US", subdivision="OR"),
    HolidayCalendar(country="GB", subdivision="ENG"),
    HolidayCalendar(country="AU", subdivision="NSW"),
    HolidayCalendar(country="US"),
)

UPDATED = datetime(2026, 11, 1, tzinfo=UTC)
DOMAIN = "hmis.example.org"

zones = st.sampled_from(ZONES)
weekdays = st.sampled_from(list(Weekday))
ordinals = st.sampled_from(ORDINALS)
modalities = st.sampled_from(list(Modality))
days = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31))
ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")


def clock(seconds: int) -> time:
    """The time of day ``seconds`` after midnight."""
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


@st.composite
def time_ranges(draw: st.DrawFn, seconds: bool = False) -> tuple[time, time]:
    """A start and an end time on one day, end after start (whole minutes, or whole seconds)."""
    unit = 1 if seconds else 60
    last = 24 * 60 * 60 // unit - 1
    start = draw(st.integers(0, last - 1))
    end = draw(st.integers(start + 1, last))
    return clock(start * unit), clock(end * unit)


def locations(modality: Modality) -> st.SearchStrategy[str]:
    if modality is Modality.IN_PERSON:
        return words
    return st.one_of(st.just(""), words)


@st.composite
def slots(draw: st.DrawFn, slot_id: str = "slot", seconds: bool = False) -> Slot:
    """One slot rule with arbitrary ordinal, weekday, times and modality."""
    start, end = draw(time_ranges(seconds=seconds))
    modality = draw(modalities)
    return Slot(
        id=slot_id,
        ordinal=draw(ordinals),
        weekday=draw(weekdays),
        start=start,
        end=end,
        modality=modality,
        location=draw(locations(modality)),
        room=draw(st.one_of(st.just(""), words)),
        notes=draw(st.one_of(st.just(""), words)),
    )


@st.composite
def slot_sets(draw: st.DrawFn, max_size: int = 6, random_ids: bool = False, seconds: bool = False) -> tuple[Slot, ...]:
    """A non-empty set of slots no two of which overlap (several on one day allowed)."""
    if random_ids:
        names = draw(st.lists(ids, min_size=1, max_size=max_size, unique=True))
    else:
        names = [f"slot-{i}" for i in range(draw(st.integers(1, max_size)))]
    kept: list[Slot] = []
    for name in names:
        slot = draw(slots(slot_id=name, seconds=seconds))
        if not any(slot.overlaps(other) for other in kept):
            kept.append(slot)
    return tuple(kept)


RRULE_DAYS = (MO, TU, WE, TH, FR, SA, SU)


def rrule_dates(weekday: Weekday, ordinal: int, first: date, last: date) -> list[date]:
    """The oracle: dateutil rrule's dates of "the ``ordinal``-th ``weekday``" in ``[first, last]`` (inclusive).

    ``byweekday=MO(+5)`` skips months without a fifth Monday and ``MO(-1)`` is the last one.
    """
    rule = rrule(
        MONTHLY,
        dtstart=datetime.combine(first, time(0)),
        until=datetime.combine(last, time(0)),
        byweekday=RRULE_DAYS[weekday.number](ordinal),
    )
    return [d.date() for d in rule]


def occurrence(slot: Slot, year: int, month: int) -> date | None:
    """The slot's date in a month, or ``None``."""
    return nth_weekday(year, month, slot.weekday, slot.ordinal)


@st.composite
def occurrences(draw: st.DrawFn, slot: Slot) -> date:
    """A date on which ``slot`` really has a session."""
    year = draw(st.integers(FIRST_YEAR + 1, LAST_YEAR - 1))
    month = draw(st.integers(1, 12))
    while (found := occurrence(slot, year, month)) is None:  # no fifth weekday: try the next month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


@st.composite
def changes_for(draw: st.DrawFn, slot_list: tuple[Slot, ...], max_size: int = 4) -> tuple[Change, ...]:
    """One-off changes to real occurrences of ``slot_list``: cancel, move, retime or relocate."""
    made: dict[tuple[str, date], Change] = {}
    for _ in range(draw(st.integers(0, max_size))):
        slot = draw(st.sampled_from(slot_list))
        day = draw(occurrences(slot))
        if (slot.id, day) in made:
            continue
        kind = draw(st.sampled_from(["cancel", "move", "retime", "relocate", "move-and-retime"]))
        sequence = draw(st.integers(1, 5))
        change: Change
        if kind == "cancel":
            change = Change(slot=slot.id, date=day, cancel=True, reason=draw(words), sequence=sequence)
        elif kind == "relocate":
            change = Change(
                slot=slot.id, date=day, modality=Modality.IN_PERSON, location=draw(words),
                room=draw(words), sequence=sequence,
            )
        else:
            to_date = None
            start = end = None
            if "move" in kind:
                to_date = day + timedelta(days=draw(st.integers(-60, 60).filter(bool)))
            if "retime" in kind:
                # whole hours from 06:00 to 20:00: no clock change happens then in these zones
                start_hour = draw(st.integers(6, 19))
                start, end = time(start_hour), time(draw(st.integers(start_hour + 1, 20)))
            change = Change(
                slot=slot.id, date=day, to_date=to_date, start=start, end=end,
                reason=draw(st.one_of(st.just(""), words)), sequence=sequence,
            )
        made[change.key] = change
    return tuple(made.values())


@st.composite
def closures(draw: st.DrawFn, max_size: int = 6) -> tuple[Closure, ...]:
    """Dated closures on distinct days."""
    closed = draw(st.lists(days, max_size=max_size, unique=True))
    return tuple(
        Closure(date=d, reason=draw(words), sequence=draw(st.integers(1, 3))) for d in closed
    )


@st.composite
def extras(draw: st.DrawFn, taken: set[str], max_size: int = 3, seconds: bool = False) -> tuple[ExtraSession, ...]:
    """Extra sessions outside the rules, with ids no slot uses."""
    made = []
    for i in range(draw(st.integers(0, max_size))):
        extra_id = f"extra-{i}"
        if extra_id in taken:
            continue
        start, end = draw(time_ranges(seconds=seconds))
        # keep extras clear of the small hours, where a clock change could eat their start
        if start < time(4):
            start, end = time(4), max(end, time(5))
        modality = draw(modalities)
        made.append(
            ExtraSession(
                id=extra_id, date=draw(days), start=start, end=end, modality=modality,
                location=draw(locations(modality)), notes=draw(st.one_of(st.just(""), words)),
                sequence=draw(st.integers(0, 3)),
            )
        )
    return tuple(made)


@st.composite
def schedules(
    draw: st.DrawFn,
    *,
    with_changes: bool = True,
    with_closures: bool = True,
    with_holidays: bool = True,
    with_extras: bool = True,
    zone_names: tuple[str, ...] = ZONES,
) -> Schedule:
    """A valid schedule over arbitrary slots in one of ``zone_names``."""
    slot_list = draw(slot_sets())
    extra_list = draw(extras({s.id for s in slot_list})) if with_extras else ()
    return Schedule(
        id="test",
        name=Text.of("Test schedule"),
        title=Text.of("Test training"),
        timezone=draw(st.sampled_from(zone_names)),
        updated=UPDATED,
        uid_domain=DOMAIN,
        slots=slot_list,
        holidays=draw(st.one_of(st.none(), st.sampled_from(HOLIDAY_CALENDARS))) if with_holidays else None,
        closures=draw(closures()) if with_closures else (),
        changes=draw(changes_for(slot_list)) if with_changes else (),
        extras=extra_list,
    )


def texts() -> st.SearchStrategy[Text]:
    """Text in English, or in English and Spanish."""
    return st.one_of(
        words.map(Text.of),
        st.tuples(words, words).map(lambda p: Text.of({"en": p[0], "es": p[1]})),
    )


@st.composite
def full_schedules(draw: st.DrawFn) -> Schedule:
    """A schedule using every part of the file format, for the TOML round trip."""
    slot_list = draw(slot_sets(random_ids=True, seconds=True))
    extra_list = draw(extras({s.id for s in slot_list}, seconds=True))
    holidays = draw(st.one_of(st.none(), st.sampled_from(HOLIDAY_CALENDARS)))
    if holidays is not None:
        holidays = HolidayCalendar(
            country=holidays.country,
            subdivision=holidays.subdivision,
            observed=draw(st.booleans()),
            exclude=tuple(draw(st.lists(days, max_size=3, unique=True))),
        )
    emails = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(org|us|com)", fullmatch=True)
    updated = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
            timezones=st.sampled_from([UTC, ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kolkata")]),
        )
    )
    return Schedule(
        id=draw(ids),
        name=draw(texts()),
        title=draw(texts()),
        description=draw(st.one_of(st.just(Text.of("")), texts())),
        timezone=draw(zones),
        updated=updated,
        uid_domain=draw(st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z]{2,6}){1,2}", fullmatch=True)),
        url=draw(st.one_of(st.just(""), st.just("https://example.org/training"))),
        slots=slot_list,
        holidays=holidays,
        closures=draw(closures()),
        changes=draw(changes_for(slot_list)),
        extras=extra_list,
        contact=draw(
            st.one_of(
                st.none(),
                st.builds(
                    Contact, hmis_email=emails, department=words, phone=words,
                    email=st.one_of(st.just(""), emails), address=words, office_hours=texts(),
                ),
            )
        ),
        crisis=draw(st.one_of(st.none(), st.builds(Crisis, name=words, phone=words, url=words))),
        onboarding=draw(
            st.one_of(
                st.none(),
                st.builds(
                    Onboarding, email=emails, facts=st.lists(texts(), min_size=1, max_size=3).map(tuple),
                    lms=texts(), subject=texts(),
                ),
            )
        ),
        feed=draw(
            st.builds(
                FeedSettings,
                refresh_interval=st.timedeltas(min_value=timedelta(minutes=15), max_value=timedelta(days=7)).map(
                    lambda d: timedelta(seconds=int(d.total_seconds()))
                ),
                past_days=st.integers(0, 3660),
                future_months=st.integers(1, 120),
                max_years=st.integers(1, 50),
            )
        ),
    )


@st.composite
def windows(draw: st.DrawFn, max_days: int = 3 * 366) -> tuple[date, date]:
    """A date window ``[first, end)`` of up to ``max_days``."""
    first = draw(days)
    return first, first + timedelta(days=draw(st.integers(0, max_days)))


BOUND_ZONES = st.sampled_from(
    [UTC, ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/London"), ZoneInfo("Australia/Sydney"),
     ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Phoenix")]
)


def instants(first: date = date(FIRST_YEAR, 1, 1), last: date = date(LAST_YEAR, 12, 31)) -> st.SearchStrategy[datetime]:
    """Aware datetimes in assorted time zones (not necessarily the schedule's)."""
    return st.datetimes(
        min_value=datetime.combine(first, time(0)),
        max_value=datetime.combine(last, time(0)),
        timezones=BOUND_ZONES,
    )


def landmarks(schedule: Schedule) -> list[date]:
    """The dates where a schedule is interesting: changes (both ends of a move), closures, extras."""
    found = [c.date for c in schedule.changes] + [c.to_date for c in schedule.changes if c.to_date]
    found += [c.date for c in schedule.closures] + [e.date for e in schedule.extras]
    return found


@st.composite
def near_landmarks(draw: st.DrawFn, schedule: Schedule) -> date:
    """A date, usually within 70 days of one of the schedule's landmarks, so windows cut through them."""
    marks = landmarks(schedule)
    if not marks or draw(st.integers(0, 4)) == 0:
        return draw(days)
    return draw(st.sampled_from(marks)) + timedelta(days=draw(st.integers(-70, 70)))


@st.composite
def schedule_windows(draw: st.DrawFn, max_days: int = 400) -> tuple[Schedule, tuple[date, date]]:
    """A schedule and a date window ``[first, end)`` that often cuts through its changes and closures."""
    schedule = draw(schedules())
    first = draw(near_landmarks(schedule))
    return schedule, (first, first + timedelta(days=draw(st.integers(0, max_days))))


@st.composite
def schedule_instants(draw: st.DrawFn, count: int = 3) -> tuple[Schedule, list[datetime]]:
    """A schedule and ``count`` increasing aware instants in assorted zones, often near its landmarks."""
    schedule = draw(schedules())
    points = sorted(
        datetime.combine(draw(near_landmarks(schedule)), draw(st.times()), tzinfo=draw(BOUND_ZONES))
        for _ in range(count)
    )
    return schedule, points
