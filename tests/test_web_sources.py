"""The app's live inputs (:mod:`hmis_schedule.web.sources`): the server follows its schedule, state and secrets files.

First with an injected clock (no sleeping): changes are served without a
restart, broken files never are, /healthz reports the file version served and
``degraded`` while a file is invalid, and private feeds follow revocations and
new secrets. Then for real: gunicorn with two workers on 127.0.0.1 answers
every request without an error while the file is rewritten 50 times (invalid
versions, in-place and half-written writes, deletions included), serves a
valid change within a bounded deadline, reports ``degraded`` while the file
is invalid and ``ok`` once fixed, follows a revocation, and never writes a
private link's token to its logs. The follower itself is in ``test_follow.py``.
"""

from __future__ import annotations

import http.client
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from support import (
    APP,
    FROZEN,
    INTERVAL,
    JOIN,
    KEY,
    MARKER,
    OTHER_KEY,
    ROOT,
    TOKEN,
    Clock,
    Served,
    get,
    health,
    invalid,
    local_app,
    named,
    private_app,
    same_as_unknown,
    write_atomically,
)

import hmis_schedule
from hmis_schedule import edit, feed, private, state, web
from hmis_schedule.files import builtin_text, load_schedule
from hmis_schedule.window import feed_window
from hmis_schedule.zones import tzdata_version

SCHEDULE = hmis_schedule.clackamas()


def test_the_provider_hands_out_the_schedule() -> None:
    app = local_app()
    assert app.extensions["hmis"].value.schedule == SCHEDULE
    assert app.extensions["hmis"].error is None


# -- the schedule and state files, with an injected clock ------------------------------------------


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
    assert before == feed.render_feed(loaded, feed_window(loaded, FROZEN.date()), base_url="http://localhost")
    edit.close(
        schedule_file,
        date(2027, 3, 15),
        reason="County floating holiday",
        now=datetime(2026, 12, 2, tzinfo=UTC),
    )
    edited = load_schedule(schedule_file)
    requests(client, clock)
    assert client.get("/healthz").json == {"status": "ok", "version": edited.version, "tzdata": tzdata_version()}
    after = client.get("/calendar.ics").data
    # Served with the record the server published on adopting the edit (only the changed events restamped).
    published = state.load_state(state.state_path(schedule_file)).published
    window = feed_window(edited, FROZEN.date())
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
        assert health.json == {"status": "degraded", "version": good.version, "tzdata": tzdata_version()}  # the reason goes to the log
        assert client.get("/api/next.json").json["version"] == good.version
    logged = [r.getMessage() for r in caplog.records if "still serving" in r.getMessage()]
    assert len(logged) == 1 and "timezone:" in logged[0] and str(schedule_file) in logged[0]
    write_atomically(schedule_file, named("Fixed"))
    requests(client, clock)
    assert client.get("/healthz").json == {"status": "ok", "version": load_schedule(schedule_file).version, "tzdata": tzdata_version()}
    assert client.get("/api/next.json").json["name"] == "Fixed"


def test_a_deleted_file_keeps_the_schedule_served(schedule_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock).test_client()
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        schedule_file.unlink()
        requests(client, clock)
        assert client.get("/healthz").json["status"] == "degraded"
    assert f"{schedule_file}: no such file" in caplog.text
    assert client.get("/calendar.ics").status_code == 200


def test_a_broken_state_file_keeps_the_last_revocations_and_degrades_health(
    schedule_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    client = make_app(schedule_file, clock, HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN).test_client()
    token = private.issue_token(KEY, "alice", days=30, now=FROZEN)
    target = state.state_path(schedule_file)
    state.revoke(target, "alice", now=FROZEN)
    requests(client, clock)
    assert client.get(f"/private/{token}/calendar.ics").status_code == 404
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        target.write_text("[[revoked]]\nlabel = ", encoding="utf-8")
        requests(client, clock)
        health = client.get("/healthz").json
    assert health["status"] == "degraded" and str(target) in caplog.text
    assert client.get(f"/private/{token}/calendar.ics").status_code == 404  # still revoked


def test_a_bad_state_file_at_start_stops_the_app(schedule_file: Path) -> None:
    state.state_path(schedule_file).write_text("revoked = 1\n", encoding="utf-8")
    with pytest.raises(web.ConfigError) as caught:
        make_app(schedule_file, Clock(), HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN)
    assert str(caught.value).startswith("HMIS_STATE_FILE: ") and "revoked:" in str(caught.value)


# -- the private feeds' secrets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('secret_key = "pw-XYZ"\n', "secret_key"),
        ('teams_url = "https://x.example.org/"\nwebhook = "y"\n', "webhook"),
        ("teams_url = 5\n", "teams_url"),
        (f'secret_key = "{MARKER}\n', ""),  # not TOML: the message must not quote the line
    ],
)
def test_a_bad_secrets_file_names_the_file_and_setting(tmp_path: Path, text: str, field: str) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(web.ConfigError) as caught:
        private_app(HMIS_SECRET_KEY="", HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file))
    message = str(caught.value)
    assert message.startswith(f"HMIS_SECRETS_FILE: {file}: {field}")
    assert "pw-XYZ" not in message and MARKER not in message and "\n" not in message


def test_without_the_key_private_feeds_are_off_and_the_app_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="hmis_schedule"):
        app = private_app(HMIS_SECRET_KEY="")
        client = app.test_client()
        for _ in range(3):
            same_as_unknown(client.get(f"/private/{TOKEN}/calendar.ics"), client)
    notes = [r.getMessage() for r in caplog.records if "private feeds are off" in r.getMessage()]
    assert notes == ["private feeds are off (HMIS_SECRET_KEY not set): private links answer 404"]


def _join_urls(body: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["URL"]) for e in calendar.walk("VEVENT") if "CONFERENCE" in e}


def test_a_new_join_url_in_the_secrets_file_is_served_without_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new_join = JOIN.replace(MARKER, "NEWMEETING77")
    file = tmp_path / "secrets.toml"
    file.write_text(f'secret_key = "{KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    ticks = iter(range(0, 1000, 2))
    app = private_app(
        HMIS_SECRET_KEY="", HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file), MONOTONIC=lambda: float(next(ticks))
    )
    client = app.test_client()
    url = f"/private/{TOKEN}/calendar.ics"
    assert _join_urls(client.get(url).get_data()) == {JOIN}

    def settle() -> None:  # the server sees the change, then reads it once it has settled
        for _ in range(2):
            client.get("/healthz")

    file.write_text(f'secret_key = "{KEY}"\nteams_url = "{new_join}"\n', encoding="utf-8")
    settle()
    assert _join_urls(client.get(url).get_data()) == {new_join}
    assert client.get("/healthz").get_json()["status"] == "ok"

    with caplog.at_level(logging.INFO, logger="hmis_schedule"):
        file.write_text(f'secret_key = "{KEY}"\nteams_url = "http://{MARKER}"\n', encoding="utf-8")
        settle()
        response = client.get(url)
        health = client.get("/healthz").get_json()
    assert _join_urls(response.get_data()) == {new_join}  # the last good secrets stay in service
    assert health == {"status": "degraded", "version": SCHEDULE.version, "tzdata": tzdata_version()}
    assert f"{file}: teams_url: expected an https URL" in caplog.text  # the reason is logged, not shown
    assert MARKER not in json.dumps(health) and MARKER not in caplog.text and KEY not in caplog.text

    file.write_text(f'secret_key = "{OTHER_KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    settle()
    assert client.get("/healthz").get_json()["status"] == "ok"
    same_as_unknown(client.get(url), client)  # a new key turns off every link made with the old one
    fresh = private.issue_token(OTHER_KEY, "Agency X - Alice", days=30, now=FROZEN)
    assert _join_urls(client.get(f"/private/{fresh}/calendar.ics").get_data()) == {JOIN}


def test_a_secrets_file_that_loses_a_secret_is_refused_while_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(f'teams_url = "{JOIN}"\n', encoding="utf-8")
    ticks = iter(range(0, 1000, 2))
    app = private_app(HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file), MONOTONIC=lambda: float(next(ticks)))
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        file.write_text("# being edited\n", encoding="utf-8")
        for _ in range(2):
            client.get("/healthz")
        health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and "error" not in health
    assert f"{file}: teams_url: is required (or set HMIS_TEAMS_URL)" in caplog.text
    assert _join_urls(client.get(f"/private/{TOKEN}/calendar.ics").get_data()) == {JOIN}


def test_the_join_url_and_key_are_not_in_the_apps_config() -> None:
    assert JOIN not in repr(dict(APP.config)) and KEY not in repr(dict(APP.config))
    assert MARKER not in repr(APP.extensions["hmis_private"])


# -- for real: gunicorn, two workers ---------------------------------------------------------------


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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with Served(tmp_path) as gunicorn_server:
        yield gunicorn_server


def program(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmis_schedule.cli", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False, cwd=ROOT,
    )  # fmt: skip


REWRITES = 50
"""How many times the file is rewritten under load."""
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
            lambda: health(port) == {"status": "ok", "version": final, "tzdata": tzdata_version()},
            "the final version served by both workers",
        )
        assert json.loads(get(port, "/api/next.json")[1])["name"] == "Final version"

        write_atomically(path, invalid())

        def degraded() -> bool:
            answer = health(port)
            return answer == {"status": "degraded", "version": final, "tzdata": tzdata_version()}  # the reason is in the log (checked below)

        until(degraded, "degraded while the file is invalid")
        assert get(port, "/calendar.ics")[0] == 200

        path.write_text(named("Fixed"), encoding="utf-8")
        fixed = load_schedule(path).version
        until(lambda: health(port) == {"status": "ok", "version": fixed, "tzdata": tzdata_version()}, "ok again once the file is fixed")
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
