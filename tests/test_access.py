"""Access to the join link: a valid, unrevoked token gets it; anything else gets nothing, without a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hmis_schedule import ScheduleError
from hmis_schedule.access import PrivateFeeds
from hmis_schedule.follow import Readable, Reading
from hmis_schedule.private import Secrets, issue_token
from hmis_schedule.source import Fixed
from hmis_schedule.state import Revocation, State

KEY = "k" * 40
JOIN = "https://teams.example.org/l/meetup-join/SECRET-MARKER"
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
SECRETS = Secrets(secret_key=KEY, teams_url=JOIN)


class Broken(Readable[State]):
    """A state source whose latest version could not be used."""

    def reading(self) -> Reading[State]:
        return Reading(State(), "s.state.toml: revoked[0].at: is required")


def test_a_valid_token_grants_the_join_url_until_it_expires() -> None:
    feeds = PrivateFeeds(Fixed(SECRETS), Fixed(State()))
    token = issue_token(KEY, "Alice", days=30, now=NOW)
    assert feeds.grant(token, NOW + timedelta(days=29)) == JOIN
    assert feeds.grant(token, NOW + timedelta(days=30)) is None


def test_a_revoked_label_grants_nothing_for_links_issued_before() -> None:
    revoked = State(revoked=(Revocation(label="alice", at=NOW + timedelta(hours=1)),))
    feeds = PrivateFeeds(Fixed(SECRETS), Fixed(revoked))
    assert feeds.grant(issue_token(KEY, "Alice", now=NOW), NOW + timedelta(hours=2)) is None
    assert feeds.grant(issue_token(KEY, "Alice", now=NOW + timedelta(hours=3)), NOW + timedelta(hours=4)) == JOIN
    assert feeds.grant(issue_token(KEY, "Bob", now=NOW), NOW + timedelta(hours=2)) == JOIN


@pytest.mark.parametrize("token", ["", "x", "a.b.c", issue_token("o" * 40, "Alice", now=NOW)])
def test_anything_else_grants_nothing(token: str) -> None:
    assert PrivateFeeds(Fixed(SECRETS), None).grant(token, NOW) is None


def test_private_feeds_need_both_secrets() -> None:
    with pytest.raises(ScheduleError):
        PrivateFeeds(Fixed(Secrets(secret_key=KEY)), None)


def test_errors_of_the_sources_are_reported_and_no_secret_is_shown() -> None:
    feeds = PrivateFeeds(Fixed(SECRETS), Broken())
    assert feeds.error == "s.state.toml: revoked[0].at: is required"
    assert PrivateFeeds(Fixed(SECRETS), None).error is None
    assert KEY not in repr(feeds) and "SECRET-MARKER" not in repr(feeds)
