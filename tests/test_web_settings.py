"""Settings (:mod:`hmis_schedule.web.settings`) from the environment and ``create_app``'s mapping.

Good settings are used; bad ones stop the app with one clear line, also when
it is started as ``server.py`` or by gunicorn.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from support import FROZEN, ROOT, invalid

import hmis_schedule
from hmis_schedule import web


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(invalid(), encoding="utf-8")
    return path


def test_a_bad_schedule_file_is_one_line_naming_the_file_and_field(bad_file: Path) -> None:
    with pytest.raises(web.ConfigError) as caught:
        web.create_app({"HMIS_SCHEDULE": str(bad_file)})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("HMIS_SCHEDULE: ")
    assert str(bad_file) in message
    assert "timezone:" in message


def test_every_problem_of_a_file_is_on_the_one_line(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text('schema = 1\nid = "x"\n', encoding="utf-8")
    with pytest.raises(web.ConfigError) as caught:
        web.create_app({"HMIS_SCHEDULE": str(path)})
    message = str(caught.value)
    assert "\n" not in message
    assert "name: is required" in message and "timezone: is required" in message


def test_a_missing_schedule_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(web.ConfigError) as caught:
        web.create_app({"HMIS_SCHEDULE": str(missing)})
    message = str(caught.value)
    assert str(missing) in message and "no such file" in message


def _environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")}
    env.update(variables)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_starting_with_a_bad_file_prints_one_line_and_no_traceback(bad_file: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import server"],
        env=_environment(HMIS_SCHEDULE=str(bad_file)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(bad_file) in line and "timezone" in line


def test_gunicorn_stops_at_once_on_a_bad_file(bad_file: Path) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed beside this Python")
    result = subprocess.run(
        [str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "server:app"],
        env=_environment(HMIS_SCHEDULE=str(bad_file)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert lines and str(bad_file) in lines[0] and "timezone" in lines[0]


def test_a_good_schedule_file_from_the_environment_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        hmis_schedule.files.builtin_text().replace('id = "clackamas-hmis"', 'id = "other"'), "utf-8"
    )
    monkeypatch.setenv("HMIS_SCHEDULE", str(path))
    app = web.create_app()
    expected = hmis_schedule.load_schedule(path)
    assert app.extensions["hmis"].value.schedule == expected
    assert app.test_client().get("/healthz").json["version"] == expected.version


def test_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMIS_CACHE_MAX_AGE", "60")
    app = web.create_app({"HMIS_CACHE_MAX_AGE": "30"})
    assert "max-age=30" in app.test_client().get("/api/next.json").headers["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HMIS_CACHE_MAX_AGE", "soon"),
        ("HMIS_CACHE_MAX_AGE", "-5"),
        ("HMIS_CACHE_MAX_AGE", "99999999999"),
        ("HMIS_BASE_URL", "hmis.example.org"),
        ("HMIS_BASE_URL", "https://hmis.example.org/?x=1"),
        ("HMIS_BASE_URL", "javascript:alert(1)"),
        ("HMIS_TRUST_PROXY", "maybe"),
        ("HMIS_EMBED_ORIGINS", "https://a.example.org; script-src *"),
        ("HMIS_EMBED_ORIGINS", "*"),
        ("HMIS_EMBED_ORIGINS", "https://a.example.org/page"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(web.ConfigError) as caught:
        web.create_app()
    assert str(caught.value).startswith(f"{name}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "99999"])
def test_a_bad_reload_interval_is_refused_naming_it(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMIS_RELOAD_INTERVAL", value)
    with pytest.raises(web.ConfigError) as caught:
        web.create_app()
    assert str(caught.value).startswith("HMIS_RELOAD_INTERVAL: ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("https://www.example.org", ("https://www.example.org",)),
        ("https://a.example.org, http://localhost:8080  https://*.example.gov/", (
            "https://a.example.org",
            "http://localhost:8080",
            "https://*.example.gov",
        )),
    ],
)  # fmt: skip
def test_embed_origins_are_read_from_a_list(value: str, expected: tuple[str, ...]) -> None:
    app = web.create_app({"HMIS_EMBED_ORIGINS": value})
    assert app.extensions["hmis_settings"].embed_origins == expected
    csp = app.test_client().get("/embed").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors " + " ".join(("'self'", *expected)))


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_trust_proxy_flag(value: str, expected: bool) -> None:
    assert web.create_app({"HMIS_TRUST_PROXY": value}).extensions["hmis_settings"].trust_proxy is expected


def test_now_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def fake_now(zone: object) -> datetime:
        seen.append(zone)
        return FROZEN

    monkeypatch.setattr(hmis_schedule.clock, "now", fake_now)
    client = web.create_app({"HMIS_BASE_URL": ""}).test_client()
    assert client.get("/api/next.json").json["after"] == FROZEN.isoformat()
    assert seen


def test_the_module_level_app_serves_the_built_in_schedule() -> None:
    import server

    assert server.app.extensions["hmis"].value.schedule == hmis_schedule.clackamas() or os.environ.get(
        "HMIS_SCHEDULE"
    )
