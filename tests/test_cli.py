"""The command line, through click's test runner and as a real subprocess.

Oracles: the library's own answers for the same question (``next_session``,
``sessions_between``, ``render_feed``, ``builtin_text``), and the file read back
with ``load_schedule`` after an edit. Every refusal leaves the file byte for
byte as it was, and no error prints a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from click.testing import CliRunner, Result
from support import APP, BASE, FROZEN, KEY, MARKER, Server, free_port, get

import hmis_schedule
from hmis_schedule import Status, load_schedule, private, state
from hmis_schedule import cli as cli_module
from hmis_schedule.cli import READ_ONLY, cli, gunicorn_argv
from hmis_schedule.feed import render_feed
from hmis_schedule.files import builtin_text
from hmis_schedule.record import session_record
from hmis_schedule.session import session_uid
from hmis_schedule.text import long_date, session_summary
from hmis_schedule.window import feed_window

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
COMMENT = "# The administrator's own note."


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the clock through hmis_schedule.clock; pin it, and forget any outside HMIS_SCHEDULE."""
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: NOW.astimezone(zone))
    monkeypatch.delenv("HMIS_SCHEDULE", raising=False)


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    path = tmp_path / "my-schedule.toml"
    path.write_text(builtin_text() + f"\n{COMMENT}\n", encoding="utf-8")
    return path


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# -- help -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_explains_itself_with_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {command}") or f"{command} [OPTIONS]" in result.output
    assert "--help" in result.output


def test_the_group_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert all(name in result.output for name in cli.commands)


# -- next --------------------------------------------------------------------------------


def test_next_shows_the_librarys_next_session(clackamas: hmis_schedule.Schedule) -> None:
    expected = clackamas.next_session(NOW)
    assert expected is not None
    result = run("next")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == session_summary(expected, clackamas, "en")
    assert lines[1].startswith(long_date(expected.day, "en")) and clackamas.timezone in lines[1]


def test_next_in_spanish_for_in_person_sessions(clackamas: hmis_schedule.Schedule) -> None:
    expected = clackamas.next_session(NOW, modality="in_person")
    assert expected is not None
    result = run("next", "--lang", "es", "--modality", "in-person")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == session_summary(expected, clackamas, "es")
    assert lines[1].startswith(long_date(expected.day, "es"))
    assert expected.full_location in result.stdout


def test_next_as_json_after_a_given_date(clackamas: hmis_schedule.Schedule) -> None:
    expected = clackamas.next_session(date(2027, 1, 1))
    assert expected is not None
    result = run("next", "--after", "2027-01-01", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == session_record(expected, clackamas)


def test_next_when_nothing_is_planned_says_so(tmp_path: Path) -> None:
    text = builtin_text()
    head, _, _ = text.partition("[[slots]]")
    path = tmp_path / "past.toml"
    path.write_text(
        head + '[[extra_sessions]]\nid = "old"\ndate = 2020-01-06\nstart = "09:00"\nend = "12:00"\nmodality = "online"\n',
        encoding="utf-8",
    )
    assert run("next", "--file", path).stdout.strip() == "No session is planned in the next ten years."
    assert run("next", "--file", path, "--lang", "es").stdout.strip().startswith("No hay ninguna sesión")
    assert json.loads(run("next", "--file", path, "--format", "json").stdout) is None


# -- list --------------------------------------------------------------------------------


def test_list_json_gives_every_session_of_the_inclusive_dates_with_status_and_reason(
    clackamas: hmis_schedule.Schedule,
) -> None:
    result = run("list", "--from", "2026-09-01", "--to", "2026-10-12", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    expected = clackamas.sessions_between(date(2026, 9, 1), date(2026, 10, 13))
    assert data["sessions"] == [session_record(s, clackamas) for s in expected]
    assert data["sessions"][-1]["date"] == "2026-10-12"  # the --to date is included
    labor_day = next(s for s in data["sessions"] if s["date"] == "2026-09-07")
    assert (labor_day["status"], labor_day["reason"]) == ("cancelled", "Labor Day - county offices closed")


def test_list_table_shows_times_in_the_schedules_zone_and_cancellations(clackamas: hmis_schedule.Schedule) -> None:
    result = run("list", "--from", "2027-01-01", "--to", "2027-01-31", "--modality", "online")
    assert result.exit_code == 0
    expected = clackamas.sessions_between(date(2027, 1, 1), date(2027, 2, 1), modality="online")
    rows = result.stdout.splitlines()[3:]
    assert len(rows) == len(expected)
    for row, session in zip(rows, expected, strict=True):
        assert row.startswith(f"{session.day:%a} {session.day}  {session.start:%H:%M}-{session.end:%H:%M}")
        assert row.endswith(f"cancelled: {session.reason}") == session.cancelled
    assert "America/Los_Angeles" in result.stdout.splitlines()[0]


def test_list_ics_is_the_feed_of_those_dates(clackamas: hmis_schedule.Schedule) -> None:
    result = run("list", "--from", "2027-01-01", "--to", "2027-03-31", "--format", "ics", "--lang", "es")
    assert result.exit_code == 0
    expected = render_feed(
        clackamas,
        feed_window(clackamas, NOW.astimezone(clackamas.zone).date(), date(2027, 1, 1), date(2027, 4, 1)),
        lang="es",
    )
    assert result.stdout_bytes == expected
    events = icalendar.Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert len(events) == len(clackamas.sessions_between(date(2027, 1, 1), date(2027, 4, 1)))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--from", "2027-02-01", "--to", "2027-01-01"], "'--to'"),
        (["--from", "2027-01-01", "--to", "2047-01-01"], "'--to'"),
        (["--from", "January"], "'--from'"),
        (["--modality", "hybrid"], "'--modality'"),
        (["--format", "csv"], "'--format'"),
    ],
)
def test_list_usage_errors_name_the_option_and_exit_2(args: list[str], named: str) -> None:
    result = run("list", *args)
    assert result.exit_code == 2
    assert named in result.output


def test_a_missing_schedule_file_is_reported_with_exit_1(tmp_path: Path) -> None:
    result = run("list", "--file", tmp_path / "nowhere.toml")
    assert result.exit_code == 1
    assert "nowhere.toml: no such file" in result.output


def test_hmis_schedule_in_the_environment_names_the_file(schedule_file: Path) -> None:
    assert run("close", "2027-03-15", "--reason", "Floating holiday", env={"HMIS_SCHEDULE": str(schedule_file)}).exit_code == 0
    data = json.loads(
        run("list", "--from", "2027-03-15", "--to", "2027-03-15", "--format", "json",
            env={"HMIS_SCHEDULE": str(schedule_file)}).stdout
    )
    assert [(s["status"], s["reason"]) for s in data["sessions"]] == [("cancelled", "Floating holiday")]


# -- init and validate ---------------------------------------------------------------


def test_init_writes_the_built_in_schedule_with_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "my-schedule.toml"
    result = run("init", path)
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == builtin_text()
    assert "validate" in result.output


def test_init_refuses_to_overwrite_unless_forced(schedule_file: Path) -> None:
    before = schedule_file.read_bytes()
    result = run("init", schedule_file)
    assert result.exit_code == 1 and "--force" in result.output
    assert schedule_file.read_bytes() == before
    assert run("init", schedule_file, "--force").exit_code == 0
    assert schedule_file.read_text(encoding="utf-8") == builtin_text()
    assert schedule_file.with_name("my-schedule.toml.bak").read_bytes() == before


def test_init_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = run("init", tmp_path / "no" / "such" / "s.toml")
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not (tmp_path / "no").exists()


def test_validate_accepts_a_good_file(schedule_file: Path) -> None:
    result = run("validate", schedule_file)
    assert result.exit_code == 0 and "is valid: 5 slots" in result.output
    data = json.loads(run("validate", schedule_file, "--format", "json").stdout)
    assert data == {"file": str(schedule_file), "valid": True, "problems": []}


def test_validate_reports_every_problem_with_its_field_path(schedule_file: Path) -> None:
    text = schedule_file.read_text(encoding="utf-8")
    text = text.replace('start = "13:00"', 'start = "1 pm"', 1).replace("ordinal = 3", "ordinal = 7")
    text = text.replace("[feed]\n", "[feed]\nrefresh = 3\n")
    schedule_file.write_text(text, encoding="utf-8")
    result = run("validate", schedule_file)
    assert result.exit_code == 1
    for field in ("slots[1].start", "slots[2].ordinal", "feed.refresh"):
        assert field in result.output
    data = json.loads(run("validate", "--format", "json", "--file", schedule_file).stdout)
    assert data["valid"] is False
    assert {p["field"] for p in data["problems"]} == {"slots[1].start", "slots[2].ordinal", "feed.refresh"}


def test_validate_needs_a_file_name() -> None:
    result = run("validate")
    assert result.exit_code == 2 and "name the file" in result.output


# -- edits ---------------------------------------------------------------------------------


def test_close_and_reopen(schedule_file: Path) -> None:
    result = run("close", "2027-03-15", "--reason", "County floating holiday", "--file", schedule_file)
    assert result.exit_code == 0
    assert "Closed Mon 2027-03-15" in result.output and "third-monday" in result.output
    schedule = load_schedule(schedule_file)
    assert [c.reason for c in schedule.closures] == ["County floating holiday"]
    assert schedule.updated == NOW
    assert COMMENT in schedule_file.read_text(encoding="utf-8")
    result = run("reopen", "2027-03-15", "--file", schedule_file)
    assert result.exit_code == 0
    assert load_schedule(schedule_file).closures == ()


def test_the_file_option_may_come_before_the_command(schedule_file: Path) -> None:
    assert run("--file", schedule_file, "close", "2027-03-15", "--reason", "x").exit_code == 0
    assert len(load_schedule(schedule_file).closures) == 1


def test_cancel_and_uncancel(schedule_file: Path) -> None:
    key = session_uid("second-monday", date(2027, 1, 11), "hmis-training.clackamas.us")
    assert run("cancel", "second-monday", "2027-01-11", "--reason", "Trainer out", "-f", schedule_file).exit_code == 0
    session = load_schedule(schedule_file).session(key)
    assert (session.status, session.reason) == (Status.CANCELLED, "Trainer out")
    assert run("uncancel", "second-monday", "2027-01-11", "-f", schedule_file).exit_code == 0
    assert load_schedule(schedule_file).session(key).status is Status.SCHEDULED


def test_move(schedule_file: Path) -> None:
    result = run(
        "move", "second-monday", "2027-02-08", "--to-date", "2027-02-09", "--start", "9:30", "--end", "12:30",
        "--room", "PSB 301", "--file", schedule_file,
    )
    assert result.exit_code == 0
    session = load_schedule(schedule_file).session(
        session_uid("second-monday", date(2027, 2, 8), "hmis-training.clackamas.us")
    )
    assert (session.day, session.start.strftime("%H:%M"), session.end.strftime("%H:%M"), session.room) == (
        date(2027, 2, 9), "09:30", "12:30", "PSB 301"
    )


def test_add_session(schedule_file: Path) -> None:
    result = run(
        "add-session", "spanish-jan", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online",
        "--location", "Microsoft Teams", "--notes", "En español", "-f", schedule_file,
    )
    assert result.exit_code == 0
    [extra] = load_schedule(schedule_file).extras
    assert (extra.id, extra.date, extra.notes) == ("spanish-jan", date(2027, 1, 20), "En español")


def test_an_edit_with_nothing_to_change_says_so_and_leaves_the_file(schedule_file: Path) -> None:
    assert run("close", "2027-03-15", "--reason", "x", "-f", schedule_file).exit_code == 0
    before = schedule_file.read_bytes()
    result = run("close", "2027-03-15", "--reason", "x", "-f", schedule_file)
    assert result.exit_code == 0 and "Nothing to change" in result.output and "was not changed" in result.output
    assert schedule_file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["cancel", "second-monday", "2027-01-12", "--reason", "x"], "nearby: Mon 2026-12-14, Mon 2027-01-11"),
        (["cancel", "second-tuesday", "2027-01-12", "--reason", "x"], "no slot or extra session has the id"),
        (["cancel", "second-monday", "2027-01-11", "--reason", " "], "reason"),
        (["reopen", "2027-03-16"], "is not closed"),
        (["uncancel", "second-monday", "2027-01-11"], "was not cancelled"),
        (["move", "second-monday", "2027-02-08", "--start", "17:00"], "changes[0].end: must be after start"),
        (["add-session", "first-monday", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online"],
         "is taken by slot 'first-monday'"),
        (["add-session", "x", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "in_person"],
         "in-person session needs the street address"),
    ],
)
def test_a_refused_edit_exits_1_with_the_reason_and_leaves_the_file_byte_for_byte(
    schedule_file: Path, args: list[str], says: str
) -> None:
    before = schedule_file.read_bytes()
    result = run(*args, "--file", schedule_file)
    assert result.exit_code == 1
    assert says in result.output
    assert schedule_file.read_bytes() == before
    assert not schedule_file.with_name("my-schedule.toml.bak").exists()


def test_an_invalid_file_is_not_edited(schedule_file: Path) -> None:
    schedule_file.write_text(schedule_file.read_text().replace("ordinal = 1", "ordinal = 0"), encoding="utf-8")
    before = schedule_file.read_bytes()
    result = run("close", "2027-03-15", "--reason", "x", "-f", schedule_file)
    assert result.exit_code == 1
    assert "slots[0].ordinal" in result.output and "Fix them first" in result.output  # the one style of refusal (issue 13)
    assert schedule_file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["close", "15/03/2027", "--reason", "x"], "'DATE'"),
        (["close", "2027-03-15"], "'--reason'"),
        (["move", "second-monday", "2027-02-08", "--start", "9am"], "'--start'"),
        (["move", "second-monday", "2027-02-08"], "say what to change"),
        (["add-session", "x", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "hybrid"],
         "'--modality'"),
        (["cancel", "second-monday"], "'DATE'"),
    ],
)
def test_usage_errors_exit_2_and_name_the_parameter(schedule_file: Path, args: list[str], named: str) -> None:
    before = schedule_file.read_bytes()
    result = run(*args, "--file", schedule_file)
    assert result.exit_code == 2
    assert named in result.output
    assert schedule_file.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["close", "2027-03-15", "--reason", "x"],
        ["reopen", "2027-01-18"],
        ["cancel", "second-monday", "2027-01-11", "--reason", "x"],
        ["uncancel", "second-monday", "2027-01-11"],
        ["move", "second-monday", "2027-02-08", "--room", "B"],
        ["add-session", "x", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online"],
    ],
)
def test_editing_commands_refuse_the_built_in_schedule(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert READ_ONLY in " ".join(result.output.split())


# -- export and serve ---------------------------------------------------------------


def test_export_writes_the_static_site(tmp_path: Path, schedule_file: Path) -> None:
    run("close", "2027-03-15", "--reason", "Floating holiday", "-f", schedule_file)
    result = run("export", tmp_path / "site", "--base-url", "https://hmis.example.org/", "-f", schedule_file)
    assert result.exit_code == 0
    schedule = load_schedule(schedule_file)
    written = (tmp_path / "site" / "calendar.ics").read_bytes()
    assert written == render_feed(
        schedule, feed_window(schedule, NOW.astimezone(schedule.zone).date()), base_url="https://hmis.example.org"
    )
    assert str(len([p for p in (tmp_path / "site").rglob("*") if p.is_file()])) in result.output


def test_export_refuses_a_bad_base_url(tmp_path: Path) -> None:
    result = run("export", tmp_path / "site", "--base-url", "hmis.example.org")
    assert result.exit_code == 2 and "'--base-url'" in result.output
    assert not (tmp_path / "site").exists()


class Exec(Exception):
    """Raised by the fake os.execvpe so the command stops where it would become gunicorn."""


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], dict[str, str]]]:
    calls: list[tuple[str, list[str], dict[str, str]]] = []

    def fake(file: str, args: list[str], env: dict[str, str]) -> None:
        calls.append((file, list(args), dict(env)))
        raise Exec

    monkeypatch.setattr(cli_module.os, "execvpe", fake)
    return calls


def test_serve_becomes_gunicorn_serving_server_app_with_the_file(
    schedule_file: Path, exec_calls: list[tuple[str, list[str], dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(schedule_file.parent)
    result = CliRunner().invoke(cli, ["serve", "--port", "8123", "--workers", "3", "--file", schedule_file.name])
    assert isinstance(result.exception, Exec)
    [(file, args, env)] = exec_calls
    assert file == sys.executable
    assert args == gunicorn_argv(host="127.0.0.1", port=8123, workers=3)
    assert args[-1] == "hmis_schedule.web:app_from_environment()" and "--chdir" not in args
    assert env["HMIS_SCHEDULE"] == str(schedule_file.resolve())


def test_serve_without_a_file_serves_the_built_in_schedule(
    exec_calls: list[tuple[str, list[str], dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMIS_SCHEDULE", "")
    result = CliRunner().invoke(cli, ["serve", "--host", "::1"])
    assert isinstance(result.exception, Exec)
    [(_, args, env)] = exec_calls
    assert "HMIS_SCHEDULE" not in env
    assert args[args.index("--bind") + 1] == "[::1]:8000"


def test_serve_refuses_an_invalid_file_before_starting(
    schedule_file: Path, exec_calls: list[tuple[str, list[str], dict[str, str]]]
) -> None:
    schedule_file.write_text("schema = 1\n", encoding="utf-8")
    result = run("serve", "--file", schedule_file)
    assert result.exit_code == 1 and "uid_domain: is required" in result.output
    assert exec_calls == []


# -- as a real program -------------------------------------------------------------------


def program(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HMIS_SCHEDULE"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        [sys.executable, "-m", "hmis_schedule.cli", *map(str, args)],
        capture_output=True, text=True, timeout=60, env=env, check=False, **kwargs,
    )


def test_as_a_subprocess_list_json_matches_the_library(clackamas: hmis_schedule.Schedule) -> None:
    done = program("list", "--from", "2027-01-01", "--to", "2027-06-30", "--format", "json")
    assert done.returncode == 0, done.stderr
    expected = clackamas.sessions_between(date(2027, 1, 1), date(2027, 7, 1))
    assert json.loads(done.stdout)["sessions"] == [session_record(s, clackamas) for s in expected]


def test_as_a_subprocess_edits_and_errors(schedule_file: Path) -> None:
    done = program("close", "2027-03-15", "--reason", "Floating holiday", env={"HMIS_SCHEDULE": str(schedule_file)})
    assert done.returncode == 0 and "Closed Mon 2027-03-15" in done.stdout
    assert [c.date for c in load_schedule(schedule_file).closures] == [date(2027, 3, 15)]
    before = schedule_file.read_bytes()
    refused = program("cancel", "second-monday", "2027-01-12", "--reason", "x", "--file", schedule_file)
    assert refused.returncode == 1 and "nearby" in refused.stderr and "Traceback" not in refused.stderr
    usage = program("close", "tomorrow", "--reason", "x", "--file", schedule_file)
    assert usage.returncode == 2 and "'DATE'" in usage.stderr and "Traceback" not in usage.stderr
    assert schedule_file.read_bytes() == before


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("hmis-schedule")
    if not script.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{script} is missing: `pip install -e .` installs it")
        pytest.skip(f"{script} is not installed (run `pip install -e .`)")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and hmis_schedule.__version__ in done.stdout


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hmis_schedule.cli", "list", "--from", "2027-01-01", "--to", "2031-12-31"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    error = process.stderr.read().decode()
    process.stderr.close()
    process.wait(timeout=60)
    assert "Traceback" not in error and "Exception ignored" not in error


@pytest.fixture
def served(schedule_file: Path, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "hmis_schedule.cli", "serve", "--port", str(port), "--workers", "1",
            "--file", str(schedule_file)]  # fmt: skip
    with Server(tmp_path, argv=argv, port=port, cwd=Path.cwd()) as server:
        yield server


def test_serve_answers_healthz_on_loopback(served: Server, schedule_file: Path) -> None:
    status, body = get(served.port, "/healthz")
    assert status == 200
    answer = json.loads(body)
    assert answer["status"] == "ok"
    status, body = get(served.port, "/calendar.ics")
    assert status == 200
    schedule = load_schedule(schedule_file)
    feed = icalendar.Calendar.from_ical(body)
    assert feed.walk("VEVENT")[0]["UID"].endswith("@" + schedule.uid_domain)


# -- private links: private-link, revoke and serve's secrets ---------------------------------------


def _token_of(url: str) -> str:
    parts = urlsplit(url)
    match = re.fullmatch(r"/private/([^/]+)/(calendar|online)\.ics", parts.path)
    assert match, url
    return match[1]


@pytest.mark.parametrize(
    ("options", "path", "query"),
    [
        ([], "calendar.ics", ""),
        (["--online"], "online.ics", ""),
        (["--lang", "es"], "calendar.ics", "lang=es"),
    ],
)
def test_private_link_prints_a_working_link(
    env: dict[str, str], options: list[str], path: str, query: str
) -> None:
    result = run("private-link", "--label", "Agency X - Alice", "--expires", "90", "--base-url", BASE, *options,
                 env=env)  # fmt: skip
    assert result.exit_code == 0
    url = result.stdout.strip()
    assert "\n" not in url and url.startswith(f"{BASE}/private/")
    assert urlsplit(url).path.endswith(path) and urlsplit(url).query == query
    grant = private.read_token(KEY, _token_of(url), now=FROZEN)
    assert grant is not None and grant.label == "Agency X - Alice"
    assert grant.expires == FROZEN.astimezone(UTC).replace(microsecond=0) + timedelta(days=90)
    assert "hmis-schedule revoke 'Agency X - Alice'" in result.stderr
    served = APP.test_client().get(url.removeprefix(BASE))
    assert served.status_code == 200 and MARKER.encode() in served.data.replace(b"\r\n ", b"")


def test_private_link_takes_the_base_url_from_the_environment(env: dict[str, str]) -> None:
    result = run("private-link", "--label", "bob", env={**env, "HMIS_BASE_URL": "https://x.example.org/"})
    assert result.exit_code == 0 and result.stdout.startswith("https://x.example.org/private/")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--label", "bob"], 2, "--base-url"),
        (["--label", "bob", "--base-url", "x.example.org"], 2, "'--base-url'"),
        (["--label", "bob", "--base-url", BASE, "--expires", "0"], 2, "'--expires'"),
        (["--label", " ", "--base-url", BASE], 1, "label: must not be empty"),
        (["--base-url", BASE], 2, "--label"),
    ],
)
def test_private_link_usage_errors(env: dict[str, str], args: list[str], code: int, says: str) -> None:
    result = run("private-link", *args, env=env)
    assert result.exit_code == code and says in result.output
    assert "/private/" not in result.stdout


def test_private_link_needs_the_key_and_notes_a_missing_join_url(env: dict[str, str]) -> None:
    result = run("private-link", "--label", "bob", "--base-url", BASE, env={**env, "HMIS_SECRET_KEY": ""})
    assert result.exit_code == 1 and "HMIS_SECRET_KEY" in result.output and "/private/" not in result.output
    noted = run("private-link", "--label", "bob", "--base-url", BASE, env={**env, "HMIS_TEAMS_URL": ""})
    assert noted.exit_code == 0 and "HMIS_TEAMS_URL is not set" in noted.stderr
    bad = run(
        "private-link",
        "--label",
        "bob",
        "--base-url",
        BASE,
        env={**env, "HMIS_TEAMS_URL": "http://x/" + MARKER},
    )
    assert bad.exit_code == 1 and "HMIS_TEAMS_URL" in bad.output and MARKER not in bad.output


def test_revoke_writes_the_state_file_beside_the_schedule(env: dict[str, str]) -> None:
    schedule_file = Path(env["HMIS_SCHEDULE"])
    target = schedule_file.with_name("my-schedule.state.toml")
    result = run("revoke", "Agency X - Alice", env=env)
    assert result.exit_code == 0 and str(target) in result.stdout
    first = state.load_state(target)
    assert [(r.label, r.at) for r in first.revoked] == [("Agency X - Alice", FROZEN.astimezone(UTC))]
    text = target.read_text(encoding="utf-8").replace("[[revoked]]", "# the admin's note\n[[revoked]]", 1)
    target.write_text(text, encoding="utf-8")
    assert run("revoke", "agency x - alice", env=env).exit_code == 0  # again: the same entry, case ignored
    assert run("revoke", "bob", "--file", str(schedule_file), env={**env, "HMIS_SCHEDULE": ""}).exit_code == 0
    again = state.load_state(target)
    assert [r.label for r in again.revoked] == ["Agency X - Alice", "bob"]
    assert "# the admin's note" in target.read_text(encoding="utf-8")
    assert target.with_name(target.name + ".bak").exists()


def test_revoke_uses_hmis_state_file_and_needs_a_place(env: dict[str, str], tmp_path: Path) -> None:
    elsewhere = tmp_path / "revoked.toml"
    assert run("revoke", "bob", env={**env, "HMIS_STATE_FILE": str(elsewhere)}).exit_code == 0
    assert [r.label for r in state.load_state(elsewhere).revoked] == ["bob"]
    nowhere = run("revoke", "bob", env={**env, "HMIS_SCHEDULE": ""})
    assert nowhere.exit_code == 2 and "HMIS_STATE_FILE" in nowhere.output


def test_revoke_refuses_a_broken_state_file_and_leaves_it(env: dict[str, str]) -> None:
    target = state.state_path(env["HMIS_SCHEDULE"])
    target.write_text("[[revoked]]\nlabel = 5\n", encoding="utf-8")
    before = target.read_bytes()
    result = run("revoke", "bob", env=env)
    assert result.exit_code == 1 and "revoked[0].label" in result.output
    assert target.read_bytes() == before
    assert run("revoke", "a\tb", env=env).exit_code == 1


@pytest.mark.parametrize("command", ["private-link", "revoke"])
def test_the_new_commands_explain_themselves(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_private_link_and_revoke_as_a_real_program(env: dict[str, str]) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | env

    def program(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hmis_schedule.cli", *args],
            capture_output=True, text=True, timeout=60, env=environment, check=False, cwd=ROOT,
        )  # fmt: skip

    made = program("private-link", "--label", "carol", "--base-url", BASE)
    assert made.returncode == 0, made.stderr
    grant = private.read_token(KEY, _token_of(made.stdout.strip()), now=datetime.now(UTC))
    assert grant is not None and grant.label == "carol"
    done = program("revoke", "carol")
    assert done.returncode == 0, done.stderr
    assert state.load_state(state.state_path(env["HMIS_SCHEDULE"])).is_revoked(grant)
    refused = program("private-link", "--label", "carol")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and refused.stdout == ""


def test_serve_refuses_bad_secrets_before_starting(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(hmis_schedule.cli.os, "execvpe", lambda *args: calls.append(args))
    result = run("serve", env={**env, "HMIS_TEAMS_URL": "http://teams.example.org/" + MARKER})
    assert result.exit_code == 1 and "HMIS_TEAMS_URL" in result.output and MARKER not in result.output
    assert calls == []
