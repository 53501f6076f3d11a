"""Administrator accounts: names, argon2id hashes, sessions in the state file, and `hmis-schedule admin`.

The state file keeps its other tables (revoked links, what was published)
intact through every account change; no password or hash is ever printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from support import FROZEN

from hmis_schedule import ScheduleError, clackamas
from hmis_schedule.accounts import (
    MAX_SESSIONS,
    SESSION_LIFETIME,
    Account,
    AdminRefused,
    check_name,
    check_password,
    hash_password,
    new_session_id,
    session_digest,
    verify_password,
)
from hmis_schedule.cli import cli
from hmis_schedule.state import (
    add_admin,
    end_admin_session,
    from_state_toml,
    load_state,
    publish,
    remove_admin,
    revoke,
    set_admin_password,
    start_admin_session,
)

NOW = FROZEN.astimezone(UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state file with a revocation and a published record, as a running deployment has."""
    path = tmp_path / "schedule.state.toml"
    revoke(path, "Agency X - Alice", now=NOW)
    publish(path, clackamas(), now=NOW)
    return path


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["alice", "a", "bob.smith_2", "alice@agency.example.org", "X-1", "n" * 64])
def test_names_of_letters_digits_and_a_few_marks_are_accepted(name: str) -> None:
    assert check_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", " ", "bob smith", "n" * 65, "ali<ce>", "a/b", "é", "a\nb", 3, None])
def test_other_names_are_refused_naming_the_field(name: object) -> None:
    with pytest.raises(ScheduleError) as caught:
        check_name(name)
    assert caught.value.field == "name"
    assert "letters, digits and . _ - @" in caught.value.message


def test_passwords_shorter_than_twelve_characters_are_refused_without_showing_them() -> None:
    with pytest.raises(ScheduleError) as caught:
        check_password("elevenchars")
    assert "elevenchars" not in str(caught.value)
    assert "at least 12" in str(caught.value)
    assert check_password("twelve chars") == "twelve chars"
    with pytest.raises(ScheduleError):
        check_password("x" * 1025)


def test_hashes_are_argon2id_with_a_salt_of_their_own() -> None:
    one, two = hash_password(PASSWORD), hash_password(PASSWORD)
    assert one.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and two.startswith("$argon2id$")
    assert one != two
    assert PasswordHasher().verify(one, PASSWORD)  # the library's own reader agrees


def test_verify_accepts_the_password_only() -> None:
    account = Account(name="alice", hash=hash_password(PASSWORD), added=NOW)
    assert verify_password(account, PASSWORD)
    assert not verify_password(account, PASSWORD.upper())
    assert not verify_password(account, "")
    assert not verify_password(account, None)
    assert not verify_password(account, PASSWORD + "x" * 2000)
    assert not verify_password(None, PASSWORD)


def test_an_accounts_repr_hides_its_hash() -> None:
    account = Account(name="alice", hash=hash_password(PASSWORD), added=NOW)
    assert account.hash not in repr(account) and "argon2" not in repr(account)


def test_a_session_is_refused_after_its_lifetime() -> None:
    sid = new_session_id()
    from hmis_schedule.accounts import SignedIn

    account = Account(
        name="alice", hash=hash_password(PASSWORD), added=NOW, sessions=(SignedIn(id=session_digest(sid), started=NOW),)
    )
    assert account.signed_in(sid, NOW + SESSION_LIFETIME - timedelta(seconds=1))
    assert not account.signed_in(sid, NOW + SESSION_LIFETIME)
    assert not account.signed_in(new_session_id(), NOW)


# -- the state file -------------------------------------------------------------------------------


def test_accounts_are_added_beside_what_the_state_file_holds(state: Path) -> None:
    before = load_state(state)
    add_admin(state, "alice", PASSWORD, now=NOW)
    after = load_state(state)
    assert after.revoked == before.revoked
    assert after.published == before.published
    assert [a.name for a in after.admins] == ["alice"]
    assert verify_password(after.admins.find("ALICE"), PASSWORD)
    assert PASSWORD not in state.read_text(encoding="utf-8")


def test_a_new_state_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "s.state.toml"
    add_admin(path, "alice", PASSWORD, now=NOW)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_name_taken_in_any_case_is_refused_and_the_file_is_untouched(state: Path) -> None:
    add_admin(state, "alice", PASSWORD, now=NOW)
    data = state.read_bytes()
    with pytest.raises(AdminRefused, match="admin passwd alice"):
        add_admin(state, "Alice", PASSWORD, now=NOW)
    assert state.read_bytes() == data


def test_sessions_start_and_end_and_a_new_password_ends_them_all(state: Path) -> None:
    add_admin(state, "alice", PASSWORD, now=NOW)
    one, two = new_session_id(), new_session_id()
    start_admin_session(state, "alice", one, now=NOW)
    start_admin_session(state, "alice", two, now=NOW)
    account = load_state(state).admins.named("alice")
    assert account.signed_in(one, NOW) and account.signed_in(two, NOW)
    assert one not in state.read_text(encoding="utf-8")  # only digests are kept
    end_admin_session(state, "alice", one, now=NOW)
    account = load_state(state).admins.named("alice")
    assert not account.signed_in(one, NOW) and account.signed_in(two, NOW)
    set_admin_password(state, "alice", "another good password", now=NOW)
    account = load_state(state).admins.named("alice")
    assert not account.signed_in(two, NOW)
    assert verify_password(account, "another good password") and not verify_password(account, PASSWORD)


def test_at_most_ten_sessions_are_kept_per_account_newest_first(state: Path) -> None:
    add_admin(state, "alice", PASSWORD, now=NOW)
    ids = [new_session_id() for _ in range(MAX_SESSIONS + 2)]
    for minutes, sid in enumerate(ids):
        start_admin_session(state, "alice", sid, now=NOW + timedelta(minutes=minutes))
    account = load_state(state).admins.named("alice")
    later = NOW + timedelta(minutes=len(ids))
    assert [account.signed_in(sid, later) for sid in ids] == [False, False] + [True] * MAX_SESSIONS


def test_removing_an_account_ends_its_sessions_and_keeps_the_others(state: Path) -> None:
    add_admin(state, "alice", PASSWORD, now=NOW)
    add_admin(state, "bob", PASSWORD, now=NOW)
    remove_admin(state, "ALICE", now=NOW)
    assert [a.name for a in load_state(state).admins] == ["bob"]
    with pytest.raises(AdminRefused, match="accounts: bob"):
        remove_admin(state, "alice", now=NOW)


def test_a_broken_admins_table_is_reported_by_field() -> None:
    with pytest.raises(ScheduleError) as caught:
        from_state_toml('[admins.alice]\nhash = "plain"\nadded = 2026-12-01T00:00:00Z\n', source="s.toml")
    assert "admins.alice.hash" in str(caught.value)


# -- the command line -----------------------------------------------------------------------------


def _run(*args: str, input: str | None = None, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, env=env)
    return result.exit_code, result.output


def test_admin_add_asks_twice_and_refuses_a_mismatch(env: dict[str, str]) -> None:
    code, output = _run("admin", "add", "alice", input=f"{PASSWORD}\n{PASSWORD}x\n", env=env)
    assert code == 1 and "do not match" in output  # click asks again, then stdin ends: aborted
    assert load_state(Path(env["HMIS_SCHEDULE"]).with_name("my-schedule.state.toml")).admins.find("alice") is None
    code, output = _run("admin", "add", "alice", input=f"{PASSWORD}\n{PASSWORD}\n", env=env)
    assert code == 0, output
    assert "Added the administrator 'alice'" in output
    assert PASSWORD not in output
    state = Path(env["HMIS_SCHEDULE"]).with_name("my-schedule.state.toml")
    assert verify_password(load_state(state).admins.find("alice"), PASSWORD)


def test_admin_add_asks_again_when_the_password_is_too_short(env: dict[str, str]) -> None:
    code, output = _run("admin", "add", "alice", input=f"short\n{PASSWORD}\n{PASSWORD}\n", env=env)
    assert code == 0, output
    assert "(5 characters; at least 12)" in output


def test_the_password_is_never_an_argument(env: dict[str, str]) -> None:
    code, output = _run("admin", "add", "alice", "--password", PASSWORD, env=env)
    assert code == 2 and "No such option" in output


def test_admin_commands_from_a_script(env: dict[str, str], tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | env
    command = [sys.executable, "-m", "hmis_schedule.cli"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], input=stdin, env=environ, capture_output=True, text=True, timeout=60, check=False
        )

    added = run("admin", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    run("admin", "add", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    listed = run("admin", "list")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["Name", "Added", "(UTC)", "Signed", "in"]
    assert [line.split()[0] for line in lines[1:]] == ["alice", "bob"]
    assert "argon2" not in listed.stdout + listed.stderr and PASSWORD not in listed.stdout
    changed = run("admin", "passwd", "bob", "--password-stdin", stdin="a brand new password\n")
    assert changed.returncode == 0, changed.stderr
    missing = run("admin", "passwd", "carol", "--password-stdin", stdin="a brand new password\n")
    assert missing.returncode == 1 and "no account named 'carol' (accounts: alice, bob)" in missing.stderr
    removed = run("admin", "remove", "alice")
    assert removed.returncode == 0 and "1 account left" in removed.stdout
    empty = run("admin", "add", "carol", "--password-stdin")
    assert empty.returncode == 2 and "standard input is empty" in empty.stderr
    state = Path(env["HMIS_SCHEDULE"]).with_name("my-schedule.state.toml")
    data = tomllib.loads(state.read_text(encoding="utf-8"))
    assert list(data["admins"]) == ["bob"]
    assert verify_password(load_state(state).admins.find("bob"), "a brand new password")


def test_admin_list_json_and_the_built_in_schedule(env: dict[str, str]) -> None:
    _run("admin", "add", "alice", input=f"{PASSWORD}\n{PASSWORD}\n", env=env)
    code, output = _run("admin", "list", "--format", "json", env=env)
    assert code == 0
    assert '"name": "alice"' in output and "hash" not in output
    code, output = _run("admin", "list", env={**env, "HMIS_SCHEDULE": ""})
    assert code == 2 and "name the schedule file" in output


def test_account_changes_from_the_command_line_are_audited_without_hashes(env: dict[str, str]) -> None:
    from hmis_schedule.audit import audit_path, read

    environment = {**env, "LOGNAME": "maria", "USER": "maria"}
    _run("admin", "add", "alice", input=f"{PASSWORD}\n{PASSWORD}\n", env=environment)
    _run("admin", "passwd", "alice", "--password-stdin", input="another good password\n", env=environment)
    _run("admin", "remove", "alice", env=environment)
    log = audit_path(Path(env["HMIS_SCHEDULE"]).with_name("my-schedule.state.toml"))
    entries = read(log).entries
    assert [(e.actor, e.action) for e in entries] == [
        ("cli:maria", "admin-remove"), ("cli:maria", "admin-passwd"), ("cli:maria", "admin-add")
    ]
    text = log.read_text(encoding="utf-8")
    assert "argon2" not in text and PASSWORD not in text and "another good password" not in text
