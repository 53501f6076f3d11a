"""The audit log (hmis_schedule.audit): every edit and every private link issued or revoked is recorded with
who did it; lines from concurrent processes all land whole; a broken line is skipped on read, never lost on
write; no token ever reaches the log."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from support import KEY

from hmis_schedule import audit, private
from hmis_schedule import edit as editing
from hmis_schedule.errors import ScheduleError
from hmis_schedule.files import load_schedule
from hmis_schedule.state import load_state, revoke, state_path

NOW = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)


@pytest.fixture
def path(schedule_file: Path) -> Path:
    return schedule_file


def _log(path: Path) -> Path:
    return audit.audit_path(state_path(path))


def test_the_log_sits_beside_the_state_file(path: Path) -> None:
    assert _log(path) == path.with_name("schedule.audit.jsonl")
    assert audit.audit_path(path.with_name("schedule.state.toml")) == _log(path)


def test_every_edit_is_recorded_with_its_actor_and_changes(path: Path) -> None:
    edits = [
        ("close", lambda: editing.close(path, date(2027, 3, 15), reason="Floating holiday", now=NOW, actor="cli:alice")),
        ("reopen", lambda: editing.reopen(path, date(2027, 1, 18), now=NOW, actor="cli:alice")),
        ("cancel", lambda: editing.cancel(path, "second-monday", date(2027, 1, 11), reason="Trainer out", now=NOW,
                                          actor="admin:maria")),
        ("uncancel", lambda: editing.uncancel(path, "second-monday", date(2027, 1, 11), now=NOW, actor="admin:maria")),
        ("move", lambda: editing.move(path, "second-monday", date(2027, 2, 8), room="PSB 301", now=NOW,
                                      actor="cli:bob")),
        ("add-session", lambda: editing.add_session(path, "make-up", date(2027, 1, 20), start=time(9), end=time(12),
                                                    modality="online", now=NOW, actor="cli:bob")),
    ]  # fmt: skip
    outcomes = [(action, run()) for action, run in edits]
    entries = audit.read(_log(path)).entries
    assert [e.action for e in entries] == [a for a, _ in reversed(outcomes)]  # newest first
    for entry, (_, outcome) in zip(entries, reversed(outcomes), strict=True):
        assert entry.summary == outcome.summary and entry.at == NOW
        assert list(entry.changes) == [c.to_data() for c in outcome.changes] and entry.changes
    assert [e.actor for e in entries][-1] == "cli:alice"
    cancelled = next(e for e in entries if e.action == "cancel").changes[0]
    assert cancelled["before"]["status"] == "scheduled" and cancelled["after"]["status"] == "cancelled"
    assert cancelled["after"]["reason"] == "Trainer out"


def test_a_dry_run_an_unchanged_edit_and_a_refused_edit_record_nothing(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW, actor="cli:a", dry_run=True)
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW, actor="cli:a")
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW, actor="cli:a")  # nothing to change
    with pytest.raises(editing.PastEditRefused):
        editing.close(path, date(2026, 11, 9), reason="x", now=NOW, actor="cli:a")
    assert len(audit.read(_log(path)).entries) == 1


def test_an_edit_without_an_actor_records_nothing_and_a_bad_actor_is_refused(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert not _log(path).exists()
    before = path.read_bytes()
    with pytest.raises(ScheduleError) as caught:
        editing.close(path, date(2027, 3, 22), reason="x", now=NOW, actor="  ")
    assert caught.value.field == "actor" and path.read_bytes() == before


def test_issuing_and_revoking_links_are_recorded_without_the_token(path: Path) -> None:
    log = _log(path)
    token, grant = private.issue_recorded(KEY, "Alice <alice@agency.example.org>", days=30, now=NOW,
                                          actor="cli:maria", audit_file=log)  # fmt: skip
    revoke(state_path(path), "alice <alice@agency.example.org>", now=NOW + timedelta(hours=1), actor="admin:maria")
    assert load_state(state_path(path)).revoked  # the revocation itself is kept as before
    entries = audit.read(log).entries
    assert [(e.action, e.actor) for e in entries] == [("revoke", "admin:maria"), ("private-link", "cli:maria")]
    assert entries[1].label == grant.label and entries[1].expires == grant.expires == NOW + timedelta(days=30)
    text = log.read_text()
    assert token not in text and token.split(".")[-1] not in text and "/private/" not in text


def test_read_is_newest_first_and_bounded(tmp_path: Path) -> None:
    log = tmp_path / "s.audit.jsonl"
    for n in range(250):
        audit.append(log, audit.AuditEntry(at=NOW + timedelta(minutes=n), actor="cli:a", action="close",
                                           summary=f"edit {n}" + "x" * 600))  # fmt: skip
    got = audit.read(log, count=7).entries
    assert [e.summary[:8] for e in got] == [f"edit {n}"[:8] for n in range(249, 242, -1)]
    assert len(audit.read(log).entries) == audit.DEFAULT_COUNT
    assert len(audit.read(log, count=audit.MAX_COUNT).entries) == 250
    with pytest.raises(ScheduleError):
        audit.read(log, count=0)
    assert audit.read(tmp_path / "none.jsonl").entries == ()


def test_a_broken_line_is_skipped_with_a_warning_and_the_next_line_is_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "s.audit.jsonl"
    entry = audit.AuditEntry(at=NOW, actor="cli:a", action="close", summary="first")
    audit.append(log, entry)
    with log.open("ab") as handle:  # a crash in the middle of a line: no newline at the end
        handle.write(b'{"when": "2026-12-02T19:')
    audit.append(log, audit.AuditEntry(at=NOW, actor="cli:b", action="cancel", summary="after the crash"))
    with log.open("ab") as handle:
        handle.write(b"\xff\xfe not json\n")
    found = audit.read(log)
    assert [e.summary for e in found.entries] == ["after the crash", "first"]
    assert len(found.skipped) == 2 and "not an audit entry" in caplog.text
    lines = log.read_bytes().split(b"\n")
    assert lines[1].startswith(b'{"when": "2026-12-02T19:') and json.loads(lines[2])["summary"] == "after the crash"


def _edit_in_a_process(args: tuple[str, int]) -> str:
    """One command-line-like edit: cancel the n-th session of 2027 as cli:worker-n (run in its own process)."""
    file, n = args
    path = Path(file)
    session = load_schedule(path).sessions_between(date(2027, 1, 1), date(2027, 7, 1))[n]
    editing.cancel(path, session.slot_id, session.original_date, reason=f"Reason {n}", now=NOW, actor=f"cli:worker-{n}")
    return session.uid


def _append_in_a_process(args: tuple[str, int]) -> None:
    file, n = args
    for k in range(20):
        audit.append(file, audit.AuditEntry(at=NOW, actor=f"p{n}", action="move", summary=f"{n}-{k} " + "y" * 70_000))


def test_edits_from_ten_processes_at_once_all_land_and_are_all_recorded(path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(10) as pool:
        uids = pool.map(_edit_in_a_process, [(str(path), n) for n in range(10)])
    schedule = load_schedule(path)
    assert all(schedule.session(uid).cancelled for uid in uids)
    lines = _log(path).read_text().splitlines()
    assert len(lines) == 10 and all(json.loads(line)["action"] == "cancel" for line in lines)
    assert sorted(e.actor for e in audit.read(_log(path)).entries) == sorted(f"cli:worker-{n}" for n in range(10))


def test_long_lines_from_several_processes_never_interleave(tmp_path: Path) -> None:
    log = tmp_path / "s.audit.jsonl"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_append_in_a_process, [(str(log), n) for n in range(4)])
    lines = log.read_text().splitlines()
    assert len(lines) == 80 and all(json.loads(line)["who"].startswith("p") for line in lines)
    assert audit.read(log, count=100).skipped == ()


def test_the_log_is_not_readable_by_others(tmp_path: Path) -> None:
    log = tmp_path / "s.audit.jsonl"
    audit.append(log, audit.AuditEntry(at=NOW, actor="cli:a", action="revoke", summary="x", label="Alice"))
    assert log.stat().st_mode & 0o007 == 0
