"""One parser per kind of value: what each accepts and refuses, and that every place reading that kind uses it.

Oracles: ``date.isoformat``/``datetime.isoformat`` (what the parsers read back
is what was written), and the parsers themselves for the places that wrap
them: a schedule file, a query, a private link and the feed window refuse a
value with the shared parser's message.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hmis_schedule
from hmis_schedule import Modality, ScheduleError, WindowError, feed_window, private
from hmis_schedule.files import from_toml
from hmis_schedule.values import MAX_URL, aware_datetime, day, https_url, modality, whole_number

CLACKAMAS = hmis_schedule.clackamas()
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_SECRET%40thread.v2/0"


# -- modality ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*Modality, *(m.value for m in Modality)])
def test_a_modality_is_taken_as_itself_or_its_value(value: object) -> None:
    assert modality(value, "modality") is Modality(value)


@pytest.mark.parametrize("bad", ["zoom", "Online", "in-person", "", None, 1, b"online"])
def test_anything_else_is_refused_with_the_choices(bad: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        modality(bad, "slots[0].modality")
    assert caught.value.field == "slots[0].modality"
    assert caught.value.choices == ("online", "in_person")


# -- aware datetimes ----------------------------------------------------------------------------------

aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.timezones()
).filter(lambda d: d.utcoffset() is not None)


@given(moment=aware)
def test_an_aware_datetime_and_its_iso_text_give_the_same_instant(moment: datetime) -> None:
    assert aware_datetime(moment, "updated") is moment
    parsed = aware_datetime(moment.isoformat(), "updated")
    # compare in UTC: a time in a zone's repeated or skipped hour never equals one in another zone (PEP 495)
    assert parsed.astimezone(UTC) == moment.astimezone(UTC) and parsed.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    "bad",
    [
        datetime(2026, 11, 23, 9),  # naive: no instant
        "2026-11-23T09:00:00",
        "2026-11-23",
        date(2026, 11, 23),
        "soon",
        1_764_000_000,
        None,
    ],
)
def test_a_value_that_names_no_instant_is_refused(bad: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        aware_datetime(bad, "updated")
    assert caught.value.field == "updated"
    assert "with an offset" in caught.value.message


def test_text_can_be_refused_where_only_a_datetime_is_expected() -> None:
    moment = datetime(2026, 11, 23, 9, tzinfo=timezone(timedelta(hours=-8)))
    assert aware_datetime(moment, "now", text=False) is moment
    with pytest.raises(ScheduleError) as caught:
        aware_datetime(moment.isoformat(), "now", text=False)
    assert caught.value.message == f"expected an aware datetime, got {moment.isoformat()!r}"


# -- whole numbers ------------------------------------------------------------------------------------


@given(value=st.integers(-10_000, 10_000), low=st.integers(-100, 100), span=st.integers(0, 200))
def test_a_whole_number_is_kept_within_its_bounds_both_included(value: int, low: int, span: int) -> None:
    high = low + span
    if low <= value <= high:
        assert whole_number(value, "n", minimum=low, maximum=high) == value
    else:
        with pytest.raises(ScheduleError, match=f"from {low} to {high}"):
            whole_number(value, "n", minimum=low, maximum=high)


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None, 10**3 + 0.5])
def test_bools_floats_and_text_are_not_whole_numbers(bad: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        whole_number(bad, "past_days")
    assert caught.value.field == "past_days"
    assert caught.value.message == f"expected a whole number, got {bad!r}"


def test_one_sided_bounds_are_said_as_such() -> None:
    with pytest.raises(ScheduleError, match="at least 0"):
        whole_number(-1, "n", minimum=0)
    with pytest.raises(ScheduleError, match="at most 5"):
        whole_number(6, "n", maximum=5)


# -- days ---------------------------------------------------------------------------------------------


@given(value=st.dates())
def test_a_day_and_its_iso_text_give_the_same_date(value: date) -> None:
    assert day(value, "date") is value
    assert day(value.isoformat(), "date") == value


@pytest.mark.parametrize(
    "bad",
    [
        "2026-02-30",
        "2026-13-01",
        "20261207",  # date.fromisoformat takes these three; a schedule file or URL does not
        "2026-W50-1",
        "2026-12-7",
        " 2026-12-07",
        "\uff12\uff10\uff12\uff16-\uff11\uff12-\uff10\uff17",  # 2026-12-07 in full-width digits
        datetime(2026, 12, 7, tzinfo=UTC),
        datetime(2026, 12, 7),
        20261207,
        None,
    ],
)
def test_anything_but_a_date_or_yyyy_mm_dd_is_refused(bad: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        day(bad, "closures[0].date")
    assert caught.value.field == "closures[0].date"
    assert "expected a date such as 2026-12-07" in caught.value.message


def test_a_day_as_text_can_be_refused() -> None:
    with pytest.raises(ScheduleError):
        day("2026-12-07", "start", text=False)


# -- https URLs ---------------------------------------------------------------------------------------


def test_an_https_url_is_kept_stripped() -> None:
    assert https_url(f"  {JOIN}\n", "join_url") == JOIN
    assert https_url("HTTPS://example.org:8443/x?y=1#z", "u") == "HTTPS://example.org:8443/x?y=1#z"


@pytest.mark.parametrize(
    "bad",
    [
        JOIN.replace("https:", "http:"),
        JOIN.replace("https://", "https://user:pw@"),
        JOIN + " extra",
        JOIN + '"',
        JOIN + "\x00",
        "https:///no-host",
        "https://example.org:port/x",
        "https://" + "a" * MAX_URL,
        "",
        None,
        b"https://example.org",
    ],
)
def test_anything_else_is_refused_without_repeating_the_value(bad: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        https_url(bad, "join_url")
    assert caught.value.field == "join_url"
    assert caught.value.message.startswith("expected an https URL")
    assert "SECRET" not in str(caught.value) and "user:pw" not in str(caught.value)


# -- every place reading a kind of value uses its parser -----------------------------------------------


def _message(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ScheduleError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.message


def test_a_schedule_file_refuses_values_with_the_shared_messages() -> None:
    text = hmis_schedule.files.builtin_text()
    cases = [
        ("updated = 2026-11-01T00:00:00Z", "updated = 2026-11-01T00:00:00", aware_datetime, "updated"),
        ("past_days = 90 ", "past_days = true ", whole_number, "feed.past_days"),
    ]
    for old, new, parser, field in cases:
        assert old in text, old
        with pytest.raises(ScheduleError) as caught:
            from_toml(text.replace(old, new, 1))
        (problem,) = caught.value.problems
        assert problem.field == field
        assert problem.message == _message(parser, next(iter(tomllib.loads(new).values())), "")


def test_the_library_refuses_values_with_the_shared_messages() -> None:
    naive = datetime(2026, 12, 1)
    assert _message(CLACKAMAS.sessions_between, date(2026, 1, 1), date(2026, 2, 1), modality="zoom") == _message(
        modality, "zoom", "modality"
    )
    assert _message(private.issue_token, "k" * 32, "alice", now=naive) == _message(
        aware_datetime, naive, "now", text=False
    )
    assert _message(private.issue_token, "k" * 32, "alice", days=0, now=naive.replace(tzinfo=UTC)) == _message(
        whole_number, 0, "days", minimum=1, maximum=private.MAX_DAYS
    )
    assert _message(private.check_join_url, "http://x.org") == _message(https_url, "http://x.org", "teams_url")
    with pytest.raises(WindowError) as caught:
        feed_window(CLACKAMAS, date(2026, 11, 23), "2026-12-01")  # type: ignore[arg-type]
    assert caught.value.message == _message(day, "2026-12-01", "start", text=False)
