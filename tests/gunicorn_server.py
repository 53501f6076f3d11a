"""A real gunicorn on 127.0.0.1 for tests that need one: the package's settings, logs in files, raw requests.

Flask's test client normalises some headers (and never goes through
gunicorn's parser or logger); these tests speak HTTP over a socket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gunicorn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as it is and read the whole answer (the request should ask to close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status(answer: bytes) -> int:
    """The status code of a raw answer (0 if there is none)."""
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def get(port: int, target: str, *headers: str, host: str | None = "127.0.0.1") -> bytes:
    """A raw HTTP/1.1 GET of ``target`` (sent as is) with ``headers`` (``Name: value``)."""
    lines = [f"GET {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [*headers, "Connection: close", "", ""]
    return raw(port, "\r\n".join(lines).encode("latin-1"))


class Gunicorn:
    """gunicorn serving ``app`` (``module:callable``) with the package's settings; logs in ``folder``."""

    def __init__(self, folder: Path, app: str = "server:app", **env: str) -> None:
        self.port = free_port()
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.stderr_file = folder / "stderr.txt"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | env
        environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
        argv = [
            sys.executable, "-m", "gunicorn", "--config", "python:hmis_schedule.web.gunicorn_config",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--chdir", str(ROOT),
            "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
        ]  # fmt: skip
        if gunicorn.version_info >= (25, 1):  # its control socket is one per user: don't share it
            argv.append("--no-control-socket")
        self._stderr = self.stderr_file.open("wb")
        self.process = subprocess.Popen(
            [*argv, app], env=environment, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=self._stderr,
        )  # fmt: skip

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.error_log.read_text(errors="replace") + self.stderr_file.read_text())
            try:
                if status(get(self.port, "/healthz")) == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not answer within 60 seconds")

    def stop(self) -> None:
        self._stderr.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def logs(self) -> str:
        """Everything gunicorn and the app wrote: access log, error log, stderr."""
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""
            for p in (self.access_log, self.error_log, self.stderr_file)
        )


@contextmanager
def serving(folder: Path, app: str = "server:app", **env: str) -> Iterator[Gunicorn]:
    """A running :class:`Gunicorn`, stopped afterwards."""
    server = Gunicorn(folder, app, **env)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()
