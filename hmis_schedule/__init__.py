"""hmis_schedule: a recurring training schedule as sessions and calendar feeds.

The pipeline, one module per stage:

- :mod:`~hmis_schedule.rules`: slot rules ("2nd Monday, 13:00-16:00") and their dates;
- :mod:`~hmis_schedule.session`: one occurrence, the :class:`Session`;
- :mod:`~hmis_schedule.changes` and :mod:`~hmis_schedule.closures`: one-off
  changes, extra sessions, holidays and closures;
- :mod:`~hmis_schedule.schedule`: the :class:`Schedule` and its queries;
- :mod:`~hmis_schedule.files`: TOML schedule files in and out;
- :mod:`~hmis_schedule.feed` (with :mod:`~hmis_schedule.text` and
  :mod:`~hmis_schedule.vtimezone`): iCalendar feeds;
  :mod:`~hmis_schedule.export`: every feed written to a folder;
- :mod:`~hmis_schedule.addresses` (public URLs) and :mod:`~hmis_schedule.record`
  (JSON records), shared by the server, the export and the command line;
- :mod:`~hmis_schedule.web`: the Flask app that serves it all.

>>> from datetime import date
>>> import hmis_schedule
>>> schedule = hmis_schedule.clackamas()
>>> first = schedule.next_session(date(2026, 12, 1))
>>> first.start.isoformat(), first.modality.value
('2026-12-07T09:00:00-08:00', 'online')
"""

from .addresses import Addresses, FeedFilter
from .changes import Change, ExtraSession
from .closures import Closure, HolidayCalendar
from .errors import Problem, ScheduleError, SessionNotFoundError, WindowError
from .facts import LANGUAGES, Contact, Crisis, Onboarding, Online, Step, Text
from .feed import render_feed, render_session, session_summary
from .files import SCHEMA_VERSION, clackamas, from_toml, load_schedule, to_toml
from .record import schedule_info, session_record
from .rules import LAST, ORDINALS, Modality, Slot, Weekday, nth_weekday
from .schedule import FeedSettings, Schedule
from .session import Session, Status
from .window import Window, feed_window

__all__ = [
    "LANGUAGES",
    "LAST",
    "ORDINALS",
    "SCHEMA_VERSION",
    "Addresses",
    "Change",
    "Closure",
    "Contact",
    "Crisis",
    "ExtraSession",
    "FeedFilter",
    "FeedSettings",
    "HolidayCalendar",
    "Modality",
    "Onboarding",
    "Online",
    "Problem",
    "Schedule",
    "ScheduleError",
    "Session",
    "SessionNotFoundError",
    "Slot",
    "Status",
    "Step",
    "Text",
    "Weekday",
    "Window",
    "WindowError",
    "clackamas",
    "feed_window",
    "from_toml",
    "load_schedule",
    "nth_weekday",
    "render_feed",
    "render_session",
    "schedule_info",
    "session_record",
    "session_summary",
    "to_toml",
]

__version__ = "0.1.0"
