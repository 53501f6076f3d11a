"""List the sessions of another county's schedule, loaded from a TOML file.

Start here when your county is not Clackamas: copy ``another-county.toml``,
edit it, and point this script at your copy.

Run it::

    .venv/bin/python examples/list_another_county.py                          # the next 90 days
    .venv/bin/python examples/list_another_county.py 2027-01-01 2027-03-31    # both days included
    .venv/bin/python examples/list_another_county.py 2027-01-01 2027-03-31 --file my-county.toml

A bad file prints what is wrong (file, field and problem) and exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import hmis_schedule

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", nargs="?", type=date.fromisoformat, help="first day (default: today)")
    parser.add_argument("last", nargs="?", type=date.fromisoformat, help="last day, included (default: 90 days on)")
    parser.add_argument("--file", type=Path, default=HERE / "another-county.toml", help="the schedule file")
    args = parser.parse_args(argv)
    try:
        schedule = hmis_schedule.load_schedule(args.file)
    except hmis_schedule.ScheduleError as err:
        print(err, file=sys.stderr)
        return 1
    first = args.first or schedule.today()
    last = args.last or first + timedelta(days=90)
    print(f"{schedule.name} ({schedule.timezone}), {first} to {last}")
    # The library's windows are half-open, [start, end): the day after `last` ends it.
    for session in schedule.sessions_between(first, last + timedelta(days=1)):
        line = (
            f"{session.start:%a %Y-%m-%d %H:%M}-{session.end:%H:%M} {session.start:%Z}"
            f"  {session.modality.value:<9}  {session.full_location}"
        )
        if session.moved:
            line += f"  (moved from {session.original_date})"
        if session.cancelled:
            line += f"  CANCELLED: {session.reason}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
