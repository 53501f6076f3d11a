"""Benchmark: rendering the Clackamas feeds, against icalendar's own ``to_ical()`` as the floor.

Run it (``make bench`` runs it too)::

    .venv/bin/python bench/bench_feed.py [--repeat 20]

Two feeds of the built-in schedule, English, all sessions:

- the default window for "today" 2026-11-23 (90 days back, 15 months ahead);
- the longest explicit window, five years (2026-01-01 to 2031-01-01).

For each, the figures in microseconds per event are:

- ``render_feed``: the whole public call for a window worked out beforehand
  by ``feed_window`` (sessions with holidays, text in the language,
  VTIMEZONE, icalendar components, folding);
- ``build``: ``feed_calendar`` alone, up to the icalendar ``Calendar``;
- ``to_ics``: the library's serializer (icalendar's content lines, folded by
  ``fold_line``) of that already-built calendar;
- ``to_ical (floor)``: icalendar's own ``Calendar.to_ical()`` of the same
  already-built calendar: what any feed built with icalendar pays at least.

Times are the median of ``--repeat`` warm runs (VTIMEZONE and holiday caches
filled), plus the cold first render in this process. This is a benchmark,
not a test: nothing here fails the build; compare ratios, not absolute times,
across machines.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time as timer
from collections.abc import Callable
from datetime import date

import icalendar

import hmis_schedule
from hmis_schedule.feed import feed_calendar, render_feed, to_ics
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)
FEEDS: dict[str, dict[str, date | None]] = {
    "default 15-month window": {"start": None, "end": None},
    "5-year window": {"start": date(2026, 1, 1), "end": date(2031, 1, 1)},
}


def _median_seconds(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = timer.perf_counter()
        call()
        times.append(timer.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="warm runs per figure (median)")
    args = parser.parse_args()
    schedule = hmis_schedule.clackamas()

    began = timer.perf_counter()
    render_feed(schedule, feed_window(schedule, TODAY))
    cold = timer.perf_counter() - began

    print(f"Python {platform.python_version()}, icalendar {icalendar.__version__}, {platform.machine()}")
    print(f"cold first render_feed (default window, VTIMEZONE and holidays computed): {cold * 1e3:.1f} ms")
    print()
    header = f"{'feed':<26}{'events':>7}{'render_feed':>14}{'build':>10}{'to_ics':>10}{'to_ical (floor)':>17}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, bounds in FEEDS.items():
        window = feed_window(schedule, TODAY, bounds["start"], bounds["end"])
        calendar = feed_calendar(schedule, window)
        events = len(calendar.events)
        assert to_ics(calendar) == render_feed(schedule, window)
        whole = _median_seconds(lambda: render_feed(schedule, window), args.repeat)  # noqa: B023
        build = _median_seconds(lambda: feed_calendar(schedule, window), args.repeat)  # noqa: B023
        ours = _median_seconds(lambda: to_ics(calendar), args.repeat)  # noqa: B023
        floor = _median_seconds(calendar.to_ical, args.repeat)
        per = [t / events * 1e6 for t in (whole, build, ours, floor)]
        print(
            f"{name:<26}{events:>7}{per[0]:>11.0f} us{per[1]:>7.0f} us{per[2]:>7.0f} us{per[3]:>14.0f} us"
            f"{whole / floor:>7.1f}x"
        )
    print()
    print("us = microseconds per event; ratio = render_feed / to_ical floor.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
