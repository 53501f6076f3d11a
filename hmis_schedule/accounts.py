"""Administrator accounts: names, argon2id password hashes and signed-in sessions, as values.

The admin pages (``/admin``) are open only to administrators, whose accounts
live in the schedule's state file (:mod:`hmis_schedule.state`), never in the
schedule file, which is public. The state file's ``[admins]`` table holds, per
name, the password's hash, when the account was added and the sessions
signed in now:

.. code-block:: toml

    [admins.alice]
    hash = "$argon2id$v=19$m=65536,t=3,p=4$..."
    added = 2026-12-01T17:30:00Z
    sessions = [{ id = "3f2a...", started = 2026-12-01T17:31:02Z }]

- **Names** are 1 to 64 letters, digits and ``. _ - @`` (an email address
  fits); they are compared without regard to case.
- **Passwords** are 12 to 1024 characters, hashed with argon2id by
  ``argon2-cffi`` (its defaults, RFC 9106's second recommendation: 64 MiB,
  3 passes, 4 lanes; each hash has its own random salt). No password is ever
  stored or shown; a hash is never shown either (an :class:`Account`'s
  ``repr`` hides it). :func:`verify_password` checks a password against an
  account's hash, or against a dummy hash when there is no such account, so
  an unknown name costs the same time as a wrong password.
- **Sessions**: a browser that signs in gets a random session id in its
  (signed) cookie; the state file keeps only its SHA-256 digest
  (:func:`session_digest`) and when it started. Signing out removes it, so a
  copy of the cookie stops working; a session older than
  :data:`SESSION_LIFETIME` is refused whatever its cookie says, and at most
  :data:`MAX_SESSIONS` per account are kept (the oldest go first).

This module only reads and checks values; writing them is
:mod:`hmis_schedule.state`'s (``add_admin``, ``start_admin_session``, ...).

>>> check_name(" alice@agency.example.org ")
'alice@agency.example.org'
>>> account = Account(name="alice", hash=hash_password("correct horse battery"),
...                   added=datetime(2026, 12, 1, tzinfo=UTC))
>>> verify_password(account, "correct horse battery"), verify_password(account, "wrong password!")
(True, False)
>>> verify_password(None, "correct horse battery")  # no such account: same work, same answer as wrong
False
>>> "argon2" in repr(account)
False
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import Problem, ScheduleError
from .values import aware_datetime

__all__ = [
    "HASHER",
    "MAX_NAME",
    "MAX_PASSWORD",
    "MAX_SESSIONS",
    "MIN_PASSWORD",
    "SESSION_LIFETIME",
    "Account",
    "AdminRefused",
    "Admins",
    "SignedIn",
    "admins_from_table",
    "check_name",
    "check_password",
    "hash_password",
    "kept_sessions",
    "needs_rehash",
    "new_session_id",
    "session_digest",
    "verify_password",
]

MAX_NAME = 64
"""The longest administrator name, in characters."""
MIN_PASSWORD = 12
"""The shortest password accepted, in characters."""
MAX_PASSWORD = 1024
"""The longest password accepted, in characters (longer input is refused before any hashing)."""
SESSION_LIFETIME = timedelta(hours=12)
"""How long a signed-in session can last at most, however active (the idle timeout is shorter)."""
MAX_SESSIONS = 10
"""Signed-in sessions kept per account; signing in once more ends the oldest."""

_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
HASHER = PasswordHasher()
"""The argon2id hasher every hash is made and checked with (RFC 9106's low-memory profile); tests may use cheaper."""


def check_name(value: object, field: str = "name") -> str:
    """An administrator's name, stripped: 1 to 64 letters, digits and ``. _ - @``.

    Raises
    ------
    ScheduleError
        Naming ``field`` and what is accepted (the value is not repeated when it is long).

    >>> check_name("bob.smith_2")
    'bob.smith_2'
    >>> check_name("bob smith")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: name: expected 1 to 64 letters, digits and . _ - @ (such as alice or alice@agency.example.org), got 'bob smith'
    """
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _NAME.fullmatch(text):
        shown = f", got {text!r}" if text is not None and len(text) <= MAX_NAME + 16 else ""
        raise ScheduleError(
            f"expected 1 to {MAX_NAME} letters, digits and . _ - @ (such as alice or alice@agency.example.org)"
            + shown,
            field=field,
        )
    return text


def check_password(value: object, field: str = "password") -> str:
    """A new password: :data:`MIN_PASSWORD` to :data:`MAX_PASSWORD` characters. The message never shows it.

    >>> check_password("short")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: password: too short (5 characters; at least 12): a few words make a good one
    """
    if not isinstance(value, str):
        raise ScheduleError("expected text", field=field)
    if len(value) < MIN_PASSWORD:
        raise ScheduleError(
            f"too short ({len(value)} characters; at least {MIN_PASSWORD}): a few words make a good one",
            field=field,
        )
    if len(value) > MAX_PASSWORD:
        raise ScheduleError(f"too long (at most {MAX_PASSWORD} characters)", field=field)
    return value


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (checked by :func:`check_password`), with a new random salt.

    >>> hash_password("correct horse battery").startswith("$argon2id$")
    True
    """
    return HASHER.hash(check_password(password))


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password made by ``hasher``, checked when a name has no account: the same work."""
    return hasher.hash(secrets.token_urlsafe(24))


def verify_password(account: Account | None, password: object) -> bool:
    """Whether ``password`` is ``account``'s; with no account, the same work is done and the answer is ``False``.

    Input longer than :data:`MAX_PASSWORD` (or not text) is refused before any hashing.
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    stored = account.hash if account is not None else _dummy_hash(HASHER)
    try:
        return HASHER.verify(stored, password) and account is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(account: Account) -> bool:
    """Whether ``account``'s hash was made with weaker parameters than this version uses."""
    return HASHER.check_needs_rehash(account.hash)


def new_session_id() -> str:
    """A new random session id (256 bits, URL-safe text) for a browser that signed in."""
    return secrets.token_urlsafe(32)


def session_digest(session_id: str) -> str:
    """What the state file keeps of a session id: its SHA-256, in hex (the id itself is only in the cookie).

    >>> len(session_digest("abc"))
    64
    """
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class AdminRefused(ScheduleError):
    """An account change that was not made: the name is taken, or there is no such account. The file is untouched."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIn:
    """One signed-in session of an account: the digest of its id and when it started (aware)."""

    id: str
    started: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _DIGEST.fullmatch(self.id):
            raise ScheduleError("expected the 64 hex digits of a SHA-256", field="id")
        aware_datetime(self.started, "started", text=False)

    def live(self, now: datetime) -> bool:
        """Whether the session is within :data:`SESSION_LIFETIME` of its start at ``now``."""
        return self.started <= now < self.started + SESSION_LIFETIME


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """An administrator: name, argon2id hash, when added, and the sessions signed in. The ``repr`` hides the hash."""

    name: str
    hash: str = field(repr=False)
    added: datetime
    sessions: tuple[SignedIn, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.name)
        if not isinstance(self.hash, str) or not self.hash.startswith("$argon2"):
            raise ScheduleError("expected an argon2 hash made by hmis-schedule admin add", field="hash")
        aware_datetime(self.added, "added", text=False)

    def signed_in(self, session_id: str, now: datetime) -> bool:
        """Whether ``session_id`` is one of this account's sessions and still within its lifetime at ``now``."""
        digest = session_digest(session_id)
        return any(s.id == digest and s.live(now) for s in self.sessions)


@dataclass(frozen=True, slots=True)
class Admins:
    """The accounts of the state file, in file order; names are unique without regard to case.

    >>> Admins().find("alice") is None, len(Admins())
    (True, 0)
    """

    accounts: tuple[Account, ...] = ()

    def find(self, name: object) -> Account | None:
        """The account named ``name`` (case ignored), or ``None``; never raises, whatever ``name`` is."""
        if not isinstance(name, str):
            return None
        wanted = name.strip().casefold()
        return next((a for a in self.accounts if a.name.casefold() == wanted), None)

    def named(self, name: str) -> Account:
        """The account named ``name`` (case ignored).

        Raises
        ------
        AdminRefused
            If there is none; the message lists the accounts there are.

        >>> Admins().named("bob")
        Traceback (most recent call last):
        ...
        hmis_schedule.accounts.AdminRefused: name: there is no account named 'bob' (accounts: none yet: add one with `hmis-schedule admin add NAME`)
        """
        found = self.find(name)
        if found is None:
            known = ", ".join(a.name for a in self.accounts) or "none yet: add one with `hmis-schedule admin add NAME`"
            raise AdminRefused(f"there is no account named {name!r} (accounts: {known})", field="name")
        return found

    def __iter__(self) -> Iterator[Account]:
        return iter(self.accounts)

    def __len__(self) -> int:
        return len(self.accounts)


def admins_from_table(table: Any, problems: list[Problem]) -> Admins:
    """The state file's ``[admins]`` table read; every problem (with its field path) added to ``problems``.

    >>> found: list[Problem] = []
    >>> admins_from_table({"bob": {"hash": "x"}}, found).accounts, [str(p) for p in found]
    ((), ['admins.bob: expected a table with hash, added and sessions'])
    """
    if not isinstance(table, dict):
        problems.append(Problem("admins", "expected a table of accounts by name"))
        return Admins()
    accounts: list[Account] = []
    seen: set[str] = set()
    for name, entry in table.items():
        where = f"admins.{name}" if _NAME.fullmatch(name) else "admins"
        if not isinstance(entry, dict) or not {"hash", "added"} <= set(entry) <= {"hash", "added", "sessions"}:
            problems.append(Problem(where, "expected a table with hash, added and sessions"))
            continue
        try:
            sessions = _sessions(entry.get("sessions", []), where)
            account = Account(name=name, hash=entry["hash"], added=entry["added"], sessions=sessions)
        except ScheduleError as err:
            problems.extend(Problem(f"{where}.{p.field}" if p.field else where, p.message) for p in err.problems)
            continue
        if name.casefold() in seen:
            problems.append(Problem(where, "another account has this name (names ignore case)"))
            continue
        seen.add(name.casefold())
        accounts.append(account)
    return Admins(tuple(accounts))


def _sessions(value: Any, where: str) -> tuple[SignedIn, ...]:
    if not isinstance(value, list):
        raise ScheduleError("expected a list of { id, started }", field="sessions")
    found: list[SignedIn] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"id", "started"}:
            raise ScheduleError("expected { id, started }", field=f"sessions[{index}]")
        try:
            found.append(SignedIn(id=item["id"], started=item["started"]))
        except ScheduleError as err:
            raise err.within(f"sessions[{index}]") from None
    return tuple(found)


def kept_sessions(account: Account, now: datetime, *, adding: SignedIn | None = None) -> tuple[SignedIn, ...]:
    """``account``'s sessions still live at ``now`` (with ``adding``), at most :data:`MAX_SESSIONS`, newest kept.

    >>> start = datetime(2026, 12, 1, tzinfo=UTC)
    >>> a = Account(name="a", hash=hash_password("twelve chars!"), added=start)
    >>> s = SignedIn(id=session_digest("x"), started=start)
    >>> len(kept_sessions(a, start, adding=s)), len(kept_sessions(a, start + SESSION_LIFETIME, adding=s))
    (1, 0)
    """
    moment = aware_datetime(now, "now", text=False).astimezone(UTC)
    sessions = [s for s in (*account.sessions, *([adding] if adding else [])) if s.live(moment)]
    sessions.sort(key=lambda s: s.started)
    return tuple(sessions[-MAX_SESSIONS:])
