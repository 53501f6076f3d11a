"""No private-link token in any log: whatever the path's percent-encoding, on every logger the app and gunicorn use.

A token is a private link's password. These tests send it in every spelling
a server still routes (or merely logs): any character of ``/private/`` or of
the token percent-encoded once or twice, ``PRIVATE`` in capitals, doubled
slashes, a trailing ``;``, a query string; then look for the token, and for
the exact encoded form sent, in the redacted line, in Flask's and the app's
log records, and in a real gunicorn's access and error logs.
"""

from __future__ import annotations

import ast
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from support import BASE, FROZEN, WEB_CONFIG, Server, raw_get, server_env, status

from hmis_schedule import feed, private, web
from hmis_schedule.redact import RedactFilter, redact
from hmis_schedule.web.factory import APP_LOGGERS

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-only-secret-key-0123456789-abcdefghij"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_REDACTION%40thread.v2/0"
TOKEN = private.issue_token(KEY, "Agency X - Alice", days=30, now=FROZEN - timedelta(days=1))


def make_app() -> Flask:
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_SCHEDULE": "", "HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN,
         "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "", "HMIS_BASE_URL": BASE}
    )  # fmt: skip


def spell(rng: random.Random, text: str, encode_some: bool = True) -> str:
    """``text`` with random characters percent-encoded once or twice, in random hex case."""
    out = []
    for char in text:
        level = rng.choice([0, 0, 1, 2]) if encode_some else 0
        piece = char
        if level >= 1:
            piece = f"%{ord(char):02X}"
        if level == 2:
            piece = "%25" + piece[1:]
        out.append(piece.lower() if rng.random() < 0.5 else piece)
    return "".join(out)


def leaked(text: str, *sent: str, token: str = TOKEN) -> bool:
    """Whether ``text`` holds ``token``, decoded or in one of the spellings ``sent``."""
    decoded = unquote(unquote(text))
    parts = token.split(".")
    return (
        token in decoded
        or parts[0] in decoded
        or parts[-1] in decoded
        or any(s and s in text for s in sent)
    )


@st.composite
def private_targets(draw: st.DrawFn) -> tuple[str, str]:
    """A request target for a private feed in a random spelling, and the spelling of its token."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    word = "".join(c.upper() if draw(st.booleans()) and draw(st.booleans()) else c for c in "private")
    slashes = "/" * draw(st.integers(1, 3))
    sep = draw(st.sampled_from(["/", "%2F", "%2f", "%252F", "//"]))
    token = spell(rng, TOKEN, draw(st.booleans()))
    name = draw(st.sampled_from(["calendar.ics", "online.ics", "x"]))
    tail = draw(st.sampled_from(["", ";", ";x=1", "?lang=es", "?a=/private/b&c", "#frag"]))
    after = draw(st.sampled_from(["/", "%2F", "/;/"]))
    return f"{slashes}{spell(rng, word)}{sep}{token}{after}{name}{tail}", token


@given(target=private_targets(), where=st.sampled_from([
    '127.0.0.1 - - [03/Dec/2026:10:00:00 -0800] "GET {} HTTP/1.1" 200 1234 "-" "Outlook"',
    "Error handling request {}", "GET {} failed: RuntimeError: boom (at feed.py:1)", "{}", "url={}&next=1",
    "'{}'", '{{"path": "{}"}}', "https://hmis.example.org{}",
]))  # fmt: skip
def test_redact_leaves_no_token_in_any_spelling(target: tuple[str, str], where: str) -> None:
    path, token = target
    line = where.format(path)
    clean = redact(line)
    assert not leaked(clean, token), (line, clean)
    assert "[redacted]" in clean


@pytest.mark.parametrize(
    "line",
    [f"bad signature for {TOKEN}", f"token={TOKEN}&x", f"'{TOKEN}'", f"(.{TOKEN[1:]})",
     "".join(f"%{ord(c):02x}" for c in TOKEN), f"/a/{TOKEN}/calendar.ics"],
)  # fmt: skip
def test_redact_takes_out_a_token_shaped_string_anywhere(line: str) -> None:
    assert not leaked(redact(line), line.strip("'().=&x"))


@pytest.mark.parametrize(
    "line",
    ["GET /calendar.ics?lang=es HTTP/1.1", "hmis_schedule.web.factory started", "version 1a2b3c4d5e6f.json",
     "GET /api/sessions.json?start=2026-01-01&end=2026-02-01", "sha256 4f2a.beef.cafe"],
)  # fmt: skip
def test_redact_leaves_ordinary_lines_alone(line: str) -> None:
    assert redact(line) == line


# -- the app's loggers ------------------------------------------------------------------------------


def test_a_percent_encoded_private_path_is_served_so_it_must_be_redacted() -> None:
    client = make_app().test_client()
    for target in (f"/%70rivate/{TOKEN}/calendar.ics", f"/pr%69vate/{TOKEN}/online.ics",
                   "/private/" + "".join(f"%{ord(c):02X}" for c in TOKEN) + "/calendar.ics"):  # fmt: skip
        answer = client.get(target)
        assert answer.status_code == 200, target
        assert b"REDACTION" in answer.data  # the join link: this is the private feed
        assert not leaked(redact(f'"GET {target} HTTP/1.1" 200'), target.split("/")[2])


def _logger_names() -> set[str]:
    """The names of the loggers the package's modules get: literal names and ``__name__``."""
    names = set()
    for path in (ROOT / "hmis_schedule").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "getLogger" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and str(arg.value).startswith("hmis_schedule"):
                    names.add(str(arg.value))
                elif isinstance(arg, ast.Name) and arg.id == "__name__":
                    names.add(module)
    return names - {"hmis_schedule.redact.example"}  # a doctest's


def test_every_logger_the_app_writes_to_is_guarded() -> None:
    app = make_app()
    names = _logger_names()
    assert names <= set(APP_LOGGERS), names - set(APP_LOGGERS)
    for logger in (app.logger, logging.getLogger("werkzeug"), *(logging.getLogger(n) for n in APP_LOGGERS)):
        assert any(isinstance(f, RedactFilter) for f in logger.filters), logger.name


@pytest.mark.parametrize(
    "target",
    [f"/private/{TOKEN}/calendar.ics", f"/%70rivate/{TOKEN}/online.ics?x=1",
     "/private/" + "".join(f"%{ord(c):02x}" for c in TOKEN) + "/calendar.ics"],
)  # fmt: skip
def test_an_error_on_a_private_route_is_logged_without_the_token_in_one_line(
    target: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError(f"cannot render /private/{TOKEN}/calendar.ics")

    monkeypatch.setattr(feed, "render_feed", broken)
    client = make_app().test_client()
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert client.get(target).status_code == 500
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert not leaked(text, target.split("/")[2]), text
    assert "/private/[redacted]" in text and "Exception on" not in text
    assert len([r for r in caplog.records if "cannot render" in r.getMessage()]) == 3


def test_flasks_own_logger_never_writes_the_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hmis_schedule.web import errors

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("handler broke")

    monkeypatch.setattr(errors, "_error", broken)  # every error handler fails: Flask's last resort logs
    app = make_app()
    with caplog.at_level(logging.DEBUG), pytest.raises(RuntimeError):
        app.test_client().get(f"/%70rivate/{TOKEN}/nothing.ics")
    assert caplog.records and not leaked(caplog.text)
    assert "Exception on" not in caplog.text


# -- gunicorn -----------------------------------------------------------------------------------------


def test_gunicorn_logs_no_token_in_any_spelling_nor_a_traceback_per_failure(tmp_path: Path) -> None:
    token = private.issue_token(KEY, "Agency X - Alice", days=30, now=datetime.now(UTC))  # gunicorn's clock is real
    rng = random.Random(11)
    encoded = "".join(f"%{ord(c):02X}" for c in token)
    spelled = [spell(rng, token) for _ in range(10)]
    targets = {  # target: the token as spelled in it
        f"/%70rivate/{token}/calendar.ics": token, f"//private/{token}/calendar.ics": token,
        f"/private/{token};/calendar.ics": token, f"/private/{token}/calendar.ics?lang=es": token,
        f"/PRIVATE%2F{token}%2Fonline.ics": token, f"/private//{token}/x": token,
        f"/%2570rivate/{token}/calendar.ics": token, f"/private/{token}/online.ics?lang=es&x=/private/y": token,
        f"/private/{encoded}/calendar.ics": encoded,
        **{f"/{spell(rng, 'private')}/{s}/calendar.ics": s for s in spelled},
    }  # fmt: skip
    env = server_env(HMIS_SECRET_KEY=KEY, HMIS_TEAMS_URL=JOIN, PYTHONPATH=str(ROOT / "tests"))
    with Server(tmp_path, app="broken_feed_app:app", config=WEB_CONFIG, workers=1, env=env) as server:
        answers = {target: status(raw_get(server.port, target)) for target in targets}
        assert answers[f"/%70rivate/{token}/calendar.ics"] == 200  # served, so logged by gunicorn
        assert answers[f"/private/{encoded}/calendar.ics"] == 200
        assert answers[f"/private/{token}/calendar.ics?lang=es"] == 500  # failed, so logged by the app
    logs = server.logs()
    assert "[redacted]" in logs and "the Spanish feed broke" in logs
    for target, spelling in targets.items():
        assert not leaked(logs, spelling, token=token), target
    assert logs.count("Traceback") <= 1, logs[-4000:]
