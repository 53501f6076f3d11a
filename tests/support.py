"""What the tests share that is not a fixture: constants, app builders, oracles and small helpers.

Plain values, functions and classes, so that module-level constants and
Hypothesis ``@given`` tests can use them too. Fixtures built from them
(``app``, ``client``, ``local_client``, ``page``, ``env``, ``frozen_now``,
``schedule_file``) are in ``conftest.py``.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from time import monotonic, sleep
from time import time as wall_seconds
from typing import Any, Self
from urllib.parse import quote
from zoneinfo import ZoneInfo

import gunicorn
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

import hmis_schedule
from hmis_schedule import private, web
from hmis_schedule.files import builtin_text
from hmis_schedule.openapi import openapi_spec

ROOT = Path(__file__).resolve().parent.parent
"""The checkout's root folder."""

BASE = "https://hmis.example.org"
"""The public root the tests' apps and feeds link under (``HMIS_BASE_URL``)."""

ZONE = ZoneInfo("America/Los_Angeles")
"""The built-in schedule's zone."""

FROZEN = datetime(2026, 12, 3, 10, 0, tzinfo=ZONE)
"""The tests' "now": a Thursday morning, after the built-in schedule last changed."""

_BUILT_IN = hmis_schedule.clackamas()


# -- the web app ------------------------------------------------------------------------------

UID = f"second-monday-20260914@{_BUILT_IN.uid_domain}"
"""A session of the built-in schedule (the second Monday of September 2026)."""

FEED_URLS = ["/calendar.ics", "/calendar/online.ics", "/calendar/in-person.ics"]
"""The public feeds."""

OK_URLS = {
    "/": "text/html; charset=utf-8",
    "/?lang=es": "text/html; charset=utf-8",
    "/embed": "text/html; charset=utf-8",
    "/calendar.ics": "text/calendar; charset=utf-8",
    "/calendar/online.ics?lang=es": "text/calendar; charset=utf-8",
    "/calendar/in-person.ics?from=2026-01-01&to=2026-12-31": "text/calendar; charset=utf-8",
    f"/sessions/{UID}.ics": "text/calendar; charset=utf-8",
    "/api/sessions.json": "application/json",
    "/api/next.json": "application/json",
    "/api/sessions.csv?lang=es": "text/csv; charset=utf-8",
    "/feed.atom": "application/atom+xml; charset=utf-8",
    "/openapi.json": "application/json",
    "/healthz": "application/json",
    "/static/site.css": "text/css; charset=utf-8",
    "/static/copy.js": "text/javascript; charset=utf-8",
}
"""A URL of every public route, with the content type it answers with."""

SPEC = openapi_spec(BASE, feed=_BUILT_IN.feed)
"""The OpenAPI description of the built-in schedule's app under :data:`BASE`."""


class BufferedClient(FlaskClient):
    """A test client that reads each response whole and closes it (static files are open files)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def local_app(now: datetime = FROZEN, **config: object) -> Flask:
    """The app on the built-in schedule at ``now``, linking under the request's own root (``http://localhost``)."""
    app = web.create_app({"NOW": lambda: now, "HMIS_BASE_URL": "", **config})
    app.test_client_class = BufferedClient
    return app


def schedule_app(schedule: hmis_schedule.Schedule = _BUILT_IN, **config: object) -> Flask:
    """The app on ``schedule`` at :data:`FROZEN`, linking under :data:`BASE`."""
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": BASE, "HMIS_SCHEDULE": schedule, **config}
    )


# -- private feeds ----------------------------------------------------------------------------

KEY = "test-only-secret-key-0123456789-abcdefghij"
"""The private links' secret key."""
OTHER_KEY = "another-secret-key-0123456789-abcdefghijk"
"""Another secret key: links signed with it are not valid under :data:`KEY`."""
MARKER = "SECRETMEETINGID42"
"""The distinctive part of :data:`JOIN`, looked for wherever it must not be."""
JOIN = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
    + MARKER
    + "%40thread.v2/0?context=%7b%22Tid%22%3a%22abc%22%7d"
)
"""The online sessions' join URL, for private feeds only."""


def private_app(schedule: object = _BUILT_IN, **config: object) -> Flask:
    """The app on ``schedule`` at :data:`FROZEN`, linking under :data:`BASE`, with private feeds on."""
    settings: dict[str, object] = {
        "NOW": lambda: FROZEN,
        "HMIS_BASE_URL": BASE,
        "HMIS_SCHEDULE": schedule,
        "HMIS_SECRET_KEY": KEY,
        "HMIS_TEAMS_URL": JOIN,
        "HMIS_SECRETS_FILE": "",
        "HMIS_STATE_FILE": "",
    }
    settings.update(config)
    return web.create_app(settings)


@functools.cache
def _private_feeds_app() -> Flask:
    return private_app()


def __getattr__(name: str) -> Any:
    """``APP``, the app with private feeds on (nothing a test does changes it), built once on first use.

    Built when a test module imports it, not when ``conftest.py`` imports this
    module: the app's start-up note is then logged where pytest captures it.
    """
    if name == "APP":
        return _private_feeds_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
TOKEN = private.issue_token(KEY, "Agency X - Alice", days=30, now=FROZEN - timedelta(days=1))
"""A valid private link's token at :data:`FROZEN`."""


def leaks(response: Any) -> bool:
    """Whether the join URL (or its distinctive part) is anywhere in the response."""
    body = response.get_data().replace(b"\r\n ", b"").lower()
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
    needles = [MARKER.lower(), JOIN.lower()]
    return any(n.encode() in body or n in headers for n in needles)


def unknown(client: FlaskClient, token: str = "x", name: str = "calendar.ics") -> Any:
    """What a URL of the same shape that no route serves gets."""
    return client.get(f"/private/{quote(token, safe='')}/{name.replace('.ics', '-nothing.ics')}")


def same_as_unknown(response: Any, client: FlaskClient, name: str = "calendar.ics") -> None:
    other = unknown(client, name=name)
    assert response.status_code == other.status_code == 404
    assert response.get_data() == other.get_data()
    assert dict(response.headers) == dict(other.headers)


# -- pages, parsed with the standard library's HTML parser -------------------------------------

GRID_END = date(2027, 3, 1)  # the page shows December, January and February
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    """An element of a parsed page."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None) -> list[Node]:
        found = [self] if tag in (None, self.tag) else []
        for child in self.children:
            if isinstance(child, Node):
                found += child.iter(tag)
        return found

    def find(self, tag: str, **attrs: str) -> list[Node]:
        return [n for n in self.iter(tag) if all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def upcoming() -> list[hmis_schedule.Session]:
    """The sessions the page lists at :data:`FROZEN`: those not over, up to :data:`GRID_END`."""
    return [s for s in _BUILT_IN.sessions_between(FROZEN.date(), GRID_END) if s.end > FROZEN]


INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2032, 12, 31),
    timezones=st.sampled_from([ZoneInfo("America/Los_Angeles"), ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo")]),
)
"""Instants around the built-in schedule's years, in its zone and two others."""


# -- wall-clock times, the oracle: zoneinfo's UTC-to-local conversion ----------------------------


def offset_around(day: date, zone: ZoneInfo, days_away: int) -> timedelta:
    """The zone's UTC offset at noon UTC ``days_away`` days from ``day`` (before or after a change)."""
    instant = datetime.combine(day + timedelta(days=days_away), time(12), tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def expected_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The oracle, in UTC: the first instant zoneinfo shows as ``clock`` on ``day``, or the reading after a gap."""
    naive = datetime.combine(day, clock)
    before, after = offset_around(day, zone, -1), offset_around(day, zone, 1)
    candidates = sorted({(naive - before).replace(tzinfo=UTC), (naive - after).replace(tzinfo=UTC)})
    shown = [c for c in candidates if c.astimezone(zone).replace(tzinfo=None) == naive]
    if shown:
        return shown[0]
    return (naive - before).replace(tzinfo=UTC)  # skipped: read with the offset before the jump


def wall_clock_exists(day: date, clock: time, zone: ZoneInfo) -> bool:
    naive = datetime.combine(day, clock)
    return expected_instant(day, clock, zone).astimezone(zone).replace(tzinfo=None) == naive


def check_instant(got: datetime, day: date, clock: time, zone: ZoneInfo) -> None:
    assert got.tzinfo is zone
    # compare in UTC: an aware datetime in a repeated hour never equals one in another zone (PEP 495)
    assert got.astimezone(UTC) == expected_instant(day, clock, zone)
    assert got.utcoffset() == got.astimezone(UTC).astimezone(zone).utcoffset()
    if wall_clock_exists(day, clock, zone):
        assert (got.date(), got.time()) == (day, clock)


# -- files that change under a follower ---------------------------------------------------------

ORIGINAL_NAME = 'name = { en = "Clackamas County HMIS new user training"'
BAD_ZONE = ('timezone = "America/Los_Angeles"', 'timezone = "Pacific/Nowhere"')


def named(name: str) -> str:
    """The built-in schedule's text with another name (so another version)."""
    text = builtin_text()
    assert ORIGINAL_NAME in text
    return text.replace(ORIGINAL_NAME, f'name = {{ en = "{name}"', 1)


def invalid() -> str:
    """The built-in schedule's text with a time zone that does not exist."""
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


# -- a real server on 127.0.0.1 -------------------------------------------------------------------

INTERVAL = 0.05
"""Seconds between the server's looks at the file, so that versions a fifth of a second apart are read."""

WEB_CONFIG = "python:hmis_schedule.web.gunicorn_config"
"""The package's gunicorn settings, as ``hmis-schedule serve`` passes them."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, *, host: str | None = None) -> tuple[int, bytes]:
    """One GET of ``path`` on a new connection (with ``host`` as the Host header if given): status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={} if host is None else {"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def health(port: int) -> dict[str, Any]:
    status, body = get(port, "/healthz")
    assert status == 200
    answer: dict[str, Any] = json.loads(body)
    return answer


def raw(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as it is and read the whole answer (the request should ask to close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        deadline = monotonic() + timeout
        while monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def raw_get(port: int, target: str, *headers: str, host: str | None = "127.0.0.1") -> bytes:
    """A raw HTTP/1.1 GET of ``target`` (sent as is) with ``headers`` (``Name: value``): the whole answer."""
    lines = [f"GET {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [*headers, "Connection: close", "", ""]
    return raw(port, "\r\n".join(lines).encode("latin-1"))


def status(answer: bytes) -> int:
    """The status code of a raw answer (0 if there is none)."""
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def server_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``HMIS_*`` setting, with ``settings``."""
    return {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | settings


class Server:
    """A server on 127.0.0.1 in a process group of its own, its logs in files in ``folder``; a context manager.

    By default this checkout's gunicorn (``python -m gunicorn``) serving
    ``app`` with ``config`` and ``workers`` workers from ``cwd``, its access
    log, error log and output in :attr:`access_log`, :attr:`error_log` and
    :attr:`output`, and ``extra`` options before the app; without its
    control socket (gunicorn 25.1 and later: one per user, not to be
    shared). Or ``argv`` as given, listening on ``port`` (the caller passes
    any option its gunicorn needs). ``env`` is the whole environment
    (default: :func:`server_env`). Standard output and error both go to
    :attr:`output`.
    """

    def __init__(
        self,
        folder: Path,
        *,
        argv: Sequence[str | Path] | None = None,
        port: int | None = None,
        app: str = "server:app",
        config: str = str(ROOT / "gunicorn.conf.py"),
        workers: int = 2,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        host: str | None = None,
    ) -> None:
        self.port = free_port() if port is None else port
        self.host = host
        """The Host header :meth:`wait_until_up` sends (default: ``127.0.0.1:<port>``)."""
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.output = folder / "output.txt"
        self.env = server_env() if env is None else dict(env)
        if argv is None:
            argv = [
                sys.executable, "-m", "gunicorn", "--config", config,
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--chdir", str(cwd),
                "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
                *extra, *(["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []), app,
            ]  # fmt: skip
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [str(a) for a in argv], env=self.env, cwd=cwd, start_new_session=True,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_until_up(self, seconds: float = 60) -> None:
        """Wait (bounded) until ``/healthz`` answers 200; fail with the logs if the process exits or it does not."""
        deadline = monotonic() + seconds
        while monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.logs()}"
            try:
                if get(self.port, "/healthz", host=self.host)[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            sleep(0.1)
        pytest.fail(f"no answer on /healthz within {seconds} seconds:\n{self.logs()}")

    def stop(self) -> None:
        """End the process group: SIGTERM, then SIGKILL after 30 s (bounded)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def logs(self) -> str:
        """Everything the server wrote: access log, error log, output."""
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""
            for p in (self.access_log, self.error_log, self.output)
        )

    def access_lines(self) -> list[str]:
        return self.access_log.read_text(encoding="utf-8", errors="replace").splitlines()

    def __enter__(self) -> Self:
        try:
            self.wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Served(Server):
    """gunicorn serving server:app with gunicorn.conf.py and two workers on ``folder``/schedule.toml (``text``).

    Private feeds on (:data:`KEY`, :data:`JOIN`), looking at the files every
    ``interval`` seconds (``None``: ``HMIS_RELOAD_INTERVAL`` unset); ``env``
    adds or replaces settings.
    """

    def __init__(
        self, folder: Path, text: str | None = None, *, interval: float | None = INTERVAL,
        extra: Sequence[str] = (), **env: str,
    ) -> None:  # fmt: skip
        self.schedule = folder / "schedule.toml"
        self.schedule.write_text(builtin_text() if text is None else text, encoding="utf-8")
        settings = {"HMIS_SCHEDULE": str(self.schedule), "HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN}
        if interval is not None:
            settings["HMIS_RELOAD_INTERVAL"] = str(interval)
        super().__init__(folder, extra=extra, env=server_env(**settings | env))


class Clocks:
    """The monotonic and the wall clock an app follows files by, moved together by hand.

    The wall clock starts at the real time (a file's modification time is
    compared with it), rounded to a whole second plus a quarter.
    """

    def __init__(self) -> None:
        self.start = float(int(wall_seconds())) + 0.25
        self.elapsed = 0.0

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def wall(self) -> float:
        return self.start + self.elapsed

    def tick(self, seconds: float) -> None:
        self.elapsed += seconds

    def stamp(self, path: Path) -> None:
        """Date ``path``'s last write now, by this wall clock."""
        ns = round(self.wall() * 1_000_000_000)
        os.utime(path, ns=(ns, ns))
