"""JSON records: one session record and one schedule header for the API, the export and the CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from support import BASE

import hmis_schedule
from hmis_schedule import Schedule, Session, clackamas, schedule_info, session_record
from hmis_schedule.openapi import openapi_spec

SCHEDULE = clackamas()
SESSIONS = SCHEDULE.sessions_between(date(2026, 1, 1), date(2028, 1, 1))


@given(st.sampled_from(SESSIONS), st.sampled_from(["en", "es"]), st.booleans())
def test_a_record_says_what_the_session_is(session: Session, lang: str, static: bool) -> None:
    record = session_record(session, SCHEDULE, base_url=BASE, lang=lang, static=static)
    assert datetime.fromisoformat(str(record["start"])) == session.start
    assert datetime.fromisoformat(str(record["end"])) == session.end
    assert record["date"] == session.day.isoformat()
    assert record["status"] == session.status.value
    assert record["moved"] is session.moved
    assert (record["reason"] == "") is (not session.cancelled)
    assert str(record["ics_url"]).startswith(BASE + ("/es/" if static and lang == "es" else "/sessions/"))


def test_records_have_exactly_the_fields_the_api_describes() -> None:
    described = openapi_spec(BASE, feed=SCHEDULE.feed)["components"]["schemas"]["Session"]
    record = session_record(SESSIONS[0], SCHEDULE, base_url=BASE)
    assert set(record) == set(described["properties"]) == set(described["required"])


def test_the_header_names_the_schedule_in_the_language_asked(clackamas: Schedule) -> None:
    info = schedule_info(clackamas, lang="es", base_url=BASE)
    assert info["name"] == clackamas.name.get("es")
    assert info["version"] == clackamas.version and info["timezone"] == clackamas.timezone


def test_session_records_round_trip_the_session_fields(clackamas: hmis_schedule.Schedule) -> None:
    moved = clackamas.sessions_between(date(2027, 1, 1), date(2027, 1, 31))
    for session in moved:
        data = session_record(session, clackamas)
        assert datetime.fromisoformat(data["start"]) == session.start
        assert datetime.fromisoformat(data["end"]) - datetime.fromisoformat(data["start"]) == session.duration
        assert data["uid"] == session.uid and timedelta(0) < session.duration
