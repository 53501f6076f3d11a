"""The state file (:mod:`hmis_schedule.state`): revocations, the file's name and what a revocation covers.

The ``revoke`` command that writes it is in ``test_cli.py``; the server
following it in ``test_web_sources.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import hmis_schedule
from hmis_schedule import private, state


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("revoked = 1", "revoked"),
        ("[[revoked]]\nat = 2026-12-01T00:00:00Z", "revoked[0].label"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01', "revoked[0].at"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01T00:00:00', "revoked[0].at"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01T00:00:00Z\nwhy = "x"', "revoked[0].why"),
        ('other = "x"', "other"),
    ],
)
def test_a_bad_state_file_names_the_field(text: str, field: str) -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        state.from_state_toml(text, source="s.toml")
    assert caught.value.field == field


def test_the_state_file_is_named_after_the_schedule_with_links_resolved(tmp_path: Path) -> None:
    real = tmp_path / "v2.toml"
    real.write_text("", encoding="utf-8")
    link = tmp_path / "current.toml"
    link.symlink_to(real)
    assert state.state_path(link) == tmp_path / "v2.state.toml"
    assert state.state_path(tmp_path / "plain") == tmp_path / "plain.state.toml"


def test_a_revocation_covers_links_issued_up_to_its_time_only() -> None:
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    revoked = state.State(revoked=(state.Revocation(label="Alice", at=at),))

    def grant(label: str, issued: datetime) -> private.Grant:
        return private.Grant(label=label, issued=issued, expires=issued + timedelta(days=1))

    assert revoked.is_revoked(grant("alice", at))
    assert revoked.is_revoked(grant("ALICE", at - timedelta(days=9)))
    assert not revoked.is_revoked(grant("alice", at + timedelta(seconds=1)))
    assert not revoked.is_revoked(grant("alice2", at - timedelta(days=1)))
