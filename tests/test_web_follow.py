"""The server follows its files by the settle rule, and ``/healthz`` tells the public nothing but ``ok``/``degraded``.

First the app with injected clocks (nothing sleeps): after a change and ten
seconds without a request, the first request gets the new schedule; a
revoked link is refused on the first request once the state file has
settled; ``/healthz`` has only its status and the version, whatever is
broken; a syntax error on the line of the secrets file that holds the key
shows the key neither in a response nor in a log record.

Then for real, gunicorn with two workers and the default settings
(``HMIS_RELOAD_INTERVAL`` and ``HMIS_RELOAD_SETTLE`` unset), its worker pid
in each access-log line (gunicorn's ``%(p)s``, set on the command line, so
the app has no test-only behaviour): idle for ten seconds after a change, the
first requests get it; every request that starts 2 s or more after
``hmis-schedule revoke`` exits gets 404, both workers answering; a slow
writer is never served half-written (with looks every 0.05 s, so that only
the settle time keeps a valid prefix out); the key is in neither gunicorn
log.
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from support import FROZEN, Clocks, Served, get, health, named

import hmis_schedule
from hmis_schedule import edit, private, state, web
from hmis_schedule.files import builtin_text, from_toml, load_schedule
from hmis_schedule.zones import tzdata_version

ROOT = Path(__file__).resolve().parent.parent
KEY = "follow-test-secret-key-0123456789-abcdefgh"
NEW_KEY = "follow-test-NEW-secret-key-9876543210-zyxwvu"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_FOLLOWMEETING%40thread.v2/0"


def broken_secrets(path: Path) -> None:
    """A secrets file whose syntax error is on the line holding a (new) key: its closing quote is missing."""
    path.write_text(f'teams_url = "{JOIN}"\nsecret_key = "{NEW_KEY}\n', encoding="utf-8")


# -- the app, with injected clocks -------------------------------------------------------------------


def make_app(clocks: Clocks, **config: object) -> Flask:
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", "MONOTONIC": clocks.monotonic, "WALL_CLOCK": clocks.wall,
         "HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": "", "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "",
         "HMIS_RELOAD_INTERVAL": "", "HMIS_RELOAD_SETTLE": "", **config}
    )  # fmt: skip


def test_an_idle_app_answers_the_first_request_after_a_change_with_it(schedule_file: Path) -> None:
    clocks = Clocks()
    clocks.stamp(schedule_file)
    client = make_app(clocks, HMIS_SCHEDULE=str(schedule_file)).test_client()
    clocks.tick(5)
    assert b"County floating holiday" not in client.get("/calendar.ics").data  # rendered and cached
    edit.close(schedule_file, date(2027, 3, 15), reason="County floating holiday", now=FROZEN)
    clocks.stamp(schedule_file)
    clocks.tick(10)  # no request for ten seconds
    assert b"County floating holiday" in client.get("/calendar.ics").data  # the very first request


def test_a_revoked_link_is_refused_on_the_first_request_once_the_state_file_has_settled(
    schedule_file: Path,
) -> None:
    clocks = Clocks()
    client = make_app(
        clocks, HMIS_SCHEDULE=str(schedule_file), HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN
    ).test_client()
    token = private.issue_token(KEY, "alice", days=30, now=FROZEN)
    url = f"/private/{token}/calendar.ics"
    for _ in range(16):  # a busy worker: a request every 1/8 s
        clocks.tick(0.125)
        assert client.get(url).status_code == 200
    state.revoke(state.state_path(schedule_file), "alice", now=FROZEN)
    clocks.stamp(state.state_path(schedule_file))
    clocks.tick(0.5)
    assert client.get(url).status_code == 200  # written half a second ago: not settled yet
    clocks.tick(0.625)
    assert client.get(url).status_code == 404  # settled: the first request after that is refused


def leaks(text: str, *secrets: str) -> list[str]:
    return [s for s in secrets if s in text]


def test_healthz_tells_only_the_status_and_the_version(schedule_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    clocks = Clocks()
    secrets = schedule_file.with_name("secrets.toml")
    secrets.write_text(f'secret_key = "{KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    client = make_app(clocks, HMIS_SCHEDULE=str(schedule_file), HMIS_SECRETS_FILE=str(secrets)).test_client()
    version = load_schedule(schedule_file).version
    assert client.get("/healthz").json == {"status": "ok", "version": version, "tzdata": tzdata_version()}
    with caplog.at_level(logging.DEBUG):
        schedule_file.write_text(builtin_text().replace("America/Los_Angeles", "Pacific/Nowhere"), encoding="utf-8")
        state.state_path(schedule_file).write_text("revoked = 1\n", encoding="utf-8")
        broken_secrets(secrets)
        clocks.tick(10)
        answer = client.get("/healthz")
    assert answer.json == {"status": "degraded", "version": version, "tzdata": tzdata_version()}
    body = answer.get_data(as_text=True)
    assert leaks(body, str(schedule_file.parent), "timezone", "revoked", "secret_key", KEY, NEW_KEY) == []
    for reason in ("timezone:", "revoked:", "secret_key: not valid TOML at line 2, column"):
        assert reason in caplog.text
    assert leaks(caplog.text, KEY, NEW_KEY, JOIN) == []


def test_a_bad_secrets_file_is_reported_without_its_content() -> None:
    parse = private.secrets_file_parser({"HMIS_SECRETS_FILE": "/etc/hmis/secrets.toml"})
    for text in (
        f'secret_key = "{NEW_KEY}\n',  # no closing quote
        f"secret_key = {NEW_KEY}\n",  # no quotes
        f'secret_key = "{NEW_KEY}" "{NEW_KEY}"\n',
        f'secret_key = "{KEY}"\nsecret_key = "{NEW_KEY}"\n',  # twice
        f"{NEW_KEY}\n",  # the key alone on its line
        f'"{NEW_KEY}" = 1 = 2\n',
        f'{NEW_KEY} = "x"\n',  # a valid file, with the key as a setting's name
        f'"{JOIN}" = "x"\n',
    ):
        with pytest.raises(hmis_schedule.ScheduleError) as caught:
            parse(text.encode())
        message = str(caught.value)
        assert message.startswith("/etc/hmis/secrets.toml: ")
        assert leaks(message, KEY, NEW_KEY, KEY[-12:], NEW_KEY[-12:], JOIN, "meeting_") == [], message


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "99999"])
def test_a_bad_settle_time_is_refused_naming_it(value: str) -> None:
    with pytest.raises(web.ConfigError) as caught:
        make_app(Clocks(), HMIS_RELOAD_SETTLE=value)
    assert str(caught.value).startswith("HMIS_RELOAD_SETTLE: expected seconds from 0 to 3600")


# -- for real: gunicorn, two workers, the default settings ------------------------------------------


def program(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmis_schedule.cli", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False, cwd=ROOT,
    )  # fmt: skip


PID = re.compile(r"^<(\d+)> ")


def gunicorn(folder: Path, schedule_text: str, **env: str) -> Served:
    """gunicorn serving server:app with gunicorn.conf.py, two workers and the default intervals; access-log lines start with ``<pid>``."""
    return Served(
        folder, schedule_text, interval=None, extra=["--access-logformat", '%(p)s %(s)s "%(r)s"'],
        **{"HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN} | env,
    )  # fmt: skip


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with gunicorn(tmp_path, named("Old name")) as server:
        yield server


def on_both_workers(server: Served, path: str, rounds: int = 40) -> list[tuple[int, bytes]]:
    """Requests for ``path``, four at a time on new connections, until both workers have answered one (bounded)."""
    already = len(server.access_lines())
    answers: list[tuple[int, bytes]] = []
    failures: list[str] = []
    pids: set[str] = set()

    def one() -> None:
        try:
            answers.append(get(server.port, path))
        except (OSError, http.client.HTTPException) as err:
            failures.append(repr(err))

    for _ in range(rounds):
        threads = [threading.Thread(target=one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        pids = {m[1] for line in server.access_lines()[already:] if (m := PID.match(line))}
        if len(pids) == 2:
            return answers
    pytest.fail(f"only worker(s) {sorted(pids)} answered {len(answers)} requests")


@pytest.mark.slow
def test_an_idle_server_answers_the_first_request_after_a_change_with_it(served: Served) -> None:
    port = served.port
    assert all(json.loads(body)["name"] == "Old name" for _, body in on_both_workers(served, "/api/next.json"))
    done = program("close", "2027-03-15", "--reason", "County floating holiday",
                   "--file", str(served.schedule), env=served.env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    new = load_schedule(served.schedule).version
    time.sleep(10)  # no request for ten seconds: both workers idle
    assert health(port)["version"] == new  # the first request after the change
    assert all(json.loads(body)["version"] == new for _, body in on_both_workers(served, "/healthz"))


@pytest.mark.slow
def test_every_request_two_seconds_after_revoke_exits_is_refused_on_both_workers(served: Served) -> None:
    port = served.port
    made = program("private-link", "--label", "Agency X - Alice",
                   "--base-url", f"http://127.0.0.1:{port}", env=served.env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().removeprefix(f"http://127.0.0.1:{port}")
    assert {status for status, _ in on_both_workers(served, link)} == {200}  # both workers have looked just now
    done = program("revoke", "agency x - alice", "--file", str(served.schedule), env=served.env)
    exited = time.monotonic()
    assert done.returncode == 0, done.stderr
    time.sleep(max(0.0, exited + 2 - time.monotonic()))
    answers = on_both_workers(served, link)  # every one starts 2 s or more after revoke exited
    assert [status for status, _ in answers] == [404] * len(answers)
    assert all(JOIN.encode() not in body for _, body in answers)


@pytest.fixture
def looking_often(tmp_path: Path) -> Iterator[Served]:
    """gunicorn looking at the file every 0.05 s: a prefix is read if anything but the settle time keeps it out."""
    with gunicorn(tmp_path, named("Old name"), HMIS_RELOAD_INTERVAL="0.05") as server:
        yield server


@pytest.mark.slow
def test_a_slow_writer_is_never_served_half_written(looking_often: Served) -> None:
    served = looking_often
    port = served.port
    old = health(port)["version"]
    final = builtin_text()
    cut = final.index("\n[[slots]]", final.index("\n[[slots]]") + 1) + 1  # just before the second slot
    assert len(from_toml(final[:cut]).slots) == 1  # the first piece alone is a valid schedule
    pieces = [final[:cut], final[cut : cut + 700], final[cut + 700 :]]
    seen: list[dict[str, Any]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(health(port))
            time.sleep(0.01)

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for poller in pollers:
        poller.start()
    written: list[float] = []
    try:
        with served.schedule.open("w", encoding="utf-8") as handle:  # in place, in pieces, as a slow editor
            for piece in pieces:
                if written:
                    time.sleep(0.3)  # a pause shorter than the settle time (1 s)
                handle.write(piece)
                handle.flush()
                written.append(time.monotonic())
        time.sleep(0.5)
        during = list(seen)
        deadline = time.monotonic() + 15
        while not all(answer["version"] == from_toml(final).version for answer in seen[-20:]):
            assert time.monotonic() < deadline, "the final version was not served within 15 s"
            time.sleep(0.1)
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=30)
    pauses = [b - a for a, b in itertools.pairwise(written)]
    if max(pauses) >= 0.9:
        pytest.skip(f"the machine paused the writer for {max(pauses):.2f} s: nothing to learn from this run")
    assert len(during) > 20
    assert {answer["version"] for answer in during} == {old}  # never a prefix
    assert {answer["status"] for answer in seen} == {"ok"}  # a half-written file was not even read


@pytest.mark.slow
def test_a_syntax_error_beside_the_key_reaches_neither_healthz_nor_the_logs(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'teams_url = "{JOIN}"\nsecret_key = "{KEY}"\n', encoding="utf-8")
    server = gunicorn(tmp_path, builtin_text(), HMIS_SECRET_KEY="", HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(secrets))
    try:
        server.wait_until_up()
        broken_secrets(secrets)
        deadline = time.monotonic() + 15
        bodies: list[bytes] = []
        while not bodies or json.loads(bodies[-1])["status"] != "degraded":
            assert time.monotonic() < deadline, "not degraded within 15 s"
            time.sleep(0.1)
            bodies.append(get(server.port, "/healthz")[1])
        for _ in range(10):
            bodies.append(get(server.port, "/healthz")[1])
    finally:
        server.stop()
    said = b"".join(bodies).decode()
    assert leaks(said, KEY, NEW_KEY, str(tmp_path), "secret_key") == []
    errors = server.error_log.read_text(encoding="utf-8", errors="replace")
    assert "secret_key: not valid TOML at line 2, column" in errors
    assert leaks(errors + "\n".join(server.access_lines()), KEY, NEW_KEY, KEY[-12:], NEW_KEY[-12:]) == []
