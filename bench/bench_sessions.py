"""Benchmark: 100 years of Clackamas sessions, the library against a plain dateutil rrule expansion.

Run it (``make bench`` does the same)::

    .venv/bin/python bench/bench_sessions.py [--repeat 7]

Both sides compute the sessions of 2000-01-01 to 2099-12-31 (the window
``[2000-01-01, 2100-01-01)``):

- the library: ``clackamas().sessions_between(...)``, which also applies the
  Oregon holidays (observed dates included) and builds ``Session`` values;
- dateutil: five ``rrule(MONTHLY, byweekday=MO(n))`` rules (n = 1..5), each
  date turned into zoneinfo-aware start and end datetimes, sorted by start.
  No holidays: it is the bare recurrence expansion the library must match.

Times are the best of ``--repeat`` runs, warm (holiday tables cached), plus
the cold first call in this process and a cold call with the holiday cache
cleared. Before timing, the script checks that both sides give the same
start and end instants. This is a benchmark, not a test: no figure here can
fail the build; compare the ratio, not the absolute times, across machines.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time as timer
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.rrule import MO, MONTHLY, rrule

import hmis_schedule
from hmis_schedule import closures as closures_module

FIRST, END = date(2000, 1, 1), date(2100, 1, 1)
RULES = (  # the published Clackamas table: ordinal, start, end
    (1, time(9), time(12)),
    (2, time(13), time(16)),
    (3, time(9), time(12)),
    (4, time(13), time(16)),
    (5, time(9), time(12)),
)


def with_library() -> list[tuple[datetime, datetime]]:
    schedule = hmis_schedule.clackamas()
    return [(s.start, s.end) for s in schedule.sessions_between(FIRST, END)]


def with_dateutil() -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo("America/Los_Angeles")
    found = []
    for ordinal, start, end in RULES:
        rule = rrule(
            MONTHLY, dtstart=datetime.combine(FIRST, time(0)), until=datetime(2099, 12, 31), byweekday=MO(ordinal)
        )
        for occurrence in rule:
            day = occurrence.date()
            found.append((datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)))
    found.sort()
    return found


def once(work: Callable[[], object]) -> float:
    started = timer.perf_counter()
    work()
    return timer.perf_counter() - started


def best(work: Callable[[], object], repeat: int, before: Callable[[], None] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        before()
        times.append(once(work))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure (best is reported)")
    args = parser.parse_args()

    hmis_schedule.clackamas()  # load the built-in file first: reading it is not what we measure
    cold_library = once(with_library)
    cold_dateutil = once(with_dateutil)

    ours, theirs = with_library(), with_dateutil()
    if [(a.astimezone(ZoneInfo("UTC")), b.astimezone(ZoneInfo("UTC"))) for a, b in ours] != [
        (a.astimezone(ZoneInfo("UTC")), b.astimezone(ZoneInfo("UTC"))) for a, b in theirs
    ]:
        sys.exit("the library and dateutil disagree: not benchmarking")

    warm_library = best(with_library, args.repeat)
    warm_dateutil = best(with_dateutil, args.repeat)
    cold_cache_library = best(with_library, args.repeat, before=closures_module._TABLES.clear)  # a cold start: no holiday tables

    print(f"100 years of Clackamas sessions ({FIRST} to {END}, end exclusive): {len(ours)} sessions")
    print(f"Python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    print(f"  library  warm (holiday tables cached)  {warm_library * 1000:8.1f} ms")
    print(f"  dateutil warm                          {warm_dateutil * 1000:8.1f} ms")
    print(f"  ratio    library / dateutil (warm)     {warm_library / warm_dateutil:8.2f}")
    print(f"  library  holiday cache cleared         {cold_cache_library * 1000:8.1f} ms")
    print(f"  library  cold first call in process    {cold_library * 1000:8.1f} ms")
    print(f"  dateutil cold first call in process    {cold_dateutil * 1000:8.1f} ms")
    print(f"  ratio    library / dateutil (cold)     {cold_library / cold_dateutil:8.2f}")


if __name__ == "__main__":
    main()
