"""Print the next HMIS training sessions of the built-in Clackamas schedule.

Run it: ``.venv/bin/python examples/next_sessions.py [COUNT]``.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import hmis_schedule


def main(count: int = 5) -> None:
    schedule = hmis_schedule.clackamas()
    today = schedule.today()
    print(f"{schedule.name} (times in {schedule.timezone})")
    sessions = schedule.sessions_between(today, today + timedelta(days=120))
    for session in sessions[:count]:
        where = session.full_location
        status = f"  CANCELLED: {session.reason}" if session.cancelled else ""
        print(f"{session.start:%a %d %b %Y %H:%M}-{session.end:%H:%M}  {where}{status}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
