"""The command line behaves the same way everywhere (issue 13), through click's runner and as a real program.

- the schedule file is named the same way (``--file``/``HMIS_SCHEDULE``), and the positional forms people
  already use still work: ``validate FILE``, ``init FILE``, ``export DIR``, ``list FROM TO``;
- edits of the past and overlapping sessions are refused unless ``--allow-past`` / ``--allow-overlap``;
- every refusal reads "Not changed: what and why. What to do." on stderr, with the README's exit codes
  (0 done, 1 refused or invalid, 2 usage);
- ``--dry-run`` writes nothing and prints the changes the real edit then makes;
- every entry an edit adds carries a comment; ``export`` says what it wrote and what was unchanged;
- every edit, link issued and link revoked is in the audit log, with the operating-system user.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import BASE, KEY

import hmis_schedule
from hmis_schedule import audit, load_schedule
from hmis_schedule.cli import cli
from hmis_schedule.diff import session_changes
from hmis_schedule.files import builtin_text
from hmis_schedule.state import state_path

NOW = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # Wed 2026-12-02 11:00 in Oregon
ACTOR = f"cli:{getpass.getuser()}"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: NOW.astimezone(zone))
    for name in list(os.environ):
        if name.startswith("HMIS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def path(schedule_file: Path) -> Path:
    return schedule_file


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _log(path: Path) -> Path:
    return audit.audit_path(state_path(path))


# -- naming the file, and the positional forms ----------------------------------------------------------------


def test_validate_takes_the_file_as_an_argument_as_an_option_or_from_the_environment(path: Path) -> None:
    outputs = {
        run("validate", path).output,
        run("validate", "--file", path).output,
        run("--file", path, "validate").output,
        run("validate", env={"HMIS_SCHEDULE": str(path)}).output,
    }
    assert len(outputs) == 1 and f"{path} is valid" in outputs.pop()
    assert run("validate", path, "--file", path.with_name("other.toml")).exit_code == 2


def test_init_takes_the_file_as_an_argument_or_an_option(tmp_path: Path) -> None:
    assert run("init", tmp_path / "a.toml").exit_code == 0
    assert run("init", "--file", tmp_path / "b.toml").exit_code == 0
    assert (tmp_path / "a.toml").read_text() == (tmp_path / "b.toml").read_text() == builtin_text()
    assert run("init").exit_code == 2


def test_list_takes_from_and_to_as_arguments_or_options(path: Path) -> None:
    positional = run("list", "2027-01-01", "2027-03-31", "--file", path)
    options = run("list", "--from", "2027-01-01", "--to", "2027-03-31", "--file", path)
    assert positional.exit_code == 0 and positional.output == options.output
    assert "2027-01-01 to 2027-03-31" in positional.output and "Mon 2027-03-15" in positional.output
    assert run("list", "2027-01-01", "--file", path).output == run("list", "--from", "2027-01-01", "--file", path).output
    mixed = run("list", "2027-01-01", "--to", "2027-03-31", "--file", path)
    assert mixed.output == options.output
    conflict = run("list", "2027-01-01", "--from", "2027-02-01", "--file", path)
    assert conflict.exit_code == 2 and "FROM or --from" in conflict.output
    soon = run("list", "soon", "--file", path)
    assert soon.exit_code == 2 and "Invalid value for 'FROM'" in soon.output


# -- the rules, and one style of refusal ------------------------------------------------------------------


PAST_EDITS = {
    "close": ["close", "2026-10-12", "--reason", "Snow"],
    "reopen": ["reopen", "2026-11-11"],
    "cancel": ["cancel", "second-monday", "2026-11-09", "--reason", "Trainer out"],
    "move": ["move", "second-monday", "2026-11-09", "--room", "PSB 301"],
    "move-into-the-past": ["move", "second-monday", "2027-01-11", "--to-date", "2026-11-30"],
    "add-session": ["add-session", "make-up", "2026-11-18", "--start", "09:00", "--end", "12:00",
                    "--modality", "online"],
}  # fmt: skip


def _assert_one_style(stderr: str, flag: str | None = None) -> None:
    assert stderr.startswith("Not changed: "), stderr
    assert stderr.count("\n") == 1 and stderr.endswith(".\n")
    for old in ("not done", "Refused", "Error:", "Traceback"):
        assert old not in stderr
    if flag:
        assert f"Pass {flag} to" in stderr


@pytest.mark.parametrize("name", sorted(PAST_EDITS))
def test_an_edit_of_the_past_is_refused_with_the_flag_to_pass(path: Path, name: str) -> None:
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    refused = CliRunner().invoke(cli, [*PAST_EDITS[name], "--file", str(path)])
    assert refused.exit_code == 1 and refused.stdout == ""
    _assert_one_style(refused.stderr, "--allow-past")
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert not _log(path).exists()
    done = run(*PAST_EDITS[name], "--file", path, "--allow-past")
    assert done.exit_code == 0 and "Saved" in done.output
    assert audit.read(_log(path)).entries[0].actor == ACTOR


def test_uncancel_of_a_past_session_needs_allow_past_too(path: Path) -> None:
    run("cancel", "second-monday", "2026-11-09", "--reason", "x", "--file", path, "--allow-past")
    refused = CliRunner().invoke(cli, ["uncancel", "second-monday", "2026-11-09", "--file", str(path)])
    assert refused.exit_code == 1
    _assert_one_style(refused.stderr, "--allow-past")
    assert run("uncancel", "second-monday", "2026-11-09", "--file", path, "--allow-past").exit_code == 0


def test_an_overlapping_session_is_refused_with_the_flag_to_pass(path: Path) -> None:
    args = ["add-session", "make-up", "2027-01-04", "--start", "10:00", "--end", "11:00", "--modality", "online",
            "--file", str(path)]  # fmt: skip
    before = path.read_bytes()
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and path.read_bytes() == before
    _assert_one_style(refused.stderr, "--allow-overlap")
    assert "would overlap first-monday Mon 2027-01-04 09:00-12:00" in refused.stderr
    done = run(*args, "--allow-overlap")
    assert done.exit_code == 0 and "It overlaps first-monday" in done.output
    moved = CliRunner().invoke(
        cli, ["move", "second-monday", "2027-02-08", "--to-date", "2027-02-01", "--start", "09:00", "--end", "12:00",
              "--file", str(path)],
    )  # fmt: skip
    assert moved.exit_code == 1
    _assert_one_style(moved.stderr, "--allow-overlap")


@pytest.mark.parametrize(
    "args",
    [
        ["cancel", "second-monday", "2027-01-12", "--reason", "x"],
        ["cancel", "second-tuesday", "2027-01-12", "--reason", "x"],
        ["cancel", "second-monday", "2027-01-11", "--reason", " "],
        ["reopen", "2027-03-16"],
        ["uncancel", "second-monday", "2027-01-11"],
        ["add-session", "first-monday", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online"],
    ],
)
def test_every_refusal_reads_the_same_way(path: Path, args: list[str]) -> None:
    refused = CliRunner().invoke(cli, [*args, "--file", str(path)])
    assert refused.exit_code == 1 and refused.stdout == ""
    _assert_one_style(refused.stderr)
    assert not refused.stderr.startswith("Not changed: date:")


def test_the_exit_codes_are_the_readmes(path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "| 0 |" in readme and "| 1 |" in readme and "| 2 |" in readme
    assert run("close", "2027-03-15", "--reason", "x", "--file", path).exit_code == 0
    assert run("close", "2027-03-15", "--reason", "x", "--file", path).exit_code == 0  # nothing to change
    assert run("close", "2026-10-12", "--reason", "x", "--file", path).exit_code == 1  # refused
    assert run("close", "2027-03-15", "--file", path).exit_code == 2  # no --reason
    assert run("close", "15/03/2027", "--reason", "x", "--file", path).exit_code == 2  # not a date
    assert run("close", "2027-03-22", "--reason", "x").exit_code == 2  # no file named
    path.write_text(path.read_text().replace("ordinal = 1", "ordinal = 0"))
    assert run("validate", path).exit_code == 1  # invalid
    assert run("close", "2027-03-22", "--reason", "x", "--file", path).exit_code == 1


# -- the preview ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["close", "2027-03-15", "--reason", "Floating holiday"],
        ["reopen", "2027-01-18"],
        ["cancel", "second-monday", "2027-01-11", "--reason", "Trainer out"],
        ["move", "second-monday", "2027-02-08", "--to-date", "2027-02-09", "--room", "PSB 301"],
        ["add-session", "make-up", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online"],
    ],
)
def test_a_dry_run_writes_nothing_and_prints_the_changes_the_edit_then_makes(path: Path, args: list[str]) -> None:
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    preview = run(*args, "--file", path, "--dry-run")
    assert preview.exit_code == 0 and preview.output.startswith("Preview: ")
    assert "Nothing was written (--dry-run)" in preview.output
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [path.name]
    done = run(*args, "--file", path)
    listed = [line for line in preview.output.splitlines() if line.startswith("  - ")]
    assert listed and listed == [line for line in done.output.splitlines() if line.startswith("  - ")]
    assert len(audit.read(_log(path)).entries[0].changes) == len(listed)
    # The oracle: the file before (kept as .bak) and after, compared by the library's diff.
    before_edit, after_edit = load_schedule(path.with_name(path.name + ".bak")), load_schedule(path)
    expected = session_changes(before_edit, after_edit, date(2026, 8, 1), date(2031, 9, 1))
    assert listed == [f"  - {c.describe()}" for c in expected]


# -- comments, export ---------------------------------------------------------------------------------------


def test_every_entry_a_command_adds_says_what_it_does(path: Path) -> None:
    for args in (
        ["close", "2027-03-15", "--reason", "Floating holiday"],
        ["cancel", "second-monday", "2027-01-11", "--reason", "Trainer out"],
        ["uncancel", "second-monday", "2027-01-11"],
        ["move", "second-monday", "2027-02-08", "--to-date", "2027-02-09"],
        ["add-session", "make-up", "2027-01-20", "--start", "09:00", "--end", "12:00", "--modality", "online"],
        ["reopen", "2027-01-18"],
    ):
        assert run(*args, "--file", path).exit_code == 0, args
    lines = path.read_text().splitlines()
    added = [i for i, line in enumerate(lines) if line.startswith("[[")][-5:]
    assert all(lines[i + 1].startswith("# hmis-schedule ") or lines[i + 1].startswith("# hmis-schedule:")
               for i in added)  # fmt: skip
    uncancelled = next(i for i, line in enumerate(lines) if line.startswith("# hmis-schedule uncancel:"))
    assert lines[uncancelled - 1] == "[[changes]]" and "takes place as planned again" in lines[uncancelled]


def test_export_says_what_it_wrote_and_what_was_unchanged(path: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = run("export", site, "--file", path)
    total = len([p for p in site.rglob("*") if p.is_file()])
    assert first.exit_code == 0 and f"Wrote {total} files, 0 unchanged, in {site}" in first.output
    again = run("export", site, "--file", path)
    assert f"Wrote 0 files, {total} unchanged, in {site}" in again.output and "Exported" not in again.output
    run("cancel", "second-monday", "2027-01-11", "--reason", "Trainer out", "--file", path)
    after = run("export", site, "--file", path).output
    written = int(after.split("Wrote ")[1].split(" file")[0])
    # Every file carries the schedule's LAST-MODIFIED, so an edit rewrites them all; the counts still add up.
    assert 0 < written <= total and f"{total - written} unchanged" in after


# -- the audit log ----------------------------------------------------------------------------------------


def test_edits_links_and_revocations_are_in_the_audit_log_as_the_os_user(path: Path) -> None:
    env = {"HMIS_SCHEDULE": str(path), "HMIS_SECRET_KEY": KEY}
    run("close", "2027-03-15", "--reason", "Floating holiday", env=env)
    link = run("private-link", "--label", "Alice", "--base-url", BASE, env=env)
    assert link.exit_code == 0, link.output
    run("revoke", "Alice", env=env)
    entries = audit.read(_log(path)).entries
    assert [(e.action, e.actor) for e in entries] == [("revoke", ACTOR), ("private-link", ACTOR), ("close", ACTOR)]
    assert entries[1].label == "Alice" and entries[1].expires is not None
    token = link.stdout.strip().split("/private/")[1].split("/")[0]
    assert token not in _log(path).read_text()
    shown = run("audit", "--file", path)
    assert shown.exit_code == 0 and shown.output.splitlines()[0].endswith("revoke: " + entries[0].summary)
    data = json.loads(run("audit", "--file", path, "--format", "json", "--count", "2").output)
    assert [e["action"] for e in data["entries"]] == ["revoke", "private-link"]


def test_a_private_link_without_a_schedule_file_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("private-link", "--label", "x", "--base-url", BASE, env={"HMIS_SECRET_KEY": KEY})
    assert result.exit_code == 2 and "audit log" in result.output


# -- as a real program ------------------------------------------------------------------------------------


def program(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "hmis_schedule.cli", *map(str, args)],
        capture_output=True, text=True, timeout=120, env=environment, check=False,
    )  # fmt: skip


def _real_today() -> date:
    return datetime.now(UTC).astimezone(hmis_schedule.clackamas().zone).date()


def test_as_a_program_the_rules_the_styles_and_the_exit_codes(path: Path) -> None:
    schedule = load_schedule(path)
    today = _real_today()  # a real process reads the real clock
    past = schedule.sessions_between(today - timedelta(days=60), today - timedelta(days=1))[-1]
    ahead = schedule.sessions_between(today + timedelta(days=30), today + timedelta(days=90))[0]
    before = path.read_bytes()
    refused = program("cancel", past.slot_id, past.original_date, "--reason", "x", "--file", path)
    assert refused.returncode == 1 and refused.stdout == ""
    _assert_one_style(refused.stderr, "--allow-past")
    assert path.read_bytes() == before
    preview = program("cancel", ahead.slot_id, ahead.original_date, "--reason", "Trainer out", "--file", path,
                      "--dry-run")  # fmt: skip
    assert preview.returncode == 0 and "Preview: " in preview.stdout and path.read_bytes() == before
    done = program("cancel", past.slot_id, past.original_date, "--reason", "x", "--allow-past",
                   env={"HMIS_SCHEDULE": str(path)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, last = ahead.day.isoformat(), (ahead.day + timedelta(days=31)).isoformat()
    assert program("list", first, last, "--file", path).stdout == program(
        "list", "--from", first, "--to", last, "--file", path
    ).stdout
    assert program("validate", path).stdout == program("validate", "--file", path).stdout
    usage = program("close", "tomorrow", "--reason", "x", "--file", path)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert audit.read(_log(path)).entries[0].actor == ACTOR


def test_ten_programs_editing_at_once_all_land_and_all_are_in_the_audit_log(path: Path) -> None:
    today = _real_today()
    sessions = load_schedule(path).sessions_between(today + timedelta(days=30), today + timedelta(days=400))[:10]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | {"HMIS_SCHEDULE": str(path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "hmis_schedule.cli", "cancel", s.slot_id, s.original_date.isoformat(),
             "--reason", f"Reason {n}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
        )
        for n, s in enumerate(sessions)
    ]  # fmt: skip
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    after = load_schedule(path)
    assert all(after.session(s.uid).cancelled for s in sessions)
    lines = _log(path).read_text().splitlines()
    assert len(lines) == 10
    records = [json.loads(line) for line in lines]
    assert {r["changes"][0]["uid"] for r in records} == {s.uid for s in sessions}
    assert all(r["who"] == ACTOR and r["action"] == "cancel" for r in records)


def test_the_readme_shows_each_commands_real_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's session ("What the commands print") is replayed command by command; the output must match."""
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = readme.index("```console\n$ hmis-schedule init my-schedule.toml") + len("```console\n")
    block = readme[start : readme.index("```", start)]
    monkeypatch.chdir(tmp_path)
    env = {"LOGNAME": "alice", "USER": "alice", "HMIS_SECRET_KEY": "demo-only-secret-key-0123456789abcdefgh"}
    replayed: list[str] = []
    for line in block.splitlines():
        if not line.startswith("$ "):
            continue
        replayed.append(line)
        words = shlex.split(line[2:])
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        result = CliRunner().invoke(cli, words[1:], env=env)
        replayed.extend(result.output.replace(str(tmp_path), "/srv/hmis").splitlines())
    assert "\n".join(replayed) + "\n" == block
