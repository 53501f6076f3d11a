"""Benchmark: the warm ``/calendar.ics`` under gunicorn, against a minimal Flask app and nginx.

Run it (``make bench`` runs it too)::

    .venv/bin/python bench/bench_server.py [--duration 5] [--rounds 3] [--connections 16]

It starts, each on a free 127.0.0.1 port and stopped at the end:

- the feed server: ``gunicorn server:app`` (the built-in Clackamas schedule);
- the framework's ceiling: a minimal Flask app (:func:`minimal_app`) that
  returns the very bytes the feed server returned, under the same gunicorn
  settings (``--workers 2``, sync workers, no access log);
- the machine's limit, where nginx is installed: nginx (2 workers) serving the
  file :func:`hmis_schedule.export.export` writes for the same day and base URL;

then measures requests per second and the 99th-percentile latency of
``GET /calendar.ics`` on each (and of the 304 answer to ``If-None-Match`` on
the feed server) with ``wrk`` (Debian's ``wrk``), or, when wrk is missing,
with a small threaded ``http.client`` load generator. Every load run is
bounded in time (``--duration`` seconds) and only targets 127.0.0.1; the
targets take turns for ``--rounds`` rounds and the table shows the median.

It also prints the weight of ``/`` and ``/embed`` with their assets (the
budgets: 60 KB and 20 KB).

This is a benchmark, not a test: nothing here fails the build. The goal is
the feed at least 0.9x the minimal app; compare ratios, not absolute numbers,
across machines.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"  # what `make serve` passes (gunicorn reads it from ROOT anyway)
GUNICORN_SETTINGS = [
    *(["--config", str(GUNICORN_CONFIG)] if GUNICORN_CONFIG.exists() else []),
    *["--workers", "2", "--worker-class", "sync", "--threads", "1", "--log-level", "warning"],
]
NGINX_WORKERS = 2
PATH = "/calendar.ics"


def minimal_app() -> object:
    """The ceiling: a Flask app whose one route returns the bytes in ``$HMIS_BENCH_BODY``.

    gunicorn builds it with ``'bench_server:minimal_app()'``.
    """
    from flask import Flask, Response

    body = Path(os.environ["HMIS_BENCH_BODY"]).read_bytes()
    app = Flask("minimal")

    @app.get(PATH)
    def calendar() -> Response:
        return Response(body, mimetype="text/calendar")

    return app


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_ready(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode} before it served")
        try:
            if get(port, PATH)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not answer on 127.0.0.1:{port} within 60 s")


@contextmanager
def running(command: list[str], port: int, name: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Start ``command`` (a server on ``port``), wait until it serves, stop it (by its pid) after."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, process, name)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")}
    env.update(extra)
    return env


def gunicorn(port: int, app: str, *extra: str) -> list[str]:
    return [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *GUNICORN_SETTINGS, *extra, app]


def nginx_config(prefix: Path, root: Path, port: int) -> Path:
    temp = prefix / "temp"
    temp.mkdir()
    config = prefix / "nginx.conf"
    config.write_text(
        f"""worker_processes {NGINX_WORKERS};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ text/calendar ics; application/json json; }}
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""
    )
    return config


# -- load -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    """One bounded load run: throughput, 99th-percentile latency, answers that were not the one expected."""

    rps: float
    p99_ms: float
    bad: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_command(port: int, duration: float, connections: int, headers: dict[str, str]) -> list[str]:
    command = ["wrk", "--threads", "1", "--connections", str(connections), "--duration", f"{duration:g}s"]
    command += ["--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return [*command, f"http://127.0.0.1:{port}{PATH}"]


def run_wrk(port: int, duration: float, connections: int, headers: dict[str, str], status: int) -> Load:
    command = wrk_command(port, duration, connections, headers)
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
    bad_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = (int(bad_match.group(1)) if bad_match else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return Load(rps=rps, p99_ms=float(value) * _UNITS[unit], bad=bad)


def run_python(
    port: int, duration: float, connections: int, headers: dict[str, str], status: int, limit: int = 200_000
) -> Load:
    """The fallback: ``connections`` threads, each a request loop, bounded in time and in count."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker() -> None:
        mine: list[float] = []
        wrong = 0
        while time.monotonic() < deadline and len(mine) < limit // connections:
            began = time.perf_counter()
            try:
                got, _, _ = get(port, PATH, headers)
            except OSError:
                got = 0
            mine.append(time.perf_counter() - began)
            wrong += got != status
        with lock:
            latencies.extend(mine)
            bad[0] += wrong

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3
    return Load(rps=len(latencies) / elapsed, p99_ms=p99, bad=bad[0])


# -- page weight ------------------------------------------------------------------------------


def page_weight(port: int, path: str) -> tuple[int, int]:
    """Bytes of the page and its same-origin assets (bodies and headers, uncompressed), and their count."""
    status, headers, body = get(port, path)
    assert status == 200, (path, status)
    total = len(body) + sum(len(k) + len(v) + 4 for k, v in headers.items())
    refs = re.findall(rb'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"', body)
    for ref in refs:
        _, asset_headers, asset = get(port, ref.decode().replace("&amp;", "&"))
        total += len(asset) + sum(len(k) + len(v) + 4 for k, v in asset_headers.items())
    return total, 1 + len(refs)


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each load run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each target takes (median; default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    args = parser.parse_args()
    if not 0 < args.duration <= 60 or not 0 < args.rounds <= 10 or not 0 < args.connections <= 256:
        parser.error("bounded runs only: --duration 0-60 s, --rounds 1-10, --connections 1-256")

    import hmis_schedule
    from hmis_schedule import clock, export

    wrk = shutil.which("wrk")
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    load = run_wrk if wrk else run_python
    schedule = hmis_schedule.clackamas()
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load generator: {'wrk (' + wrk + ')' if wrk else 'threaded http.client (wrk not installed)'}")

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hmis-bench-")))
        feed_port = free_port()
        stack.enter_context(running(gunicorn(feed_port, "server:app"), feed_port, "feed server", clean_env()))
        today = schedule.today(clock.now(schedule.zone))
        status, headers, body = get(feed_port, PATH)
        assert status == 200
        etag = headers["ETag"]
        body_file = work / "calendar.ics"
        body_file.write_bytes(body)

        minimal_port = free_port()
        stack.enter_context(
            running(
                gunicorn(minimal_port, "bench_server:minimal_app()", "--pythonpath", str(ROOT / "bench")),
                minimal_port,
                "minimal Flask app",
                clean_env(HMIS_BENCH_BODY=str(body_file)),
            )
        )
        assert get(minimal_port, PATH)[2] == body, "the minimal app returns the same bytes"

        targets: dict[str, tuple[int, dict[str, str], int]] = {
            "feed server 200": (feed_port, {}, 200),
            "minimal Flask app 200": (minimal_port, {}, 200),
        }
        if nginx:
            site = work / "site"
            export.export(schedule, site, today=today, base_url=f"http://127.0.0.1:{feed_port}")
            exported = (site / "calendar.ics").read_bytes()
            for path in [work, *work.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)  # nginx workers run as nobody
            nginx_port = free_port()
            config = nginx_config(work, site, nginx_port)
            stack.enter_context(
                running([nginx, "-p", str(work), "-c", str(config), "-g", "daemon off;"], nginx_port, "nginx")
            )
            same = (
                "the same bytes"
                if exported == body
                else f"{len(exported)} bytes, not the same as the server's"
            )
            print(f"nginx: {nginx_port}, serving the exported calendar.ics ({same})")
            targets["nginx static file 200"] = (nginx_port, {}, 200)
        else:
            print("nginx: not installed, skipped (apt-get install nginx to compare with it)")
        targets["feed server 304 (If-None-Match)"] = (feed_port, {"If-None-Match": etag}, 304)
        assert get(feed_port, PATH, {"If-None-Match": etag})[0] == 304

        print(f"body: {len(body)} bytes, ETag {etag}; today {today} in {schedule.timezone}")
        print(f"gunicorn settings (both apps): {' '.join(GUNICORN_SETTINGS)}")
        for port, headers_, status_ in targets.values():  # warm up: caches, imports, connections
            load(port, 1.0, args.connections, headers_, status_)
        results: dict[str, list[Load]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (port, headers_, status_) in targets.items():
                results[name].append(load(port, args.duration, args.connections, headers_, status_))

        weights = {path: page_weight(feed_port, path) for path in ("/", "/?lang=es", "/embed")}

    rps = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    p99 = {name: statistics.median(r.p99_ms for r in runs) for name, runs in results.items()}
    ceiling = rps["minimal Flask app 200"]
    print()
    header = f"{'GET /calendar.ics':<34}{'req/s':>10}{'p99 ms':>10}{'vs minimal':>12}{'bad':>6}"
    print(header)
    print("-" * len(header))
    for name, runs in results.items():
        bad = sum(r.bad for r in runs)
        print(f"{name:<34}{rps[name]:>10.0f}{p99[name]:>10.2f}{rps[name] / ceiling:>11.2f}x{bad:>6}")
    print()
    feed_ratio = rps["feed server 200"] / ceiling
    print(
        f"feed / minimal Flask app: {feed_ratio:.2f}x (goal >= 0.9x: {'met' if feed_ratio >= 0.9 else 'NOT met'})"
    )
    if "nginx static file 200" in rps:
        print(f"feed / nginx static file: {rps['feed server 200'] / rps['nginx static file 200']:.2f}x")
    print(
        f"304 / 200 on the feed server: {rps['feed server 304 (If-None-Match)'] / rps['feed server 200']:.2f}x"
    )
    print(
        f"median of {args.rounds} rounds of {args.duration:g} s each, {args.connections} connections; load command:"
    )
    if wrk:
        print("  " + " ".join(wrk_command(0, args.duration, args.connections, {})).replace(":0/", ":PORT/"))
    else:
        print(f"  {args.connections} threads of http.client GET requests (bench/bench_server.py run_python)")
    print()
    for path, (size, count) in weights.items():
        budget = 20 if path.startswith("/embed") else 60
        print(f"page weight {path:<10} {size / 1024:6.1f} KB in {count} responses (budget {budget} KB)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
