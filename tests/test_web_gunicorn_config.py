"""Gunicorn's settings (:mod:`hmis_schedule.web.gunicorn_config`): the redacting logger, the app loaded once.

``serve`` and ``make serve`` use the redacting configuration; with the app
loaded once in gunicorn's master, a start-up note is logged once and a bad
schedule file stops gunicorn with one line before any worker starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT, Served, get, invalid

import hmis_schedule
from hmis_schedule.cli import cli
from hmis_schedule.web import gunicorn_config


def test_serve_and_make_serve_use_the_redacting_gunicorn_config(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_exec(file: str, args: list[str], environment: dict[str, str]) -> None:
        calls.append(list(args))
        raise SystemExit(0)

    monkeypatch.setattr(hmis_schedule.cli.os, "execvpe", fake_exec)
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0 and len(calls) == 1
    config = calls[0][calls[0].index("--config") + 1]
    assert config == "python:hmis_schedule.web.gunicorn_config"
    assert gunicorn_config.logger_class is gunicorn_config.RedactingLogger
    serve_target = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "--config python:hmis_schedule.web.gunicorn_config" in serve_target


def test_gunicorn_says_once_that_private_feeds_are_off(tmp_path: Path) -> None:
    gunicorn_server = Served(tmp_path, HMIS_SECRET_KEY="", HMIS_TEAMS_URL="")
    try:
        gunicorn_server.wait_until_up()
        for _ in range(4):  # both workers answer
            assert get(gunicorn_server.port, "/calendar.ics")[0] == 200
    finally:
        gunicorn_server.stop()
    errors = gunicorn_server.error_log.read_text(encoding="utf-8", errors="replace")
    assert errors.count("private feeds are off") == 1, errors
    assert errors.count("Booting worker") == 2


def test_gunicorn_stops_at_once_with_one_line_for_a_bad_schedule_file(tmp_path: Path) -> None:
    gunicorn_server = Served(tmp_path)
    gunicorn_server.schedule.write_text(invalid(), encoding="utf-8")
    try:
        code = gunicorn_server.process.wait(timeout=60)
    finally:
        gunicorn_server.stop()
    said = gunicorn_server.output.read_text(encoding="utf-8", errors="replace")
    assert code != 0
    assert said.startswith(f"hmis-schedule: cannot start: HMIS_SCHEDULE: {gunicorn_server.schedule}: ")
    assert "timezone:" in said and "Traceback" not in said
    errors = gunicorn_server.error_log.read_text(encoding="utf-8", errors="replace")
    assert "Booting worker" not in errors  # refused before any worker started
