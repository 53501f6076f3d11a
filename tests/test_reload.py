"""The server follows the schedule file: changes are served without a restart, broken files never are.

First with an injected clock (no sleeping): the follower looks at the file at
most once per interval, reads a change once it has stopped changing, keeps the
last good value while the file is invalid, missing or half-written, logs that
once per change, and the app serves the library's rendering of whatever file
version it reports in /healthz. Then for real: gunicorn with two workers on
127.0.0.1 answers every request without an error while the file is rewritten
50 times (invalid versions, in-place and half-written writes, deletions
included), serves a valid change within a bounded deadline, reports
``degraded`` while the file is invalid and ``ok`` once fixed, follows a
revocation, and never writes a private link's token to its logs.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import gunicorn
import pytest
from support import FROZEN

import hmis_schedule
from hmis_schedule import feed, private, state, web
from hmis_schedule.files import builtin_text, load_schedule
from hmis_schedule.follow import FileFollower

ROOT = Path(__file__).resolve().parent.parent
KEY = "reload-test-secret-key-0123456789-abcdefgh"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_RELOADMEETING%40thread.v2/0"
ORIGINAL_NAME = 'name = { en = "Clackamas County HMIS new user training"'
BAD_ZONE = ('timezone = "America/Los_Angeles"', 'timezone = "Pacific/Nowhere"')


def named(name: str) -> str:
    """The built-in schedule's text with another name (so another version)."""
    text = builtin_text()
    assert ORIGINAL_NAME in text
    return text.replace(ORIGINAL_NAME, f'name = {{ en = "{name}"', 1)


def invalid() -> str:
    return builtin_text().replace(*BAD_ZONE)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds


def write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


# -- the follower, with an injected clock ---------------------------------------------------------


@pytest.fixture
def number_file(tmp_path: Path) -> Path:
    path = tmp_path / "n.txt"
    path.write_text("1", encoding="utf-8")
    return path


def follower(path: Path, clock: Clock, **kwargs: Any) -> FileFollower[int]:
    def parse(raw: bytes) -> int:
        return int(raw.decode())  # ValueError for anything but a number

    return FileFollower(path, parse, interval=1.0, monotonic=clock, name="number file", **kwargs)


def settle(followed: FileFollower[Any], clock: Clock) -> None:
    """Two looks an interval apart: the change is seen, then read once it stayed the same."""
    for _ in range(2):
        clock.tick()
        followed.check()


def test_a_change_is_served_once_it_has_settled(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    write_atomically(number_file, "2")
    assert followed.value == 1  # no look yet: the interval has not passed
    clock.tick()
    assert followed.value == 1  # seen changed: wait one more look in case it is still being written
    clock.tick()
    assert followed.value == 2 and followed.error is None


def test_the_file_is_looked_at_at_most_once_per_interval(
    number_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmis_schedule.follow as follow_module

    looks: list[Path] = []
    real = follow_module.signature

    def counting(path: Path) -> Any:
        looks.append(path)
        return real(path)

    clock = Clock()
    followed = follower(number_file, clock)
    monkeypatch.setattr(follow_module, "signature", counting)
    for _ in range(100):
        assert followed.value == 1
    assert looks == []
    clock.tick(0.5)
    for _ in range(100):
        followed.check()
    assert looks == []
    clock.tick(0.5)
    for _ in range(100):
        followed.check()
    assert len(looks) == 1


def test_a_half_written_file_is_never_served(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    with number_file.open("w", encoding="utf-8") as handle:  # an editor writing in place, in pieces
        handle.write("4")
        handle.flush()
        clock.tick()
        assert followed.value == 1  # "4" is a valid number, but the file just changed: not read yet
        handle.write("2")
        handle.flush()
        os.utime(number_file, ns=(time.time_ns(), time.time_ns() + 1))  # however coarse the file system clock
        clock.tick()
        assert followed.value == 1  # changed again since the last look: still waiting
    settle(followed, clock)
    assert followed.value == 42


def test_an_invalid_file_keeps_the_last_good_value_and_is_logged_once(
    number_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        write_atomically(number_file, "two")
        settle(followed, clock)
        for _ in range(20):
            clock.tick()
            assert followed.value == 1
            assert (
                followed.error is not None and "two" in followed.error and str(number_file) in followed.error
            )
        assert (
            len([r for r in caplog.records if "still serving the last good version" in r.getMessage()]) == 1
        )
        write_atomically(number_file, "three")
        settle(followed, clock)
        assert len([r for r in caplog.records if "still serving" in r.getMessage()]) == 2
    write_atomically(number_file, "3")
    settle(followed, clock)
    assert followed.value == 3 and followed.error is None


def test_a_missing_file_keeps_the_last_good_value_until_it_is_back(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    number_file.unlink()
    settle(followed, clock)
    assert followed.value == 1 and followed.error == f"{number_file}: no such file"
    number_file.write_text("5", encoding="utf-8")
    settle(followed, clock)
    assert followed.value == 5 and followed.error is None


def test_a_file_missing_at_start_can_have_a_default(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "later.txt"
    followed = follower(path, clock, missing=lambda: 0)
    assert (followed.value, followed.error) == (0, None)
    path.write_text("7", encoding="utf-8")
    settle(followed, clock)
    assert followed.value == 7
    with pytest.raises(hmis_schedule.ScheduleError, match="no such file"):
        follower(tmp_path / "nope.txt", clock)


def test_threads_see_a_whole_old_or_new_reading(number_file: Path) -> None:
    followed = FileFollower(number_file, lambda raw: (int(raw), int(raw)), interval=0)
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(followed.value)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(2, 60):
        write_atomically(number_file, str(n))
        if n % 7 == 0:
            write_atomically(number_file, "junk")
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert all(a == b for a, b in seen)
    assert seen <= {(n, n) for n in range(1, 60)}


# -- the app, with an injected clock ---------------------------------------------------------------


def make_app(path: Path, clock: Clock, **config: object) -> Any:
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", "HMIS_SCHEDULE": str(path), "MONOTONIC": clock,
         "HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": "", "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "", **config}
    )  # fmt: skip


def requests(client: Any, clock: Clock, n: int = 2) -> None:
    for _ in range(n):
        clock.tick()
        client.get("/healthz")


def test_the_app_serves_an_edited_file_without_a_restart(schedule_file: Path) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock).test_client()
    before = client.get("/calendar.ics").data  # rendered and cached
    loaded = load_schedule(schedule_file)
    assert before == feed.render_feed(loaded, feed.feed_window(loaded, FROZEN.date()), base_url="http://localhost")
    hmis_schedule.edit.close(
        schedule_file,
        date(2027, 3, 15),
        reason="County floating holiday",
        now=datetime(2026, 12, 2, tzinfo=UTC),
    )
    edited = load_schedule(schedule_file)
    requests(client, clock)
    assert client.get("/healthz").json == {"status": "ok", "version": edited.version}
    after = client.get("/calendar.ics").data
    # Served with the record the server published on adopting the edit (only the changed events restamped).
    published = state.load_state(state.state_path(schedule_file)).published
    window = feed.feed_window(edited, FROZEN.date())
    assert after == feed.render_feed(edited, window, base_url="http://localhost", published=published)
    assert after != before and b"County floating holiday" in after
    assert client.get("/api/sessions.json").json["version"] == edited.version


def test_the_openapi_description_follows_the_feed_settings_of_an_edited_file(schedule_file: Path) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock).test_client()
    before = client.get("/openapi.json").json  # rendered and cached
    old = "past_days = 90 "
    assert old in builtin_text()
    write_atomically(schedule_file, builtin_text().replace(old, "past_days = 30 ", 1))
    requests(client, clock)
    after = client.get("/openapi.json").json
    (first,) = [p for p in after["paths"]["/calendar.ics"]["get"]["parameters"] if p["name"] == "from"]
    assert "default 30 days before today" in first["description"]
    assert after != before


def test_an_invalid_file_is_reported_by_healthz_and_never_served(
    schedule_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    good = load_schedule(schedule_file)
    client = make_app(schedule_file, clock).test_client()
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        write_atomically(schedule_file, invalid())
        for _ in range(10):
            requests(client, clock, 1)
            health = client.get("/healthz")
            assert client.get("/calendar.ics").status_code == 200
        assert health.status_code == 200
        assert health.json["status"] == "degraded" and health.json["version"] == good.version
        assert str(schedule_file) in health.json["error"] and "timezone:" in health.json["error"]
        assert client.get("/api/next.json").json["version"] == good.version
    logged = [r.getMessage() for r in caplog.records if "still serving" in r.getMessage()]
    assert len(logged) == 1 and "timezone:" in logged[0]
    write_atomically(schedule_file, named("Fixed"))
    requests(client, clock)
    assert client.get("/healthz").json == {"status": "ok", "version": load_schedule(schedule_file).version}
    assert client.get("/api/next.json").json["name"] == "Fixed"


def test_a_deleted_file_keeps_the_schedule_served(schedule_file: Path) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock).test_client()
    schedule_file.unlink()
    requests(client, clock)
    assert client.get("/healthz").json["status"] == "degraded"
    assert "no such file" in client.get("/healthz").json["error"]
    assert client.get("/calendar.ics").status_code == 200


def test_a_broken_state_file_keeps_the_last_revocations_and_degrades_health(schedule_file: Path) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock, HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN).test_client()
    token = private.issue_token(KEY, "alice", days=30, now=FROZEN)
    target = state.state_path(schedule_file)
    state.revoke(target, "alice", now=FROZEN)
    requests(client, clock)
    assert client.get(f"/private/{token}/calendar.ics").status_code == 404
    target.write_text("[[revoked]]\nlabel = ", encoding="utf-8")
    requests(client, clock)
    health = client.get("/healthz").json
    assert health["status"] == "degraded" and str(target) in health["error"]
    assert client.get(f"/private/{token}/calendar.ics").status_code == 404  # still revoked


def test_a_bad_state_file_at_start_stops_the_app(schedule_file: Path) -> None:
    state.state_path(schedule_file).write_text("revoked = 1\n", encoding="utf-8")
    with pytest.raises(web.ConfigError) as caught:
        make_app(schedule_file, Clock(), HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN)
    assert str(caught.value).startswith("HMIS_STATE_FILE: ") and "revoked:" in str(caught.value)


# -- for real: gunicorn, two workers ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def health(port: int) -> dict[str, Any]:
    status, body = get(port, "/healthz")
    assert status == 200
    answer: dict[str, Any] = json.loads(body)
    return answer


def until(check: Callable[[], bool], what: str, seconds: float = 30, in_a_row: int = 10) -> None:
    """Wait (bounded) until ``check`` holds ``in_a_row`` times running: every worker has caught up."""
    deadline = time.monotonic() + seconds
    run = 0
    while time.monotonic() < deadline:
        run = run + 1 if check() else 0
        if run >= in_a_row:
            return
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} seconds: {what}")


class Served:
    """A gunicorn serving server:app with gunicorn.conf.py, its logs in files."""

    def __init__(self, folder: Path, **env: str) -> None:
        self.folder = folder
        self.schedule = folder / "schedule.toml"
        self.schedule.write_text(builtin_text(), encoding="utf-8")
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.stderr_file = folder / "stderr.txt"
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | {
            "HMIS_SCHEDULE": str(self.schedule),
            "HMIS_SECRET_KEY": KEY,
            "HMIS_TEAMS_URL": JOIN,
            "HMIS_RELOAD_INTERVAL": str(INTERVAL),
        } | env
        argv = [
            sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--chdir", str(ROOT),
            "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
        ]  # fmt: skip
        if gunicorn.version_info >= (25, 1):  # its control socket is one per user: don't share it
            argv.append("--no-control-socket")
        self.stderr = self.stderr_file.open("wb")
        self.process = subprocess.Popen(
            [*argv, "server:app"], env=self.env, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=self.stderr,
        )  # fmt: skip

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.error_log.read_text(errors="replace")
            try:
                if health(self.port)["status"] == "ok":
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail("gunicorn did not answer within 60 seconds")

    def stop(self) -> None:
        self.stderr.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    gunicorn_server = Served(tmp_path)
    try:
        gunicorn_server.wait_until_up()
        yield gunicorn_server
    finally:
        gunicorn_server.stop()


def program(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmis_schedule.cli", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False, cwd=ROOT,
    )  # fmt: skip


REWRITES = 50
"""How many times the file is rewritten under load."""
INTERVAL = 0.05
"""Seconds between the server's looks at the file, so that versions a fifth of a second apart are read."""
MAX_REQUESTS = 20_000
"""The background requests stop here at the latest (each of two threads sends at most one per 2 ms)."""


def test_gunicorn_follows_the_file_under_load_without_an_error(served: Served) -> None:
    port = served.port
    made = program(
        "private-link", "--label", "load test", "--base-url", f"http://127.0.0.1:{port}", env=served.env
    )
    assert made.returncode == 0, made.stderr
    private_path = made.stdout.strip().removeprefix(f"http://127.0.0.1:{port}")
    token = private_path.split("/")[2]
    urls = [
        "/healthz",
        "/calendar.ics",
        "/api/next.json",
        "/",
        f"/sessions/first-monday-20261207@{hmis_schedule.clackamas().uid_domain}.ics",
        private_path,
    ]
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def load() -> None:
        nonlocal answered
        while not stop.is_set() and answered < MAX_REQUESTS:
            for url in urls:
                try:
                    status, _ = get(port, url)
                except (OSError, http.client.HTTPException) as err:
                    failures.append(f"{url}: {err!r}")
                    continue
                answered += 1
                if status != 200:
                    failures.append(f"{url}: {status}")
                time.sleep(0.002)

    workers = [threading.Thread(target=load) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        path = served.schedule
        for i in range(REWRITES):
            text = invalid() if i % 5 == 0 else named(f"Version {i}")
            how = i % 4
            if how == 0:  # atomically, as hmis-schedule does
                write_atomically(path, text)
            elif how == 1:  # in place, in two pieces, as an editor might
                with path.open("w", encoding="utf-8") as handle:
                    handle.write(text[: len(text) // 2])
                    handle.flush()
                    time.sleep(0.02)
                    handle.write(text[len(text) // 2 :])
            elif how == 2:  # deleted, then written again
                path.unlink()
                time.sleep(0.02)
                path.write_text(text, encoding="utf-8")
            else:
                path.write_text(text, encoding="utf-8")
            if i % 5 == 0:  # an invalid version: wait until a worker has read and refused it
                until(lambda: health(port)["status"] == "degraded", "an invalid version refused", in_a_row=1)
            else:
                time.sleep(4 * INTERVAL)

        assert all(worker.is_alive() for worker in workers), "the load stopped before the rewrites did"
        write_atomically(path, named("Final version"))
        final = load_schedule(path).version
        until(
            lambda: health(port) == {"status": "ok", "version": final},
            "the final version served by both workers",
        )
        assert json.loads(get(port, "/api/next.json")[1])["name"] == "Final version"

        write_atomically(path, invalid())

        def degraded() -> bool:
            answer = health(port)
            return (
                answer["status"] == "degraded"
                and answer["version"] == final
                and "timezone:" in answer["error"]
            )

        until(degraded, "degraded, naming the field, while the file is invalid")
        assert get(port, "/calendar.ics")[0] == 200

        path.write_text(named("Fixed"), encoding="utf-8")
        fixed = load_schedule(path).version
        until(lambda: health(port) == {"status": "ok", "version": fixed}, "ok again once the file is fixed")
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert answered > len(urls) * 10, answered
    assert failures == [], failures[:20]

    assert get(port, private_path)[0] == 200
    done = program("revoke", "load test", "--file", str(path), env=served.env)
    assert done.returncode == 0, done.stderr
    until(lambda: get(port, private_path)[0] == 404, "the revoked link refused by both workers")
    assert get(port, f"/private/{token}%2Fonline.ics")[0] == 404

    served.stop()  # flushes the logs
    access = served.access_log.read_text(encoding="utf-8", errors="replace")
    errors = served.error_log.read_text(encoding="utf-8", errors="replace")
    assert "/private/[redacted]" in access
    assert token not in access and token not in errors
    assert token.split(".")[0] not in access + errors
    assert "still serving the last good version" in errors and "timezone:" in errors


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "99999"])
def test_a_bad_reload_interval_is_refused_naming_it(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMIS_RELOAD_INTERVAL", value)
    with pytest.raises(web.ConfigError) as caught:
        web.create_app()
    assert str(caught.value).startswith("HMIS_RELOAD_INTERVAL: ")


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
    said = gunicorn_server.stderr_file.read_text(encoding="utf-8", errors="replace")
    assert code != 0
    assert said.startswith(f"hmis-schedule: cannot start: HMIS_SCHEDULE: {gunicorn_server.schedule}: ")
    assert "timezone:" in said and "Traceback" not in said
    errors = gunicorn_server.error_log.read_text(encoding="utf-8", errors="replace")
    assert "Booting worker" not in errors  # refused before any worker started
