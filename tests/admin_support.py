"""What the admin pages' tests share: a deployment with accounts, a clock they move, signing in by form.

Not a test module: ``test_web_admin*.py``, ``test_browser_admin.py`` and
``test_admin_concurrency.py`` import it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from support import BASE, FROZEN, JOIN, KEY, BufferedClient

from hmis_schedule import accounts, web
from hmis_schedule.files import builtin_text
from hmis_schedule.state import add_admin

PASSWORD = "correct horse battery staple"
"""Every test account's password."""
OTHER_PASSWORD = "another long pass phrase"
"""The second account's password."""

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id with small parameters: the web tests sign in hundreds of times on a shared 2-core machine.
``tests/test_accounts.py`` checks the real parameters."""


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make and check hashes with :data:`CHEAP` (still argon2id) in the test using it."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class MovingClock:
    """The app's ``NOW``: an aware instant the test moves (no sleeping)."""

    def __init__(self, moment: datetime = FROZEN) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def tick(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class Site:
    """A schedule file in ``folder`` with the accounts ``alice`` and ``bob``, and an app serving it.

    ``config`` adds or replaces settings (``HMIS_BASE_URL`` is :data:`support.BASE` unless given).
    """

    def __init__(self, folder: Path, *, accounts: bool = True, **config: Any) -> None:
        self.schedule = folder / "schedule.toml"
        self.schedule.write_text(builtin_text(), encoding="utf-8")
        self.state = folder / "schedule.state.toml"
        self.clock = MovingClock()
        if accounts:
            add_admin(self.state, "alice", PASSWORD, now=FROZEN.astimezone(UTC))
            add_admin(self.state, "bob", OTHER_PASSWORD, now=FROZEN.astimezone(UTC))
        settings: dict[str, Any] = {
            "NOW": self.clock,
            "HMIS_BASE_URL": BASE,
            "HMIS_SCHEDULE": str(self.schedule),
            "HMIS_SECRET_KEY": KEY,
            "HMIS_TEAMS_URL": JOIN,
            "HMIS_SECRETS_FILE": "",
            "HMIS_STATE_FILE": "",
            "HMIS_RELOAD_INTERVAL": 0,
            "HMIS_RELOAD_SETTLE": 0,
        }
        settings.update(config)
        self.app: Flask = web.create_app(settings)
        self.app.test_client_class = BufferedClient

    def client(self, address: str = "192.0.2.10") -> FlaskClient:
        """A browser at ``address`` (the client address the app sees)."""
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    def files(self) -> tuple[bytes, bytes]:
        """The schedule file's and the state file's bytes (to show that nothing changed)."""
        return self.schedule.read_bytes(), self.state.read_bytes() if self.state.exists() else b""

    def signed_in(self, name: str = "alice", password: str = PASSWORD, address: str = "192.0.2.10") -> FlaskClient:
        """A browser signed in as ``name``."""
        client = self.client(address)
        response = sign_in(client, name, password)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client


def token(client: FlaskClient, path: str = "/admin/sign-in") -> str:
    """The CSRF token of the form on ``path``."""
    response = client.get(path)
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({response.status_code})"
    return found.group(1)


def sign_in(client: FlaskClient, name: str, password: str) -> Any:
    """Sign in by the form, as a browser does (GET the form, POST it with its token)."""
    return client.post(
        "/admin/sign-in", data={"name": name, "password": password, "csrf_token": token(client)}
    )


_FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')


def post(client: FlaskClient, path: str, data: dict[str, str], *, form: str | None = None) -> Any:
    """POST ``data`` to ``path`` with the CSRF token (and the form id, if any) of the page ``form`` (default: ``path``)."""
    page = client.get(form or path).get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, f"no CSRF token on {form or path}"
    form_id = _FORM_ID.search(page)
    extra = {"form_id": form_id.group(1)} if form_id and "form_id" not in data else {}
    return client.post(path, data={**extra, **data, "csrf_token": found.group(1)})


def without_tokens(body: bytes) -> bytes:
    """A page with its CSRF tokens blanked (they differ on every page)."""
    return re.sub(rb'name="csrf_token" value="[^"]+"', b'name="csrf_token" value=""', body)
