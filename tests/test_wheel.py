"""The package as people install it: built, installed into a new virtualenv, and served from an empty folder.

``python -m build`` makes the sdist from a copy of the checkout and the wheel
from that sdist, without a warning. The wheel holds the package data the app
reads at run time (templates, static files, message catalogs, the built-in
schedule, ``py.typed``) and the licence; the sdist holds the licence and, on
purpose, no tests (see MANIFEST.in). The wheel goes into a new virtualenv
outside the checkout; from an empty folder, with no ``HMIS_*`` setting and no
path to the checkout, ``hmis-schedule serve`` serves an example county's
schedule, and the venv's gunicorn with the package's settings serves a private
link without writing its token to the access log.

Slow (it builds, and downloads the dependencies from the package index): it
runs in CI (``CI`` set) and is skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import Server, free_port, get

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "another-county.toml"
UID_DOMAIN = "hmis-training.juniper-county.example.org"
KEY = "wheel-test-secret-key-0123456789-abcdefghij"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_WHEELTEST%40thread.v2/0"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CI"),
        reason="builds the wheel and installs it with its dependencies into a new virtualenv "
        "(some 20 s, longer while pip downloads the dependencies): runs in CI; set CI=true to run it here",
    ),
]

WHEEL_DATA = [
    "hmis_schedule/py.typed",
    "hmis_schedule/data/clackamas.toml",
    "hmis_schedule/locale/es/LC_MESSAGES/cli.po",
    "hmis_schedule/locale/es/LC_MESSAGES/feed.po",
    "hmis_schedule/web/static/copy.js",
    "hmis_schedule/web/static/favicon.svg",
    "hmis_schedule/web/static/print.css",
    "hmis_schedule/web/static/site.css",
    "hmis_schedule/web/translations/es/LC_MESSAGES/web.po",
]
"""Files the installed package reads at run time, besides the templates (each one is checked below)."""

NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "test-output", "*.mo",
)  # fmt: skip
"""What a clean clone does not have: the build runs on a copy without it, and writes nothing into the checkout."""


def run(argv: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    """Run a command to the end (bounded); fail with its output if it fails; return stdout and stderr."""
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, timeout=timeout, check=False,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}"
    return done.stdout


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    wheel: Path
    sdist: Path
    log: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sdist and wheel ``python -m build`` makes (in an isolated env) from a copy of the checkout."""
    folder = tmp_path_factory.mktemp("build")
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    # PYTHONDONTWRITEBYTECODE makes setuptools say "warning: byte-compiling is disabled": a fact
    # about this environment, not about the project, so the build runs without it.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    log = run(
        [sys.executable, "-m", "build", "--outdir", folder / "dist", source], cwd=folder, env=env, timeout=600
    )
    [wheel] = (folder / "dist").glob("*.whl")
    [sdist] = (folder / "dist").glob("*.tar.gz")
    return Built(wheel=wheel, sdist=sdist, log=log)


def test_build_makes_the_sdist_and_the_wheel_from_it_without_a_warning(built: Built) -> None:
    warnings = [line for line in built.log.splitlines() if re.search("warn", line, re.IGNORECASE)]
    assert warnings == [], "\n".join(warnings)
    assert f"Successfully built {built.sdist.name} and {built.wheel.name}" in built.log


def test_wheel_holds_the_package_data_and_the_licence(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = wheel.read(metadata).decode()
    missing = [name for name in WHEEL_DATA if name not in names]
    assert missing == []
    templates = {n for n in names if re.fullmatch(r"hmis_schedule/web/templates/[^/]+\.html", n)}
    on_disk = {
        f"hmis_schedule/web/templates/{p.name}" for p in (ROOT / "hmis_schedule/web/templates").glob("*.html")
    }
    assert templates == on_disk and "hmis_schedule/web/templates/index.html" in templates
    assert f"{metadata.removesuffix('METADATA')}licenses/LICENSE" in names
    assert "License-Expression: MIT" in headers and "License-File: LICENSE" in headers
    assert not [n for n in names if n.startswith(("tests/", "examples/", "bench/")) or n.endswith(".mo")]


def test_sdist_holds_the_licence_and_leaves_the_tests_out(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "MANIFEST.in",
        "deploy/nginx.conf",
        "hmis_schedule/web/templates/index.html",
    } <= names
    assert not [n for n in names if n.split("/")[0] in ("tests", "bench", "examples", ".ci")]


# -- the installed wheel ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    bin: Path
    folder: Path
    """An empty folder outside the checkout (but for the schedule copied into it): the servers' cwd."""
    schedule: Path
    env: dict[str, str]
    """No HMIS_* setting, no PYTHONPATH, no checkout on PATH; the venv's gunicorn without its control socket."""
    control_socket_option: list[str]


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed with its dependencies (from the package index) into a new virtualenv."""
    venv = tmp_path_factory.mktemp("venv")
    folder = tmp_path_factory.mktemp("empty")
    assert ROOT not in venv.parents and ROOT not in folder.parents
    scrubbed = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HMIS_", "PYTHON", "VIRTUAL_ENV", "GUNICORN_"))
    }
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT))]
    env = scrubbed | {"PATH": os.pathsep.join([str(venv / "bin"), *path])}
    run([sys.executable, "-m", "venv", venv], cwd=folder, env=env, timeout=120)
    run(
        [venv / "bin/python", "-m", "pip", "install", "--quiet", built.wheel],
        cwd=folder,
        env=env,
        timeout=600,
    )
    where = run([venv / "bin/python", "-c", "import hmis_schedule, gunicorn; print(hmis_schedule.__file__); "
                 "print(gunicorn.version_info >= (25, 1))"], cwd=folder, env=env, timeout=60)  # fmt: skip
    module, new_gunicorn = where.split()
    assert Path(module).is_relative_to(venv), f"hmis_schedule imported from {module}, not from the venv"
    # gunicorn >= 25.1 opens a control socket, one per user: a test must not share it.
    option = ["--no-control-socket"] if new_gunicorn == "True" else []
    schedule = folder / "another-county.toml"
    shutil.copyfile(EXAMPLE, schedule)
    assert sorted(p.name for p in folder.iterdir()) == ["another-county.toml"]
    return Installed(
        bin=venv / "bin", folder=folder, schedule=schedule, env=env, control_socket_option=option
    )


def get_text(port: int, path: str) -> tuple[int, str]:
    status, body = get(port, path)
    return status, body.decode()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """The servers a test starts, every one stopped at the end whatever happens."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def test_installed_command_serves_a_schedule_file_from_an_empty_folder(
    installed: Installed, servers: list[Server], tmp_path: Path
) -> None:
    port = free_port()
    env = installed.env | {"HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN}
    if installed.control_socket_option:  # `serve` runs gunicorn itself: give it the option this way
        env["GUNICORN_CMD_ARGS"] = " ".join(installed.control_socket_option)
    argv: list[str | Path] = [
        installed.bin / "hmis-schedule", "serve", "--file", installed.schedule,
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    server = Server(tmp_path, argv=argv, port=port, cwd=installed.folder, env=env)
    servers.append(server)
    server.wait_until_up()

    status, body = get_text(port, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok", body
    status, body = get_text(port, "/api/next.json")
    assert status == 200, body
    answer = json.loads(body)
    assert answer["schedule"] == "juniper-hmis" and answer["timezone"] == "America/Denver"
    assert answer["name"] == "Juniper County HMIS new user training"
    assert answer["session"]["uid"].endswith(f"@{UID_DOMAIN}")
    next_start = f'datetime="{answer["session"]["start"]}"'
    status, page = get_text(port, "/")
    assert status == 200 and "Juniper County" in page and "Clackamas" not in page
    assert next_start in page and answer["session"]["uid"] in page
    assert "/static/site.css" in page
    status, embed = get_text(port, "/embed")
    assert status == 200 and next_start in embed and "Clackamas" not in embed
    status, feed = get_text(port, "/calendar.ics")
    lines = feed.replace("\r\n ", "").splitlines()  # unfolded
    assert status == 200 and lines[0] == "BEGIN:VCALENDAR"
    uids = [line.removeprefix("UID:") for line in lines if line.startswith("UID:")]
    assert f"UID:{answer['session']['uid']}" in lines
    assert uids and all(uid.endswith(f"@{UID_DOMAIN}") for uid in uids)
    assert lines.count("BEGIN:VEVENT") > 1
    status, css = get_text(port, "/static/site.css")
    assert status == 200 and css.strip()
    # the server writes only the schedule's state file (what it published, issue 12) and that file's lock
    written = sorted(p.name for p in installed.folder.iterdir())
    assert written == ["another-county.state.toml", "another-county.state.toml.lock", "another-county.toml"], written


def test_installed_gunicorn_serves_a_private_link_and_keeps_its_token_out_of_the_access_log(
    installed: Installed, servers: list[Server], tmp_path: Path
) -> None:
    port = free_port()
    env = installed.env | {
        "HMIS_SCHEDULE": str(installed.schedule), "HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN,
    }  # fmt: skip
    access_log = tmp_path / "access.log"  # the Server's access_log
    argv: list[str | Path] = [
        installed.bin / "gunicorn", "--config", "python:hmis_schedule.web.gunicorn_config",
        "--access-logfile", access_log, "--bind", f"127.0.0.1:{port}", "--workers", "1",
        *installed.control_socket_option, "hmis_schedule.web:app_from_environment()",
    ]  # fmt: skip
    server = Server(tmp_path, argv=argv, port=port, cwd=installed.folder, env=env)
    servers.append(server)
    server.wait_until_up()

    made = subprocess.run(
        [str(installed.bin / "hmis-schedule"), "private-link", "--label", "wheel test",
         "--base-url", f"http://127.0.0.1:{port}"],
        cwd=installed.folder, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    path = made.stdout.strip().removeprefix(f"http://127.0.0.1:{port}")
    assert path.startswith("/private/"), made.stdout
    token = path.split("/")[2]
    status, feed = get_text(port, path)
    assert status == 200 and "BEGIN:VEVENT" in feed and UID_DOMAIN in feed

    server.stop()  # the access log is complete once gunicorn has stopped
    log = access_log.read_text(errors="replace")
    output = server.output.read_text(errors="replace")
    assert token not in log and token not in output
    assert "/private/[redacted]" in log and "/healthz" in log
