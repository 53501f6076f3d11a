"""Writing files safely (hmis_schedule.writer): the lock and the one atomic write.

Crashes in the middle of a write, with real processes killed at each step,
are in ``test_concurrency.py``; here each promise is checked in-process: the
order of fsyncs and the rename, the backup, the mode, the refusals.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import filelock
import pytest

from hmis_schedule import ScheduleError
from hmis_schedule.writer import locked, write_atomic


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- write_atomic ------------------------------------------------------------------


def test_a_new_file_is_written_and_reported_as_written(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    assert write_atomic(path, b"one") is True
    assert path.read_bytes() == b"one"
    assert names(tmp_path) == ["feed.ics"]


def test_bytes_the_file_holds_already_are_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    write_atomic(path, b"one", backup=True)
    before = path.stat()
    assert write_atomic(path, b"one", backup=True) is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert names(tmp_path) == ["feed.ics"], "no backup either"


def test_the_previous_version_is_kept_as_bak_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    write_atomic(path, b"first", backup=True)
    assert names(tmp_path) == ["schedule.toml"], "a new file has no previous version"
    write_atomic(path, b"second", backup=True)
    write_atomic(path, b"third", backup=True)
    assert path.read_bytes() == b"third"
    assert path.with_name("schedule.toml.bak").read_bytes() == b"second"
    write_atomic(path, b"fourth")
    assert path.with_name("schedule.toml.bak").read_bytes() == b"second", "no backup unless asked"


def test_the_file_and_its_backup_keep_the_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    write_atomic(path, b"new", backup=True)
    assert mode_of(path) == 0o640
    assert mode_of(path.with_name("schedule.toml.bak")) == 0o640


def test_a_mode_given_is_set_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    previous = os.umask(0o077)
    try:
        write_atomic(path, b"new", mode=0o644)
        write_atomic(tmp_path / "other.ics", b"new", mode=0o644)
    finally:
        os.umask(previous)
    assert mode_of(path) == 0o644
    assert mode_of(tmp_path / "other.ics") == 0o644


def test_a_new_file_without_a_mode_gets_the_default_for_new_files(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "state.toml", b"x")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "state.toml") == 0o640


def test_the_new_bytes_are_fsynced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "schedule.toml"
    path.write_bytes(b"old")
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else f"fsync {os.fstat(fd).st_size} bytes")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        steps.append(f"rename to {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(path, b"newer", backup=True)
    assert steps == [
        "fsync 3 bytes", "rename to schedule.toml.bak", "fsync folder",
        "fsync 5 bytes", "rename to schedule.toml", "fsync folder",
    ]  # fmt: skip


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "calendar.ics"
    write_atomic(path, b"old")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new", backup=True)
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["calendar.ics"]


def test_a_reader_never_sees_a_half_written_file(tmp_path: Path) -> None:
    path = tmp_path / "calendar.ics"
    versions = [bytes([65 + i]) * 200_000 for i in range(2)]
    write_atomic(path, versions[0])
    done = threading.Event()

    def rewrite() -> None:
        for i in range(40):
            write_atomic(path, versions[i % 2 - 1])
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    for _ in range(2000):
        data = path.read_bytes()
        assert data in versions
        if done.is_set():
            break
    writer.join(timeout=60)
    assert not writer.is_alive()


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o440])
def test_a_read_only_file_is_refused_and_left_as_it_was(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "schedule.toml"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    with pytest.raises(ScheduleError, match="is read-only") as caught:
        write_atomic(path, b"new", backup=True)
    assert caught.value.source == str(path) and f"{mode:04o}" in str(caught.value)
    assert path.read_bytes() == b"old" and mode_of(path) == mode
    assert names(tmp_path) == ["schedule.toml"], "no backup, no temporary file"


def test_a_read_only_file_that_holds_the_bytes_already_is_no_error(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(b"same")
    os.chmod(path, 0o444)
    assert write_atomic(path, b"same") is False


# -- locked ------------------------------------------------------------------------


def test_the_lock_removes_temporary_files_a_killed_writer_left_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "my[1].toml"  # glob characters in the name are taken literally
    path.write_bytes(b"x")
    stale = [tmp_path / ".my[1].toml.0123456789abcdef.tmp", tmp_path / ".my[1].toml.fedcba9876543210.tmp"]
    others = [tmp_path / ".my1.toml.0123456789abcdef.tmp", tmp_path / ".other.toml.0123456789abcdef.tmp"]
    for file in stale + others:
        file.write_bytes(b"half a file")
    with locked(path):
        assert not any(file.exists() for file in stale)
    assert all(file.exists() for file in others)


def test_a_held_lock_makes_the_next_writer_give_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_bytes(b"x")
    message = re.escape("another edit has held schedule.toml.lock for 0 seconds; try again")
    with filelock.FileLock(f"{path}.lock"), pytest.raises(ScheduleError, match=message), locked(path, timeout=0):
        pytest.fail("the lock was held by another writer")
    with locked(path, timeout=0):  # free again
        pass


def test_the_lock_is_released_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    with pytest.raises(RuntimeError), locked(path):
        raise RuntimeError("failed in the middle")
    with locked(path, timeout=0):
        pass


def test_a_missing_file_that_must_exist_is_refused_without_a_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "mistyped.toml"
    with pytest.raises(ScheduleError, match="no such file") as caught, locked(path, missing="no such file"):
        pytest.fail("the block ran for a missing file")
    assert caught.value.source == str(path)
    assert names(tmp_path) == []


def test_a_missing_file_may_be_locked_to_be_created(tmp_path: Path) -> None:
    path = tmp_path / "new.state.toml"
    with locked(path):
        write_atomic(path, b"x")
    assert path.read_bytes() == b"x"


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "none" / "schedule.toml"
    with pytest.raises(ScheduleError, match="does not exist"), locked(path):
        pytest.fail("the block ran in a missing folder")
    assert not path.parent.exists()
