"""What the page shows: :mod:`hmis_schedule.overview`.

The server keeps a rendered page until :attr:`Overview.valid_until`, so the
overview must not change before then: Hypothesis checks it at random
instants, against the library's own queries as the oracle.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from support import INSTANTS

import hmis_schedule
from hmis_schedule.overview import months_ahead, overview

SCHEDULE = hmis_schedule.clackamas()


def _same(a: hmis_schedule.overview.Overview, b: hmis_schedule.overview.Overview) -> bool:
    return (a.today, a.next, a.next_by_modality, a.months, a.upcoming) == (
        b.today,
        b.next,
        b.next_by_modality,
        b.months,
        b.upcoming,
    )


@given(now=INSTANTS)
def test_the_overview_is_the_librarys_answer(now: datetime) -> None:
    view = overview(SCHEDULE, now)
    local = now.astimezone(SCHEDULE.zone)
    assert view.today == local.date()
    assert view.next == SCHEDULE.next_session(now)
    assert dict(view.next_by_modality) == {
        m: SCHEDULE.next_session(now, modality=m) for m in hmis_schedule.Modality
    }
    assert [m.first for m in view.months] == months_ahead(view.today, 3)
    end = months_ahead(view.today, 4)[-1]
    expected = [s for s in SCHEDULE.sessions_between(view.today - timedelta(days=1), end) if s.end > now]
    assert list(view.upcoming) == expected
    for month in view.months:
        assert month.sessions == tuple(
            SCHEDULE.sessions_between(month.first, months_ahead(month.first, 2)[-1])
        )
        for week in month.weeks:
            assert len(week) == 7
            assert week[0].date.weekday() == calendar.SUNDAY


@given(now=INSTANTS)
# 2032-07-05 is a Monday closed for Independence Day (observed): the cancelled
# session's start changes nothing on the page, so the view holds past it.
@example(now=datetime(2032, 7, 5, tzinfo=ZoneInfo("America/Los_Angeles")))
def test_the_overview_holds_until_valid_until_and_not_after(now: datetime) -> None:
    view = overview(SCHEDULE, now)
    assert view.valid_until > now
    assert view.valid_until <= now.astimezone(SCHEDULE.zone).replace(hour=0, minute=0) + timedelta(
        days=1, hours=1
    )
    just_before = overview(SCHEDULE, view.valid_until - timedelta(microseconds=1))
    assert _same(view, just_before)
    at = overview(SCHEDULE, view.valid_until)
    changed_day = at.today != view.today
    assert changed_day or not _same(view, at)


def test_months_ahead_crosses_the_year() -> None:
    assert months_ahead(date(2026, 11, 30), 4) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
