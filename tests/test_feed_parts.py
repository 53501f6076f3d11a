"""Feeds assembled from kept parts (``render_feed(..., parts=...)``) are byte for byte the whole calendar's.

Oracle: ``to_ics(feed_calendar(...))``, which builds one icalendar
``Calendar`` and serializes it (what ``render_feed`` returned before it kept
parts). One store serves many windows, filters and languages of a schedule, so
events kept for one window are reused by the next, including across changes
of the time zone's rules (the United States in 2007) and the repeated hour,
where an event's times are written in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import EDGE_ZONES, days, schedules

from hmis_schedule import Schedule, clackamas
from hmis_schedule.feed import feed_calendar, render_feed, to_ics
from hmis_schedule.window import Window

LANGS = st.sampled_from(["en", "es"])
FILTERS = st.sampled_from(["all", "online", "in_person"])
BASES = st.sampled_from(["", "https://hmis.example.org", "https://other.example.org/sub"])
JOINS = st.sampled_from([None, "https://teams.example.org/meet/1", "https://teams.example.org/meet/2?x=1&y=2"])


class Store:
    """A plain store of parts for one schedule, counting what it made."""

    def __init__(self) -> None:
        self.kept: dict[Hashable, bytes] = {}
        self.made = 0

    def __call__(self, key: Hashable, make: Callable[[], bytes], /) -> bytes:
        if key not in self.kept:
            self.kept[key] = make()
            self.made += 1
        return self.kept[key]


CLACKAMAS = clackamas()
CLACKAMAS_PARTS = Store()  # shared by every example below: events kept for one window serve the next


@st.composite
def long_windows(draw: st.DrawFn, first: date = date(1900, 1, 1), last: date = date(2199, 12, 31)) -> Window:
    start = draw(st.dates(min_value=first, max_value=last))
    return Window(start=start, end=start + timedelta(days=draw(st.integers(1, 2 * 366))))


def _same(schedule: Schedule, window: Window, parts: Store, **kwargs: object) -> None:
    expected = to_ics(feed_calendar(schedule, window, **kwargs))  # type: ignore[arg-type]
    assert render_feed(schedule, window, parts=parts, **kwargs) == expected  # type: ignore[arg-type]


@given(long_windows(), LANGS, FILTERS, BASES, JOINS)
def test_a_feed_from_kept_parts_is_the_whole_calendars_bytes(
    window: Window, lang: str, filter: str, base: str, join: str | None
) -> None:
    _same(CLACKAMAS, window, CLACKAMAS_PARTS, lang=lang, filter=filter, base_url=base, join_url=join)


@given(
    schedules(zone_names=EDGE_ZONES),
    st.lists(st.tuples(days, st.integers(1, 400), LANGS, FILTERS, JOINS), min_size=2, max_size=4),
)
def test_windows_of_any_schedule_share_parts_and_keep_their_bytes(
    schedule: Schedule, asks: list[tuple[date, int, str, str, str | None]]
) -> None:
    parts = Store()
    for start, length, lang, filter, join in asks:
        window = Window(start=start, end=start + timedelta(days=length))
        _same(schedule, window, parts, lang=lang, filter=filter, base_url="https://hmis.example.org", join_url=join)


def test_a_window_inside_one_already_rendered_makes_no_new_event() -> None:
    parts = Store()
    whole = Window(start=date(2027, 1, 1), end=date(2028, 12, 31))
    assert render_feed(CLACKAMAS, whole) == to_ics(feed_calendar(CLACKAMAS, whole))  # no store: the same bytes
    render_feed(CLACKAMAS, Window(start=date(2027, 1, 1), end=date(2028, 12, 31)), parts=parts)
    made = parts.made
    inner = Window(start=date(2027, 3, 5), end=date(2028, 7, 9))
    assert render_feed(CLACKAMAS, inner, parts=parts) == to_ics(feed_calendar(CLACKAMAS, inner))
    assert parts.made == made  # same head, same VTIMEZONE (same years), every event kept
    render_feed(CLACKAMAS, inner, parts=parts, lang="es")
    assert parts.made > made  # Spanish events are other parts
