"""Signing in to the admin pages: the session cookie, who is signed in, CSRF, and limits on failed sign-ins.

- **The cookie** (``hmis_admin``) is Flask's signed session cookie, sent only
  to ``/admin`` (under the public root path), ``HttpOnly``,
  ``SameSite=Strict``, and ``Secure`` when the request's believed scheme is
  https or ``HMIS_BASE_URL`` starts with ``https://``. It is signed with a key
  derived from ``HMIS_SECRET_KEY`` (HMAC-SHA256, a purpose of its own), so it
  never equals the key that signs private links. No other route opens it.
- **Who is signed in** is decided on the server at every request: the cookie
  carries the account's name, a random session id made at sign-in
  (:func:`hmis_schedule.accounts.new_session_id`; a new one each time, so a
  session id planted before sign-in is worthless) and when it was last
  used. The id must be one of the account's sessions in the state file,
  which is read again whenever it changed (its size, time or inode;
  never through the settle delay of :mod:`hmis_schedule.follow`, so a
  sign-out or a removed account is refused at once on every worker); the
  last use must be less than ``HMIS_ADMIN_IDLE_MINUTES`` ago, and the
  session less than 12 hours old. Sign-out removes the session from the
  state file, so a copy of the cookie taken before it is refused after.
- **CSRF**: every form carries Flask-WTF's token (bound to the session);
  :func:`protect` checks it on every POST under ``/admin``, before anything
  else (the sign-in form too). Sign-in replaces the session, token included.
- **Failed sign-ins** (:class:`Limiter`) are counted per account name (as
  typed, case ignored) and per client address (the address
  :mod:`.origin` believes; an IPv6 address by its /64). After the third
  failure, each next attempt must wait 1, 2, 4, ... up to 30 seconds after
  the last failure; after 20 failures within 15 minutes that name or
  address is refused for 15 minutes. A refused attempt is answered ``429``
  with the sign-in page and ``Retry-After``, without checking the password.
  The counters live in each worker's memory, at most 10,000 names and
  addresses (the least recently used are forgotten). An unknown name is
  checked against a dummy hash, so it costs and answers exactly like a
  wrong password; at most two password checks (64 MiB each) run at once
  per worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Request, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from hmis_schedule.accounts import (
    Account,
    Admins,
    check_name,
    hash_password,
    needs_rehash,
    new_session_id,
    verify_password,
)
from hmis_schedule.errors import ScheduleError, one_line
from hmis_schedule.state import end_admin_session, load_state, start_admin_session

from . import public, sources
from .settings import Settings

__all__ = [
    "COOKIE",
    "AccountsFile",
    "AdminAuth",
    "Limiter",
    "SignIn",
    "auth",
    "current_admin",
    "init_app",
    "is_admin_path",
    "protect",
    "sign_in",
    "sign_out",
]

log = logging.getLogger("hmis_schedule.server")

COOKIE = "hmis_admin"
"""The session cookie's name."""
_PURPOSE = b"hmis-schedule admin session cookie"
_HASH_SLOTS = 2
_HASH_WAIT = 10.0


def is_admin_path(path: str) -> bool:
    """Whether ``path`` (without the root path) is one of the admin pages.

    >>> is_admin_path("/admin"), is_admin_path("/admin/links"), is_admin_path("/administrator")
    (True, True, False)
    """
    return path == "/admin" or path.startswith("/admin/")


class AdminCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened only for the admin pages, with the admin cookie's flags."""

    salt = "hmis-schedule admin session"

    def open_session(self, app: Flask, request: Request) -> Any:
        """The admin session of an admin page's request; other routes get Flask's null session (no cookie)."""
        if not is_admin_path(request.path):
            return None
        return super().open_session(app, request)

    def get_cookie_name(self, app: Flask) -> str:
        """``hmis_admin``."""
        return COOKIE

    def get_cookie_path(self, app: Flask) -> str:
        """The admin pages' path under the public root (``/admin`` or ``/hmis/admin``)."""
        return public.link_root() + "/admin"

    def get_cookie_domain(self, app: Flask) -> None:
        """No Domain attribute: the cookie goes back to this host only."""
        return None

    def get_cookie_httponly(self, app: Flask) -> bool:
        """Always ``HttpOnly``: no script reads it."""
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        """``Strict``: no other site's page or form sends it."""
        return "Strict"

    def get_cookie_secure(self, app: Flask) -> bool:
        """``Secure`` when the request's believed scheme is https, or ``HMIS_BASE_URL`` is https."""
        return request.scheme == "https" or sources.settings().base_url.startswith("https://")


class AccountsFile:
    """The accounts of the state file, read again whenever the file changed (size, modification time, inode).

    Each admin request asks; a stat is all it costs when nothing changed. A
    missing file has no accounts; a broken one has none either (logged once
    per version), so the admin pages are off until it is fixed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._admins = Admins()

    def admins(self) -> Admins:
        """The accounts as the file says now."""
        try:
            info = os.stat(self.path)
            signature: tuple[int, int, int] | None = (info.st_mtime_ns, info.st_size, info.st_ino)
        except FileNotFoundError:
            signature = None
        with self._lock:
            if signature is None:
                self._seen, self._admins = None, Admins()
            elif signature != self._seen:
                try:
                    self._admins = load_state(self.path).admins
                except (ScheduleError, OSError) as err:
                    reason = one_line(err) if isinstance(err, ScheduleError) else str(err)
                    log.warning("admin pages: the accounts cannot be read (%s); no one can sign in", reason)
                    self._admins = Admins()
                self._seen = signature
            return self._admins


@dataclass
class _Count:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class Limiter:
    """Failed sign-ins counted per key (a name, an address), bounded in memory; thread-safe.

    Parameters
    ----------
    limit:
        Failures within ``window`` seconds after which a key is refused for ``lockout`` seconds.
    free:
        Failures before each further attempt must wait (1, 2, 4, ... ``most`` seconds after the last failure).
    keys:
        The most keys kept; the least recently used are forgotten.

    >>> limiter = Limiter()
    >>> [limiter.failed(["name:bob"], now=float(t)) for t in range(3)] and limiter.wait(["name:bob"], now=3.0)
    0.0
    >>> limiter.failed(["name:bob"], now=3.0); limiter.wait(["name:bob"], now=3.5)
    1.5
    """

    def __init__(
        self, *, limit: int = 20, window: float = 900.0, lockout: float = 900.0, free: int = 3,
        most: float = 30.0, keys: int = 10_000,
    ) -> None:  # fmt: skip
        self.limit, self.window, self.lockout, self.free, self.most, self.keys = (
            limit, window, lockout, free, most, keys,
        )  # fmt: skip
        self._counts: OrderedDict[str, _Count] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._counts)

    def _count(self, key: str, now: float, *, create: bool) -> _Count | None:
        count = self._counts.get(key)
        if count is None:
            if not create:
                return None
            count = self._counts[key] = _Count()
            while len(self._counts) > self.keys:
                self._counts.popitem(last=False)
        self._counts.move_to_end(key)
        while count.failures and count.failures[0] <= now - self.window:
            count.failures.popleft()
        return count

    def wait(self, keys: list[str], *, now: float) -> float:
        """Seconds before any of ``keys`` may try again (``0.0``: now)."""
        longest = 0.0
        with self._lock:
            for key in keys:
                count = self._count(key, now, create=False)
                if count is None:
                    continue
                if count.locked_until > now:
                    longest = max(longest, count.locked_until - now)
                    continue
                extra = len(count.failures) - self.free
                if extra >= 0:
                    delay = min(2.0**extra, self.most)
                    longest = max(longest, count.failures[-1] + delay - now)
        return max(longest, 0.0)

    def failed(self, keys: list[str], *, now: float) -> None:
        """Count a failed sign-in for each of ``keys``; the ``limit``-th within the window locks the key."""
        with self._lock:
            for key in keys:
                count = self._count(key, now, create=True)
                assert count is not None
                count.failures.append(now)
                if len(count.failures) >= self.limit:
                    count.locked_until = now + self.lockout
                    count.failures.clear()

    def succeeded(self, keys: list[str]) -> None:
        """Forget the failures of ``keys`` (a correct sign-in)."""
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)


@dataclass
class AdminAuth:
    """What the admin pages need to sign people in, kept on the app (``app.extensions["hmis_admin"]``)."""

    state: Path
    accounts: AccountsFile
    limiter: Limiter
    idle: timedelta
    csrf: CSRFProtect
    hashing: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(_HASH_SLOTS))


def init_app(app: Flask, settings: Settings, secret_key: str, state: Path) -> AdminAuth:
    """Set up ``app``'s admin cookie, CSRF protection and sign-in limits; the key signs the cookie (derived)."""
    app.secret_key = hmac.new(secret_key.encode("utf-8"), _PURPOSE, hashlib.sha256).hexdigest()
    app.session_interface = AdminCookie()
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # only the admin pages' POSTs are checked, by protect()
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        WTF_CSRF_FIELD_NAME="csrf_token",
    )
    csrf = CSRFProtect(app)
    found = AdminAuth(
        state=state,
        accounts=AccountsFile(state),
        limiter=Limiter(),
        idle=timedelta(minutes=settings.admin_idle_minutes),
        csrf=csrf,
    )
    app.extensions["hmis_admin"] = found
    return found


def auth() -> AdminAuth:
    """The current app's :class:`AdminAuth`."""
    found: AdminAuth = current_app.extensions["hmis_admin"]
    return found


def protect() -> None:
    """Check the CSRF token of this POST (Flask-WTF); raises ``CSRFError`` when missing, wrong or another session's."""
    auth().csrf.protect()


def _now() -> datetime:
    return sources.settings().now(UTC)


def current_admin() -> Account | None:
    """The account signed in with this request's cookie, or ``None``; refreshes the cookie's last use.

    Refused (and forgotten by the browser): a cookie whose last use is
    older than the idle time, whose session is no longer in the state file
    (signed out, password changed, account removed) or is past its lifetime.
    """
    name, sid, seen = session.get("name"), session.get("sid"), session.get("seen")
    if not (isinstance(name, str) and isinstance(sid, str) and isinstance(seen, int)):
        return None
    now = _now()
    stamp = int(now.timestamp())
    found = auth()
    account = found.accounts.admins().find(name)
    if not 0 <= stamp - seen < found.idle.total_seconds() or account is None or not account.signed_in(sid, now):
        session.clear()
        if account is not None and account.signed_in(sid, now):  # idle: end it on the server too
            with contextlib.suppress(ScheduleError, OSError):
                end_admin_session(found.state, account.name, sid, now=now)
        return None
    session["seen"] = stamp
    return account


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a sign-in attempt came to: the account, or ``wait`` seconds (refused, 429), or neither (wrong)."""

    account: Account | None = None
    wait: float = 0.0


def _client_key() -> str:
    """The believed client address, an IPv6 one by its /64 network (one host has all of those)."""
    text = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"address:{text[:64]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"address:{address}"


def _name_key(name: str) -> str:
    digest = hashlib.sha256(name.strip().casefold().encode("utf-8", "replace")).hexdigest()[:32]
    return f"name:{digest}"


@contextlib.contextmanager
def _hash_slot() -> Iterator[bool]:
    slots = auth().hashing
    got = slots.acquire(timeout=_HASH_WAIT)
    try:
        yield got
    finally:
        if got:
            slots.release()


def sign_in(name: object, password: object) -> SignIn:
    """Try to sign in as ``name`` with ``password`` from this request's address; on success, a new session.

    The cookie's session is replaced (new id, new CSRF token) and the
    session is recorded in the state file. ``SignIn.wait`` > 0 means the
    attempt was refused without checking (too many failures, or no
    password check could run within 10 seconds).
    """
    found = auth()
    typed = name if isinstance(name, str) else ""
    keys = [_name_key(typed[:256]), _client_key()]
    now = _now()
    wait = found.limiter.wait(keys, now=now.timestamp())
    if wait > 0:
        return SignIn(wait=wait)
    try:
        account = found.accounts.admins().find(check_name(typed))
    except ScheduleError:
        account = None
    with _hash_slot() as got:
        if not got:
            return SignIn(wait=_HASH_WAIT)
        ok = verify_password(account, password)
    if not ok or account is None:
        found.limiter.failed(keys, now=now.timestamp())
        return SignIn()
    found.limiter.succeeded(keys)
    sid = new_session_id()
    rehash = hash_password(password) if isinstance(password, str) and needs_rehash(account) else None
    account = start_admin_session(found.state, account.name, sid, now=now, rehash=rehash)
    session.clear()
    session.update({"name": account.name, "sid": sid, "seen": int(now.timestamp())})
    return SignIn(account=account)


def sign_out() -> None:
    """End this request's session, in the state file and in the cookie."""
    name, sid = session.get("name"), session.get("sid")
    session.clear()
    if isinstance(name, str) and isinstance(sid, str):
        end_admin_session(auth().state, name, sid, now=_now())
