"""Whatever publishes keeps the record: the server when it adopts a file, the command line's edits and export.

The record itself is tested in ``test_published.py``; here, each publisher
writes it to the state file under its lock, serves or writes with it, and
goes on (the server degraded, the command line with a warning) when the
state file cannot be written.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_published import CANCEL, TRAINER_OUT, prop, vevent_lines

import hmis_schedule.clock
from hmis_schedule import state, web
from hmis_schedule.cli import cli
from hmis_schedule.files import builtin_text, load_schedule
from hmis_schedule.zones import tzdata_version

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
UNCHANGED = "first-monday-20270104@hmis-training.clackamas.us"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(path: Path, clock: Clock, now: datetime = NOW) -> Any:
    return web.create_app(
        {"NOW": lambda: now, "HMIS_BASE_URL": "", "HMIS_SCHEDULE": str(path), "MONOTONIC": clock,
         "HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": "", "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": ""}
    )  # fmt: skip


def write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def settle(client: Any, clock: Clock, n: int = 6) -> None:
    """Enough looks at the files, a second apart, for the server to adopt what changed."""
    for _ in range(n):
        clock.now += 1.0
        client.get("/healthz")


def test_the_server_publishes_a_hand_edit_with_a_higher_sequence(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text() + CANCEL, encoding="utf-8")
    clock = Clock()
    client = make_app(path, clock).test_client()
    before = client.get("/calendar.ics").data
    assert prop(before, TRAINER_OUT, "SEQUENCE") == "1" and prop(before, TRAINER_OUT, "STATUS") == "CANCELLED"
    write_atomically(path, builtin_text())  # the cancellation deleted by hand
    settle(client, clock)
    after = client.get("/calendar.ics").data
    assert prop(after, TRAINER_OUT, "SEQUENCE") == "2" and prop(after, TRAINER_OUT, "STATUS") == "CONFIRMED"
    assert prop(after, TRAINER_OUT, "DTSTAMP") == "20261203T180000Z"
    assert vevent_lines(after, UNCHANGED) == vevent_lines(before, UNCHANGED)
    assert state.load_state(state.state_path(path)).published.entries[TRAINER_OUT].sequence == 2
    records = client.get("/api/sessions.json").json["sessions"]
    assert next(r for r in records if r["uid"] == TRAINER_OUT)["sequence"] == 2
    one = client.get(f"/sessions/{TRAINER_OUT}.ics").data
    assert prop(one, TRAINER_OUT, "SEQUENCE") == "2"
    assert client.get("/healthz").json["status"] == "ok"


def test_two_workers_publishing_the_same_edit_serve_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text() + CANCEL, encoding="utf-8")
    clock = Clock()
    first = make_app(path, clock, NOW).test_client()
    second = make_app(path, clock, datetime(2026, 12, 3, 19, 0, tzinfo=UTC)).test_client()  # a later clock
    write_atomically(path, builtin_text())
    settle(first, clock)
    settle(second, clock)
    one, two = first.get("/calendar.ics"), second.get("/calendar.ics")
    assert one.data == two.data and one.headers["ETag"] == two.headers["ETag"]
    assert prop(one.data, TRAINER_OUT, "DTSTAMP") == "20261203T180000Z"  # the first publisher's stamp


def test_the_server_serves_from_memory_and_says_degraded_when_the_state_file_is_read_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text() + CANCEL, encoding="utf-8")
    clock = Clock()
    client = make_app(path, clock).test_client()
    state_file = state.state_path(path)
    state_file.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        write_atomically(path, builtin_text())
        settle(client, clock)
        health = client.get("/healthz").json
    assert health == {"status": "degraded", "version": load_schedule(path).version, "tzdata": tzdata_version()}  # the reason is logged
    assert "could not be saved" in caplog.text and "read-only" in caplog.text
    assert prop(client.get("/calendar.ics").data, TRAINER_OUT, "SEQUENCE") == "2"
    state_file.chmod(0o644)
    state_file.touch()  # the next change of either file saves it
    settle(client, clock)
    assert client.get("/healthz").json["status"] == "ok"
    assert state.load_state(state_file).published.entries[TRAINER_OUT].sequence == 2


def run(*args: str | Path) -> Any:
    env = {"HMIS_SCHEDULE": "", "HMIS_STATE_FILE": ""}
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_each_cli_edit_publishes_and_export_uses_the_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: NOW.astimezone(zone))
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    done = run("cancel", "second-monday", "2027-01-11", "--reason", "Trainer out", "--file", path)
    assert done.exit_code == 0, done.output
    recorded = state.load_state(state.state_path(path)).published
    assert recorded.entries[TRAINER_OUT].sequence == 1
    write_atomically(path, builtin_text())  # the cancellation deleted by hand, then exported
    site = tmp_path / "site"
    exported = run("export", site, "--file", path)
    assert exported.exit_code == 0, exported.output
    feed_bytes = (site / "calendar.ics").read_bytes()
    assert prop(feed_bytes, TRAINER_OUT, "SEQUENCE") == "2"
    assert prop(feed_bytes, TRAINER_OUT, "DTSTAMP") == "20261203T180000Z"
    assert state.load_state(state.state_path(path)).published.entries[TRAINER_OUT].sequence == 2
    records = json.loads((site / "sessions.json").read_text())["sessions"]
    assert next(r for r in records if r["uid"] == TRAINER_OUT)["sequence"] == 2


def test_a_cli_edit_is_made_with_a_warning_when_the_state_file_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    state_file = state.state_path(path)
    state_file.write_text("# nothing yet\n")
    state_file.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    done = CliRunner().invoke(
        cli, ["close", "2027-03-15", "--reason", "County floating holiday", "--file", str(path)],
        env={"HMIS_SCHEDULE": "", "HMIS_STATE_FILE": ""},
    )  # fmt: skip
    assert done.exit_code == 0
    assert "Closed Mon 2027-03-15" in done.stdout
    assert "Warning: what was published could not be saved" in done.stderr and "writable" in done.stderr
    assert "County floating holiday" in path.read_text()
    assert state_file.read_text() == "# nothing yet\n"


def test_look_ups_show_the_published_sequence_and_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: NOW.astimezone(zone))
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text(), encoding="utf-8")
    assert run("cancel", "second-monday", "2027-01-11", "--reason", "Trainer out", "--file", path).exit_code == 0
    write_atomically(path, builtin_text())  # deleted by hand; nothing has published that yet
    state_file = state.state_path(path)
    saved = state_file.read_bytes()
    listed = run("list", "--from", "2027-01-11", "--to", "2027-01-11", "--format", "json", "--file", path)
    assert json.loads(listed.output)["sessions"][0]["sequence"] == 2
    ics = run("list", "--from", "2027-01-11", "--to", "2027-01-11", "--format", "ics", "--file", path).output
    assert prop(ics.encode().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"), TRAINER_OUT, "SEQUENCE") == "2"
    assert state_file.read_bytes() == saved
