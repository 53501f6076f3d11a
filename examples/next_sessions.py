"""Print the next HMIS training sessions of the built-in Clackamas schedule.

Run it::

    .venv/bin/python examples/next_sessions.py              # the next 5 sessions from now
    .venv/bin/python examples/next_sessions.py 8            # the next 8
    .venv/bin/python examples/next_sessions.py 8 --from 2027-05-01

"Now" and "today" are Los Angeles time, whatever the machine's clock zone.
Cancelled sessions (holidays, closures) are listed with the reason, so a
subscriber sees why a Monday has no training.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

import hmis_schedule


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=5, help="how many sessions (default 5)")
    parser.add_argument(
        "--from", dest="first", type=date.fromisoformat, help="start at midnight of this day (default: now)"
    )
    args = parser.parse_args(argv)
    schedule = hmis_schedule.clackamas()
    start: date | datetime = args.first or hmis_schedule.clock.now(schedule.zone)
    print(f"{schedule.name} (times in {schedule.timezone})")
    upcoming = schedule.next_session(start)
    if upcoming is not None:
        print(f"Next session you can attend: {upcoming.start:%a %d %b %Y %H:%M} ({upcoming.uid})")
    sessions = schedule.sessions_between(start, schedule.today(start) + timedelta(days=400))
    for session in sessions[: args.count]:
        status = f"  CANCELLED: {session.reason}" if session.cancelled else ""
        print(f"{session.start:%a %d %b %Y %H:%M}-{session.end:%H:%M}  {session.full_location}{status}")


if __name__ == "__main__":
    main()
