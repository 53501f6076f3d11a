"""``deploy/nginx.conf`` for real: Debian's nginx in front of gunicorn (two workers), as deployed.

The shipped file is run as it is, with only its two ports and its log folder
changed (each change must apply exactly once, so the file keeps the shape the
README describes), inside a minimal top-level ``nginx.conf`` in a temporary
folder; gunicorn runs the package's settings with ``HMIS_TRUST_PROXY=1``,
``HMIS_BASE_URL`` unset and private feeds on. Through nginx:

- the app receives nginx's X-Forwarded-For, -Proto and -Host and no other
  forwarding header, whatever the client sent (an echoing upstream shows it);
- no request header makes the app answer 5xx, and no client-sent forwarding
  header puts an origin or a scheme into a response: links name the request's
  host (as nginx normalises it) with nginx's own scheme, or a fixed outside
  site (Hypothesis over Host, the X-Forwarded-* family, Forwarded,
  Accept-Language and conditional headers; and raw requests on a socket);
- 2, then 50, connections that stall in their request header do not delay
  a normal request by more than a second (the behaviour under test: without
  nginx, two such connections hold gunicorn's two sync workers for 30 s);
- one client's burst of feed or API requests gets 429 past the configured
  burst, while the page allows more;
- the access log holds ``/private/[redacted]`` and no token, however the
  path is percent-encoded, and the error log quotes no private request.

Requests come from many loopback addresses (127.0.0.0/8 all reach the
loopback), so the per-client rate limits apply to each test on its own.
nginx comes from Debian (``.ci/run`` installs it): with ``CI`` set these tests
run, elsewhere they are skipped when ``/usr/sbin/nginx`` is missing.
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import WEB_CONFIG, Server, free_port, server_env

from hmis_schedule import private
from hmis_schedule.files import builtin_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "nginx.conf"
NGINX = Path("/usr/sbin/nginx")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not NGINX.exists() and not os.environ.get("CI"),
        reason="needs Debian's nginx (apt-get install nginx; .ci/run installs it and CI runs these tests)",
    ),
]

KEY = "nginx-test-secret-key-0123456789-abcdefghij"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NGINXTEST%40thread.v2/0"
SERVER_NAME = "hmis-training.example.org"
"""The shipped ``server_name``: the Host of the tests' ordinary requests."""
BURSTS = {zone: int(n) for zone, n in re.findall(r"limit_req zone=(\w+) burst=(\d+)", SHIPPED.read_text())}
"""The shipped ``burst=`` of each rate limit zone: ``hmis_feeds``, ``hmis_api``, ``hmis_pages``."""
FEED_BURST = BURSTS["hmis_feeds"]
TIMEOUT = 10.0
"""Seconds any one exchange with nginx may take before the test fails."""

_sources = itertools.count(1)


def fresh_source() -> str:
    """A loopback address no earlier request of this module came from: a client of its own for the rate limits."""
    high, low = divmod(next(_sources), 254)
    return f"127.{1 + high // 256}.{high % 256}.{low + 1}"


# -- the deployment -------------------------------------------------------------------------------


def substituted(text: str, *changes: tuple[str, str]) -> str:
    """``text`` with each ``(old, new)`` change made; each ``old`` must occur exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, f"deploy/nginx.conf should have {old!r} exactly once"
        text = text.replace(old, new)
    return text


def site_config(folder: Path, *, port: int, app_port: int) -> Path:
    """The shipped file with nginx's port, the app's port and the log folder changed."""
    text = substituted(
        SHIPPED.read_text(encoding="utf-8"),
        ("    listen 80;\n    listen [::]:80;\n    # TLS", f"    listen 127.0.0.1:{port};\n    # TLS"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("/var/log/nginx/hmis-schedule.access.log", str(folder / "access.log")),
    )
    path = folder / "hmis-schedule.conf"
    path.write_text(text, encoding="utf-8")
    return path


def main_config(folder: Path, site: Path) -> Path:
    """A top-level nginx.conf, all of whose files are in ``folder``, that includes ``site`` in ``http``."""
    temp = folder / "temp"
    temp.mkdir()
    # Started as root, nginx runs its workers as "nobody", which cannot enter
    # pytest's folders: keep them as the user that starts it.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    path = folder / "nginx.conf"
    path.write_text(
        f"""{user}worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log error;  # Debian's level
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""",
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """nginx on ``port`` in front of gunicorn on ``app_port``; their logs; a valid private link's token."""

    port: int
    app_port: int
    folder: Path
    token: str

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"


@contextmanager
def nginx(folder: Path, *, app_port: int) -> Iterator[int]:
    """The shipped configuration served by nginx (checked with ``nginx -t`` first) in front of ``app_port``."""
    port = free_port()
    config = main_config(folder, site_config(folder, port=port, app_port=app_port))
    argv = [str(NGINX), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30, check=False)
    assert checked.returncode == 0, f"nginx -t refused deploy/nginx.conf:\n{checked.stderr}"
    with Server(folder, argv=[*argv, "-g", "daemon off;"], port=port, cwd=folder, host=SERVER_NAME):
        yield port


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("nginx")
    schedule = folder / "schedule.toml"
    schedule.write_text(builtin_text(), encoding="utf-8")
    app_folder = folder / "gunicorn"  # gunicorn's logs, apart from nginx's
    app_folder.mkdir()
    env = server_env(HMIS_SCHEDULE=str(schedule), HMIS_TRUST_PROXY="1", HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN)
    app = Server(app_folder, app="hmis_schedule.web:app_from_environment()", config=WEB_CONFIG, env=env, cwd=folder)
    with app, nginx(folder, app_port=app.port) as port:
        token = private.issue_token(KEY, "nginx test", days=30, now=datetime.now(UTC))
        yield Deployment(port=port, app_port=app.port, folder=folder, token=token)


# -- a client that sends exactly the bytes it is given ---------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    status: int
    head: bytes
    body: bytes

    @property
    def whole(self) -> bytes:
        """Status line, headers and body, with the body's folded iCalendar lines unfolded."""
        return self.head + b"\r\n\r\n" + self.body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")


def request_bytes(
    path: str, headers: Sequence[tuple[str, str]] = (), *, host: str | None = SERVER_NAME
) -> bytes:
    """An HTTP/1.0 ``GET`` (so the answer is never chunked and ends with the connection)."""
    lines = [f"GET {path} HTTP/1.0"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(port: int, raw: bytes, *, source: str = "127.0.0.1", timeout: float = TIMEOUT) -> Answer:
    """Send ``raw`` from ``source`` to nginx, read the answer to the end of the connection (bounded)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end of the answer within {timeout} s")
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
    assert match, f"not an HTTP answer: {data[:200]!r}"
    return Answer(status=int(match[1]), head=head, body=body)


def get(
    deployment: Deployment,
    path: str,
    *,
    source: str = "127.0.0.1",
    host: str | None = SERVER_NAME,
    headers: Sequence[tuple[str, str]] = (),
) -> Answer:
    """``GET path`` through nginx from ``source``."""
    return exchange(deployment.port, request_bytes(path, headers, host=host), source=source)


# -- hostile headers ----------------------------------------------------------------------------------

MARKERS = (b"evil.example", b"javascript")
"""What the hostile values below carry: neither may appear in any answer."""

ORIGIN = re.compile(rb"(https?|webcal)://([^/\"'<>\s\\?#]+)", re.IGNORECASE)

FORWARDING = (
    "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix",
    "X-Forwarded-Port", "X-Forwarded-Ssl", "X-Forwarded-Protocol", "X-Forwarded-Server",
    "X-Real-IP", "Forwarded",
)  # fmt: skip
HOSTILE_VALUES = (
    "//evil.example", "evil.example", "https://evil.example/x", "/evil.example", "evil.example:443",
    "javascript", "javascript:alert(1)//", "https", "HTTPS", "ftp", "on", "ssl", "443", "99999", "-1",
    "for=192.0.2.1;host=evil.example;proto=javascript", "1.2.3.4, evil.example", "",
    "a" * 70 + ".evil.example", "evil.example\t", " //evil.example",
)  # fmt: skip
HOSTS = (
    SERVER_NAME, "HMIS-Training.Example.ORG:8443", "127.0.0.1", "127.0.0.1:99999", "localhost.", "[::1]",
    "a" * 64 + ".example.org", "x@y", ":99999", "", "a/b", "a b", "_", "a..b", "-a.b", "xn--bcher-kva.example",
    "bücher.example", "host:80:80", "%2F%2Fhost", "host\\x", "[::1", "a" * 300,
)  # fmt: skip
PATHS = (
    "/", "/embed", "/calendar.ics", "/calendar/online.ics", "/api/next.json",
    "/api/sessions.json", "/openapi.json", "/healthz", "/no-such-page", "/static/site.css",
)  # fmt: skip


def without_markers(text: str) -> bool:
    return not any(marker.decode() in text.lower() for marker in MARKERS)


ONE_LINE = st.characters(codec="latin-1", exclude_characters="\r\n\x00")
"""What a header value may hold (nginx refuses a NUL)."""
header_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES), st.text(ONE_LINE, max_size=40).filter(without_markers)
)
host_value = st.one_of(st.sampled_from(HOSTS), st.text(ONE_LINE, max_size=80).filter(without_markers))


def nginx_host(host: str) -> str:
    """The host nginx puts in ``$host`` for a Host header it accepts: lowercased, no port, no final dot."""
    name = host[: host.find("]") + 1] if host.startswith("[") and "]" in host else host.split(":")[0]
    return name.lower().rstrip(".")


def ascii_host(host: str) -> str:
    """``host`` with an internationalised name in its ASCII form (the app may link ``xn--`` names in Unicode)."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def origins(answer: Answer) -> set[tuple[str, str]]:
    """The ``(scheme, host)`` of every absolute link in ``answer``, lowercased, hosts in ASCII form."""
    return {
        (s.decode().lower(), ascii_host(h.decode("utf-8", errors="replace").lower()))
        for s, h in ORIGIN.findall(answer.whole)
    }


@pytest.fixture(scope="module")
def outside_sites(deployment: Deployment) -> frozenset[str]:
    """The hosts the app links to whatever the request (calendar services, Teams, schema.org)."""
    private_path = f"/private/{deployment.token}/calendar.ics"
    found: set[str] = set()
    for path in (*PATHS, private_path):
        answer = get(deployment, path, source=fresh_source())
        assert answer.status < 500
        assert not any(marker in answer.whole.lower() for marker in MARKERS), path
        found |= {host for _, host in origins(answer)}
    assert SERVER_NAME in found  # the app does build links from the host: the checks below can fail
    return frozenset(found - {SERVER_NAME})


def assert_no_attacker_origin(answer: Answer, host: str, outside: frozenset[str], what: object) -> None:
    assert answer.status < 500, (what, answer.head)
    lowered = answer.whole.lower()
    for marker in MARKERS:
        assert marker not in lowered, (what, marker, answer.whole[:2000])
    expected = nginx_host(host)
    for scheme, origin in origins(answer):
        if origin == expected:
            assert scheme in ("http", "webcal"), (what, scheme, origin)  # nginx's own scheme: http here
        else:
            assert origin in outside, (what, origin)


@given(
    path=st.one_of(st.sampled_from(PATHS), st.just("private")),
    host=host_value,
    forwarding=st.dictionaries(st.sampled_from(FORWARDING), header_value, max_size=len(FORWARDING)),
    others=st.dictionaries(
        st.sampled_from(("Accept-Language", "If-None-Match", "If-Modified-Since", "Cookie", "Referer")),
        header_value,
        max_size=3,
    ),
)
def test_no_header_makes_a_5xx_or_puts_an_attackers_origin_or_scheme_in_an_answer(
    deployment: Deployment,
    outside_sites: frozenset[str],
    path: str,
    host: str,
    forwarding: dict[str, str],
    others: dict[str, str],
) -> None:
    if path == "private":
        path = f"/private/{deployment.token}/calendar.ics"
    headers = [*forwarding.items(), *others.items()]
    answer = get(deployment, path, host=host, headers=headers, source=fresh_source())
    assert_no_attacker_origin(answer, host, outside_sites, (path, host, headers))


RAW_REQUESTS = {
    "two Host headers": b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    "no Host in HTTP/1.1": b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    "no Host in HTTP/1.0": b"GET / HTTP/1.0\r\n\r\n",
    "underscores in a header's name": (
        b"GET / HTTP/1.0\r\nHost: a.example\r\nX_Forwarded_Host: evil.example\r\n"
        b"X_Forwarded_Prefix: //evil.example\r\nX_Forwarded_Proto: javascript\r\n\r\n"
    ),
    "a folded header line": (
        b"GET / HTTP/1.0\r\nHost: a.example\r\nX-Forwarded-Prefix: /a\r\n //evil.example\r\n\r\n"
    ),
    "each forwarding header twice": b"GET / HTTP/1.0\r\nHost: a.example\r\n"
    + b"".join(f"{name}: evil.example\r\n{name}: //evil.example\r\n".encode() for name in FORWARDING)
    + b"\r\n",
    "javascript as the scheme, everywhere": b"GET /api/next.json HTTP/1.0\r\nHost: a.example\r\n"
    + b"".join(f"{name}: javascript\r\n".encode() for name in FORWARDING)
    + b"\r\n",
    "a space before the colon": b"GET / HTTP/1.0\r\nHost: a.example\r\nX-Forwarded-Host : evil.example\r\n\r\n",
    "a NUL in the Host": b"GET / HTTP/1.0\r\nHost: a.example\x00evil.example\r\n\r\n",
    "a tab in the Host": b"GET / HTTP/1.0\r\nHost: a.example\tevil.example\r\n\r\n",
    "a bare LF between headers": b"GET / HTTP/1.0\nHost: a.example\nX-Forwarded-Prefix: //evil.example\n\n",
    "a header over nginx's buffers": b"GET / HTTP/1.0\r\nHost: a.example\r\nX-Forwarded-Host: "
    + b"evil.example" * 1000
    + b"\r\n\r\n",
    "a protocol-relative path": b"GET //evil.example/ HTTP/1.0\r\nHost: a.example\r\n\r\n",
    "a path with backslashes": b"GET /\\evil.example/ HTTP/1.0\r\nHost: a.example\r\n\r\n",
}


@pytest.mark.parametrize("raw", RAW_REQUESTS.values(), ids=RAW_REQUESTS.keys())
def test_raw_requests_neither_fail_nor_put_an_attackers_origin_in_an_answer(
    deployment: Deployment, outside_sites: frozenset[str], raw: bytes
) -> None:
    answer = exchange(deployment.port, raw, source=fresh_source())
    host = re.search(rb"\nHost: ([^\r\n]*)", raw)
    assert_no_attacker_origin(answer, host[1].decode("latin-1") if host else SERVER_NAME, outside_sites, raw)


def test_nginx_replaces_the_forwarding_headers_the_client_sent(deployment: Deployment) -> None:
    """The page's links follow nginx's scheme and host, never the client's; an invalid host gets nginx's 400."""
    hostile = [(name, "https") if "Proto" in name else (name, "evil.example") for name in FORWARDING]
    answer = get(deployment, "/", headers=hostile, source=fresh_source())
    assert answer.status == 200
    assert f"http://{SERVER_NAME}/calendar.ics".encode() in answer.body
    assert f"https://{SERVER_NAME}".encode() not in answer.body
    refused = get(deployment, "/", host="a" * 64 + ".example.org", source=fresh_source())
    assert refused.status == 400 and b"nginx" in refused.body  # nginx's own answer: the app never saw it


class Echo(BaseHTTPRequestHandler):
    """An upstream that answers each request with the headers it received, as JSON pairs."""

    def do_GET(self) -> None:
        body = json.dumps(list(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def echoing_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The shipped configuration in front of :class:`Echo` instead of the app: nginx's port."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=upstream.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        with nginx(tmp_path_factory.mktemp("echo"), app_port=upstream.server_address[1]) as port:
            yield port
    finally:
        upstream.shutdown()
        upstream.server_close()
        thread.join(timeout=10)


SET_BY_NGINX = {"host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "connection"}
"""The only request headers nginx sends of its own (plus what it passes on from the client, checked below)."""


@given(
    host=st.sampled_from([h for h in HOSTS if nginx_host(h) and not {"/", " ", "@", "\\", "%"} & set(h)]),
    forwarding=st.dictionaries(st.sampled_from(FORWARDING), header_value, max_size=len(FORWARDING)),
    underscored=st.booleans(),
)
def test_the_app_gets_nginxs_forwarding_headers_and_none_of_the_clients(
    echoing_nginx: int, host: str, forwarding: dict[str, str], underscored: bool
) -> None:
    source = fresh_source()
    sent = [*forwarding.items(), ("X-Kept", "yes")]
    if underscored:
        sent += [(name.replace("-", "_"), "evil.example") for name in FORWARDING]
    answer = exchange(echoing_nginx, request_bytes("/", sent, host=host), source=source)
    if answer.status == 400:  # a Host nginx refuses: nothing reached the app
        return
    assert answer.status == 200, answer.head
    received = [(name.lower(), value) for name, value in json.loads(answer.body)]
    got = dict(received)
    assert len(got) == len(received), received  # each header once
    assert got["x-forwarded-for"] == source
    assert got["x-forwarded-proto"] == "http"
    assert got["x-forwarded-host"] == got["host"] == nginx_host(host)
    assert got.pop("x-kept") == "yes"  # other headers are passed on: the check below can fail
    assert set(got) <= SET_BY_NGINX, received


# -- slow clients -----------------------------------------------------------------------------------


def stalled_connection(port: int) -> socket.socket:
    """A connection that sent the start of a request header and nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(f"GET / HTTP/1.1\r\nHost: {SERVER_NAME}\r\nX-Slow: ".encode())
    return sock


def still_open(sock: socket.socket) -> bool:
    """Whether nginx has neither answered nor closed ``sock``."""
    sock.setblocking(False)
    try:
        return not sock.recv(1)  # b"" is the end of the connection; data would be an answer
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


@pytest.mark.parametrize("count", [2, 50])
def test_connections_stalled_in_their_header_do_not_delay_a_normal_request(
    deployment: Deployment, count: int
) -> None:
    assert get(deployment, "/", source=fresh_source()).status == 200  # warm
    stalled: list[socket.socket] = []
    try:
        stalled = [stalled_connection(deployment.port) for _ in range(count)]
        time.sleep(0.5)  # nginx has read what they sent; gunicorn alone would now have no free worker
        for path in ("/", "/calendar.ics", "/api/next.json"):
            started = time.monotonic()
            answer = get(deployment, path, source=fresh_source())
            took = time.monotonic() - started
            assert answer.status == 200, path
            assert took <= 1.0, f"{path} took {took:.2f} s with {count} stalled connections"
        assert all(still_open(sock) for sock in stalled), "the stalled connections should still be open"
    finally:
        for sock in stalled:
            sock.close()


# -- rate limits --------------------------------------------------------------------------------------


def burst(deployment: Deployment, path: str, count: int) -> list[int]:
    """The statuses of ``count`` requests for ``path``, one after the other, from one new client."""
    source = fresh_source()
    return [get(deployment, path, source=source).status for _ in range(count)]


@pytest.mark.parametrize(("path", "zone"), [("/calendar.ics", "hmis_feeds"), ("/api/next.json", "hmis_api")])
def test_one_client_gets_429_past_the_burst_of_feeds_and_the_api(
    deployment: Deployment, path: str, zone: str
) -> None:
    allowed = BURSTS[zone]
    statuses = burst(deployment, path, allowed + 30)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[:allowed] == [200] * allowed, statuses  # the burst itself is served
    assert 429 in statuses, statuses
    others = [get(deployment, path, source=fresh_source()).status for _ in range(3)]
    assert others == [200, 200, 200]  # other clients are not limited


def test_the_page_allows_more_than_a_feed(deployment: Deployment) -> None:
    statuses = burst(deployment, "/", FEED_BURST + 30)  # a feed answers 429 long before (above)
    assert statuses == [200] * len(statuses), statuses


# -- logs ---------------------------------------------------------------------------------------------


def encoded(text: str) -> str:
    """Every character of ``text`` percent-encoded."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


def read_when(path: Path, lines: int) -> str:
    """``path``'s text once it has at least ``lines`` lines (nginx writes a line just after it answers)."""
    deadline = time.monotonic() + 5
    while (text := path.read_text(errors="replace")).count("\n") < lines and time.monotonic() < deadline:
        time.sleep(0.05)
    return text


def read_until(path: Path, pattern: str) -> str:
    """``path``'s text once ``pattern`` is found in it (or after 5 s)."""
    deadline = time.monotonic() + 5
    while not re.search(pattern, text := path.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.05)
    return text


def test_the_access_log_has_no_token_however_the_path_is_spelled(deployment: Deployment) -> None:
    token = deployment.token
    served = [
        f"/private/{token}/calendar.ics",
        f"/private/{token}/calendar.ics?lang=es",
        f"/%70rivate/{token}/calendar.ics",
        f"/priv%61te/{token}/online.ics?lang=es",
        f"/%70%72%69%76%61%74%65/{token}/calendar.ics",
        f"/private/{encoded(token)}/calendar.ics",
        f"/private/{token[0]}{token[1:].replace('.', '%2E')}/calendar.ics",
    ]
    others = [
        f"/%2570rivate/{token}/calendar.ics",  # not a private path for the app: still no token in the log
        f"/PRIVATE/{token}/calendar.ics",
        f"/private%2F{token}%2Fcalendar.ics",
        f"//private//{token}//calendar.ics",
        f"/calendar.ics?next=/private/{token}",
    ]
    before = deployment.access_log.read_text().count("\n")
    for path in served:
        assert get(deployment, path, source=fresh_source()).status == 200, path
    for path in others:
        assert get(deployment, path, source=fresh_source()).status < 500, path
    log = read_when(deployment.access_log, before + len(served) + len(others))
    new = log.splitlines()[before:]
    assert len(new) == len(served) + len(others), new
    assert all("/private/[redacted]" in line for line in new), new
    signature = token.rsplit(".", 1)[1]
    for secret in (token, signature, encoded(token), encoded(signature), token[1:], signature[1:]):
        assert secret not in log
    # the rest of the line is kept
    assert " 200 " in new[0] and '"GET /private/[redacted] HTTP/1.0"' in new[0]


def test_the_error_log_quotes_no_private_request(deployment: Deployment) -> None:
    # nginx writes a line naming the request when it refuses one past a rate limit ...
    assert 429 in burst(deployment, "/calendar.ics?lang=es", FEED_BURST + 5)
    pattern = r'limiting requests.*request: "GET /calendar\.ics\?lang=es'
    assert re.search(pattern, read_until(deployment.error_log, pattern))
    # ... but not for a private link
    token = deployment.token
    assert 429 in burst(deployment, f"/private/{token}/calendar.ics", FEED_BURST + 5)
    assert 429 in burst(deployment, f"/%70rivate/{token}/online.ics", FEED_BURST + 5)
    time.sleep(0.2)
    log = deployment.error_log.read_text(errors="replace")
    assert token.rsplit(".", 1)[1] not in log
    assert "/private/" not in log and "%70rivate" not in log


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", ["/", "/embed", "/no-such-page", "/api/next.json", "/calendar.ics"])
def test_no_host_makes_a_5xx_or_a_link_to_another_host(
    deployment: Deployment, outside_sites: frozenset[str], host: str, path: str
) -> None:
    answer = get(deployment, path, host=host, source=fresh_source())
    assert_no_attacker_origin(answer, host, outside_sites, host)
