"""Sources: a fixed value or a followed file, read the same way; the schedule's and the state file's."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmis_schedule import Schedule, ScheduleError, clackamas
from hmis_schedule.files import builtin_text
from hmis_schedule.follow import FileFollower
from hmis_schedule.source import Fixed, Loaded, schedule_source, state_source


def test_the_built_in_schedule_is_the_default_and_never_changes() -> None:
    source = schedule_source(None)
    assert isinstance(source, Fixed)
    assert source.value == Loaded.of(clackamas(), "built in") and source.error is None


def test_a_schedule_given_in_code_is_served_as_given(clackamas: Schedule) -> None:
    source = schedule_source(clackamas)
    assert source.value.schedule is clackamas and source.value.version == clackamas.version


def test_a_schedule_file_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    ticks = iter(range(100))
    source = schedule_source(path, interval=1, monotonic=lambda: next(ticks))
    assert isinstance(source, FileFollower)
    assert source.value.schedule == clackamas() and source.value.source == str(path)
    path.write_text(builtin_text().replace('id = "clackamas-hmis"', 'id = "renamed"'), encoding="utf-8")
    assert [source.value.schedule.id for _ in range(3)][-1] == "renamed"


def test_a_bad_schedule_file_is_refused_at_start_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"', encoding="utf-8")
    with pytest.raises(ScheduleError) as caught:
        schedule_source(path)
    assert str(path) in str(caught.value) and "timezone" in str(caught.value)


def test_a_missing_state_file_is_an_empty_state(tmp_path: Path) -> None:
    source = state_source(tmp_path / "s.state.toml")
    assert source.value.revoked == () and source.error is None
