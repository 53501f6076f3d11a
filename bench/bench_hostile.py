"""Benchmark: a client polling the cached default feed, alone and while 20 connections ask for distinct windows.

Run it (``make bench`` runs it too)::

    .venv/bin/python bench/bench_hostile.py [--duration 5] [--connections 20] [--years 5]

It starts the feed server, ``gunicorn server:app`` with the checkout's
``gunicorn.conf.py`` (as deployed: threaded workers) and 2 workers on a free
127.0.0.1 port (stopped at the end; ``--gunicorn ...`` passes more options,
such as ``--worker-class sync``), then, in one run:

1. **alone**: one client polls ``GET /calendar.ics`` (the default window, so
   answered from the worker's cache) for ``--duration`` seconds, one request
   after another, each on a new connection;
2. **under load**: the same, while another process keeps ``--connections``
   connections busy asking for explicit windows of ``--years`` years that no
   one asked for before (``/calendar.ics``, ``/calendar/online.ics``,
   ``/calendar/in-person.ics`` and ``/api/sessions.json`` in turn, a new start
   day for each request, from 1990 to 2089, so they share some events with
   earlier requests, as windows from real clients do).

It prints the polling client's median and 99th-percentile latency in both
phases and their ratio (the goal: a median under load at most 2x the median
alone), and what the hostile connections got (how many answers, how many
``503`` with ``Retry-After``). This is a benchmark, not a test: nothing here
fails the build, and it only talks to 127.0.0.1. Compare ratios across
machines, not milliseconds.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import random
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import GUNICORN_CONFIG, ROOT, VENV_BIN, clean_env, free_port, running

HOSTILE_PATHS = ("/calendar.ics", "/calendar/online.ics", "/calendar/in-person.ics", "/api/sessions.json")
FIRST, LAST = date(1990, 1, 1), date(2089, 12, 31)


def one_request(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def poll(port: int, seconds: float) -> list[float]:
    """Latencies (ms) of ``GET /calendar.ics``, one after another, for ``seconds``."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status = one_request(port, "/calendar.ics")
        latencies.append((time.perf_counter() - started) * 1e3)
        if status != 200:
            raise SystemExit(f"the polling client got {status}")
    return latencies


def hostile(port: int, connections: int, years: int, stop: Any, out: Any) -> None:
    """Keep ``connections`` connections asking for windows nobody asked for, until ``stop``; report the statuses."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    days = (LAST - FIRST).days

    def run(seed: int) -> None:
        chooser = random.Random(seed)
        n = 0
        while not stop.is_set():
            start = FIRST + timedelta(days=chooser.randrange(days))
            end = start + timedelta(days=365 * years - 1)  # inclusive, within the 5-year limit
            path = HOSTILE_PATHS[n % len(HOSTILE_PATHS)]
            n += 1
            try:
                status = one_request(port, f"{path}?from={start}&to={end}")
            except OSError:
                status = 0
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=run, args=(seed,), daemon=True) for seed in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    out.put(statuses)


def summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase (default 5)")
    parser.add_argument("--connections", type=int, default=20, help="hostile connections (default 20)")
    parser.add_argument("--years", type=int, default=5, help="length of each hostile window (default 5)")
    parser.add_argument("--gunicorn", nargs=argparse.REMAINDER, default=[], help="more gunicorn options")
    args = parser.parse_args()

    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--config", str(GUNICORN_CONFIG)]
    command += ["--workers", "2", "--log-level", "warning", *args.gunicorn, "server:app"]
    with running(command, port, "gunicorn", env=clean_env()):
        poll(port, 1.0)  # warm both workers
        alone = summary(poll(port, args.duration))
        stop = multiprocessing.Event()
        out: Any = multiprocessing.Queue()
        load = multiprocessing.Process(target=hostile, args=(port, args.connections, args.years, stop, out))
        load.start()
        time.sleep(0.5)  # let the load start
        busy = summary(poll(port, args.duration))
        stop.set()
        statuses = out.get(timeout=180)
        load.join(timeout=60)

    print(f"gunicorn --config gunicorn.conf.py {' '.join(command[command.index('--workers'):-1])} ({ROOT.name})")
    print(f"{'polling GET /calendar.ics':<34}{'median':>10}{'p99':>10}")
    print(f"{'alone':<34}{alone[0]:>8.2f}ms{alone[1]:>8.2f}ms")
    print(f"{f'with {args.connections} hostile connections':<34}{busy[0]:>8.2f}ms{busy[1]:>8.2f}ms")
    print(f"ratio (under load / alone): median {busy[0] / alone[0]:.2f}x, p99 {busy[1] / alone[1]:.2f}x (goal: median <= 2x)")
    answered = sum(statuses.values())
    counts = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(statuses.items()))
    print(f"hostile requests: {answered} in about {args.duration + 0.5:g} s ({counts})")


if __name__ == "__main__":
    main()
