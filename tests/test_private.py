"""Private feeds' links and secrets (:mod:`hmis_schedule.private`): signed tokens, secrets, a join URL never shown.

A token carries its label and expiry and works only until then and only
under its key; secrets come from the environment or a secrets file, and a bad
join URL is refused without quoting it. Also here: a feed refuses a join URL
that is not https (the private feeds' safeguard in :mod:`hmis_schedule.feed`).
The private routes are in ``test_web_feeds.py``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import FROZEN, JOIN, KEY, MARKER, OTHER_KEY, private_app

import hmis_schedule
from hmis_schedule import feed, private, web
from hmis_schedule.window import feed_window

SCHEDULE = hmis_schedule.clackamas()


# -- tokens ----------------------------------------------------------------------------------------


def test_a_token_carries_its_label_issue_time_and_expiry() -> None:
    issued = datetime(2026, 12, 1, 17, 30, 12, 999, tzinfo=UTC)
    token = private.issue_token(KEY, "  alice@agency.example.org ", days=90, now=issued)
    grant = private.read_token(KEY, token, now=issued + timedelta(days=89))
    assert grant is not None
    assert grant.label == "alice@agency.example.org"
    assert grant.issued == issued.replace(microsecond=0)
    assert grant.expires == grant.issued + timedelta(days=90)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (timedelta(minutes=-10), False),  # issued in the future (beyond clock skew)
        (timedelta(0), True),
        (timedelta(days=30) - timedelta(seconds=1), True),
        (timedelta(days=30), False),
        (timedelta(days=400), False),
    ],
)
def test_a_token_works_from_its_issue_time_until_it_expires(age: timedelta, valid: bool) -> None:
    issued = datetime(2026, 12, 1, tzinfo=UTC)
    token = private.issue_token(KEY, "bob", days=30, now=issued)
    assert (private.read_token(KEY, token, now=issued + age) is not None) is valid


def test_a_token_signed_with_another_key_is_not_valid() -> None:
    token = private.issue_token(OTHER_KEY, "bob", days=30, now=FROZEN)
    assert private.read_token(KEY, token, now=FROZEN) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "a\nb"}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"days": 0}, "days"),
        ({"days": private.MAX_DAYS + 1}, "days"),
        ({"now": datetime(2026, 12, 1)}, "now"),
        ({"secret_key": "short"}, "secret_key"),
    ],
)
def test_issuing_refuses_bad_input_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"secret_key": KEY, "label": "alice", "days": 30, "now": FROZEN} | kwargs
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.issue_token(args.pop("secret_key"), args.pop("label"), **args)
    assert caught.value.field == field


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_come_from_the_environment_or_the_secrets_file(tmp_path: Path) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(f'secret_key = "{OTHER_KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    from_file = private.load_secrets({"HMIS_SECRETS_FILE": str(file)})
    assert (from_file.secret_key, from_file.teams_url) == (OTHER_KEY, JOIN)
    both = private.load_secrets({"HMIS_SECRETS_FILE": str(file), "HMIS_SECRET_KEY": KEY})
    assert (both.secret_key, both.teams_url) == (KEY, JOIN)  # a variable that is set wins
    assert private.load_secrets({}).private_feeds is False
    assert KEY not in repr(both) and JOIN not in repr(both) and MARKER not in repr(both)


@pytest.mark.parametrize(
    "url",
    [
        "http://teams.microsoft.com/l/meetup-join/" + MARKER,
        "https:///" + MARKER,
        "teams.microsoft.com/" + MARKER,
        "https://user:pw@teams.microsoft.com/" + MARKER,
        "https://teams.microsoft.com/" + MARKER + " x",
        'https://teams.microsoft.com/"' + MARKER,
        "javascript:alert('" + MARKER + "')",
    ],
)
def test_a_bad_join_url_is_refused_without_showing_it(url: str, tmp_path: Path) -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.load_secrets({"HMIS_TEAMS_URL": url})
    assert caught.value.field == "HMIS_TEAMS_URL" and MARKER not in str(caught.value)
    file = tmp_path / "secrets.toml"
    file.write_text(f"teams_url = {json.dumps(url)}\n", encoding="utf-8")
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.load_secrets({"HMIS_SECRETS_FILE": str(file)})
    assert caught.value.field == "teams_url" and str(file) in str(caught.value)
    assert MARKER not in str(caught.value)
    with pytest.raises(web.ConfigError) as config:
        private_app(HMIS_TEAMS_URL=url)
    assert str(config.value).startswith("HMIS_TEAMS_URL: ") and MARKER not in str(config.value)


def test_the_feed_refuses_a_join_url_that_is_not_https() -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        feed.render_feed(
            SCHEDULE, feed_window(SCHEDULE, date(2026, 12, 1)), join_url="http://teams.example.org/x"
        )
    assert caught.value.field == "join_url"
