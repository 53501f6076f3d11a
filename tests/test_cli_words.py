"""The command line shows notes and moves wherever it lists a session, and `validate` warns of missing words.

``hmis-schedule move --notes`` and ``add-session --notes`` set what people
read; ``list`` (table and JSON) and ``next`` show it, with "moved from" for
a session moved to another date. ``validate`` passes a file that leaves out
the contact or onboarding words, warning on stderr (or under ``warnings``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import hmis_schedule
from hmis_schedule import load_schedule
from hmis_schedule.cli import cli
from hmis_schedule.files import builtin_text
from hmis_schedule.text import long_date

NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
DOC = Path(__file__).parent.parent / "docs" / "schedule-format.md"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: NOW.astimezone(zone))
    monkeypatch.delenv("HMIS_SCHEDULE", raising=False)


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """The built-in schedule with a session moved (with notes) and an extra session with notes."""
    path = tmp_path / "s.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    moved = run("move", "second-monday", "2027-01-11", "--to-date", "2027-01-12", "--notes", "North entrance",
                "-f", path)  # fmt: skip
    assert moved.exit_code == 0, moved.output
    added = run("add-session", "spanish-jan", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality",
                "online", "--location", "Microsoft Teams", "--notes", "En español", "-f", path)  # fmt: skip
    assert added.exit_code == 0, added.output
    return path


def test_list_shows_the_move_and_the_notes(edited: Path) -> None:
    result = run("list", "--from", "2027-01-01", "--to", "2027-01-31", "-f", edited)
    assert result.exit_code == 0
    (moved,) = [line for line in result.output.splitlines() if line.startswith("Tue 2027-01-12")]
    assert "moved from Mon 2027-01-11" in moved and "notes: North entrance" in moved
    (extra,) = [line for line in result.output.splitlines() if line.startswith("Wed 2027-01-20")]
    assert "notes: En español" in extra


def test_list_as_json_says_the_move_and_the_notes(edited: Path) -> None:
    result = run("list", "--from", "2027-01-01", "--to", "2027-01-31", "--format", "json", "-f", edited)
    records = {r["uid"]: r for r in json.loads(result.output)["sessions"]}
    schedule = load_schedule(edited)
    moved = records[f"second-monday-20270111@{schedule.uid_domain}"]
    assert (moved["moved"], moved["original_date"], moved["date"]) == (True, "2027-01-11", "2027-01-12")
    assert moved["notes"] == "North entrance"
    assert records[f"spanish-jan-20270120@{schedule.uid_domain}"]["notes"] == "En español"


def test_next_says_where_a_session_was_moved_from(edited: Path) -> None:
    result = run("next", "--after", "2027-01-11T14:00", "--modality", "in_person", "--lang", "es", "-f", edited)
    assert result.exit_code == 0
    assert "Trasladada desde el " + long_date(datetime(2027, 1, 11).date(), "es") in result.output
    assert "North entrance" in result.output


def test_validate_warns_of_missing_words_but_passes(tmp_path: Path) -> None:
    minimal = DOC.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "minimal.toml"
    path.write_text(minimal, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0
    assert "is valid" in result.stdout and "warning" not in result.stdout
    for field in ("contact", "onboarding", "online.join"):
        assert f"warning: {field}: " in result.stderr
    data = json.loads(run("validate", path, "--format", "json").stdout)
    assert data["valid"] is True
    assert {w["field"] for w in data["warnings"]} == {"contact", "onboarding", "online.join"}
