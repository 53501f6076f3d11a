"""The one place the library reads the clock.

Everything else receives "now" or "today" as an argument; the public queries
call :func:`now` only when the caller passed nothing. Tests replace it with
``monkeypatch.setattr(hmis_schedule.clock, "now", ...)``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

__all__ = ["now"]


def now(zone: tzinfo) -> datetime:
    """The current instant, expressed in ``zone``."""
    return datetime.now(zone)
