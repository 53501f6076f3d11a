"""Private feeds: the Teams join URL as a secret, and signed, expiring links that carry it.

The public schedule file never holds the meeting's join URL: anyone can read
the public feeds. People who finished the LMS get a *private link* instead,
``/private/<token>/calendar.ics``, whose online sessions carry the join URL.

- **Secrets** come from the environment, ``HMIS_SECRET_KEY`` and
  ``HMIS_TEAMS_URL``, or from a secrets file named by ``HMIS_SECRETS_FILE``
  (TOML with ``secret_key = "..."`` and ``teams_url = "..."``); a variable
  that is set wins over the file. :func:`load_secrets` reads and checks them
  and never puts a secret into an error message or a ``repr``; the server
  follows the secrets file with :func:`secrets_file_parser`, so a new join
  URL written there needs no restart.
- **Tokens** are made by itsdangerous's ``URLSafeTimedSerializer`` (HMAC-SHA256
  with the secret key and a salt of its own): the payload is the link's label
  and its lifetime in days, and the signer adds the issue time. A token is
  valid from its issue time until ``issued + days``; :func:`read_token`
  checks the signature (itsdangerous compares in constant time), the payload
  and the lifetime, and answers ``None`` for anything not valid without
  saying why. Revoking a label is kept in the state file
  (:mod:`hmis_schedule.state`).
- Changing the secret key makes every link ever issued invalid at once.

>>> from datetime import UTC, datetime
>>> key = "k" * 32
>>> issued = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
>>> token = issue_token(key, "Agency X - Alice", days=30, now=issued)
>>> grant = read_token(key, token, now=datetime(2026, 12, 20, tzinfo=UTC))
>>> grant.label, grant.expires.date().isoformat()
('Agency X - Alice', '2026-12-31')
>>> read_token(key, token, now=datetime(2027, 1, 1, tzinfo=UTC)) is None  # expired
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from . import audit
from .errors import Problem, ScheduleError
from .files import decode_text, read_text
from .values import MAX_URL, aware_datetime, https_url, whole_number

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MAX_LABEL",
    "MIN_KEY_LENGTH",
    "SECRETS_FILE_ENV",
    "SECRET_KEY_ENV",
    "TEAMS_URL_ENV",
    "Grant",
    "Secrets",
    "check_join_url",
    "check_label",
    "check_secret_key",
    "issue_recorded",
    "issue_token",
    "load_secrets",
    "read_token",
    "secrets_file_parser",
]

SECRET_KEY_ENV = "HMIS_SECRET_KEY"
"""The environment variable with the key that signs private links."""
TEAMS_URL_ENV = "HMIS_TEAMS_URL"
"""The environment variable with the meeting's join URL."""
SECRETS_FILE_ENV = "HMIS_SECRETS_FILE"
"""The environment variable naming a TOML secrets file (``secret_key``, ``teams_url``)."""

MIN_KEY_LENGTH = 32
"""The shortest secret key accepted, in characters."""
MAX_LABEL = 100
"""The longest label of a private link, in characters."""
DEFAULT_DAYS = 365
"""How long a private link works unless told otherwise, in days."""
MAX_DAYS = 3650
"""The longest lifetime of a private link, in days."""
MAX_TOKEN = 512
"""Longer tokens are refused before any cryptography."""
MAX_JOIN_URL = MAX_URL
"""The longest join URL accepted, in characters."""

_SALT = "hmis-schedule private feed link"
_SKEW = timedelta(minutes=5)  # a token issued on a machine whose clock is a little ahead still works
_SECRET_KEYS = {"secret_key": SECRET_KEY_ENV, "teams_url": TEAMS_URL_ENV}
_TOKEN = re.compile(
    r"\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
)  # a leading "." marks a zlib payload
_KEY_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


# -- checks ------------------------------------------------------------------------


def check_join_url(value: object, field: str = "teams_url") -> str:
    """``value`` (stripped) if it is an absolute https URL with a host, else raise: :func:`~hmis_schedule.values.https_url`.

    The message never repeats the value: it is a secret.

    Parameters
    ----------
    value:
        The join URL, such as ``https://teams.microsoft.com/l/meetup-join/...``.
    field:
        What to call it in the error.

    Returns
    -------
    The URL without surrounding white space.

    Raises
    ------
    ScheduleError
        If it is not a string, not https, has no host, carries a user name or
        password, or holds white space, control or unsafe characters.

    >>> check_join_url(" https://teams.microsoft.com/l/meetup-join/abc ")
    'https://teams.microsoft.com/l/meetup-join/abc'
    >>> check_join_url("http://teams.example.org/x", field="HMIS_TEAMS_URL")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: HMIS_TEAMS_URL: expected an https URL ...
    """
    return https_url(value, field)


def check_secret_key(value: object, field: str = SECRET_KEY_ENV) -> str:
    """``value`` if it can sign links: a string of at least :data:`MIN_KEY_LENGTH` characters.

    >>> len(check_secret_key("x" * 40))
    40
    >>> check_secret_key("short")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: HMIS_SECRET_KEY: too short ...
    """
    if not isinstance(value, str):
        raise ScheduleError(f"expected text; {_KEY_HINT}", field=field)
    text = value.strip()
    if len(text) < MIN_KEY_LENGTH:
        raise ScheduleError(
            f"too short ({len(text)} characters; at least {MIN_KEY_LENGTH}); {_KEY_HINT}", field=field
        )
    return text


def check_label(value: object, field: str = "label") -> str:
    """A private link's label, stripped: 1 to :data:`MAX_LABEL` printable characters.

    A label says whom a link was given to (a name, an email address); it is
    what ``hmis-schedule revoke`` names.

    >>> check_label("  alice@agency.example.org ")
    'alice@agency.example.org'
    >>> check_label("two\\nlines")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: label: must be printable ...
    """
    if not isinstance(value, str):
        raise ScheduleError(f"expected text, got {type(value).__name__}", field=field)
    text = value.strip()
    if not text:
        raise ScheduleError("must not be empty: say whom the link is for", field=field)
    if len(text) > MAX_LABEL:
        raise ScheduleError(f"too long ({len(text)} characters; at most {MAX_LABEL})", field=field)
    if not all(c.isprintable() for c in text):
        raise ScheduleError(
            "must be printable on one line (letters, digits, spaces, punctuation)", field=field
        )
    return text


def _check_days(days: object) -> int:
    return whole_number(days, "days", minimum=1, maximum=MAX_DAYS)


def _aware(now: object) -> datetime:
    return aware_datetime(now, "now", text=False).astimezone(UTC)


# -- secrets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Secrets:
    """The secret key and the join URL, checked; either may be missing. Its ``repr`` hides both.

    >>> Secrets(secret_key="s" * 32, teams_url="https://teams.example.org/j/1")
    Secrets(secret_key=<set>, teams_url=<set>, source='')
    """

    secret_key: str | None = field(default=None, repr=False)
    teams_url: str | None = field(default=None, repr=False)
    source: str = ""
    """The secrets file they came from, if any."""

    def __post_init__(self) -> None:
        if self.secret_key is not None:
            check_secret_key(self.secret_key)
        if self.teams_url is not None:
            check_join_url(self.teams_url, TEAMS_URL_ENV)

    def __repr__(self) -> str:
        def shown(value: str | None) -> str:
            return "None" if value is None else "<set>"

        return (
            f"Secrets(secret_key={shown(self.secret_key)}, teams_url={shown(self.teams_url)}, "
            f"source={self.source!r})"
        )

    @property
    def private_feeds(self) -> bool:
        """Whether private feeds can be served: both the key and the join URL are set."""
        return self.secret_key is not None and self.teams_url is not None


def _read_secrets_file(path: Path) -> dict[str, str]:
    text = read_text(path, kind="secrets file")
    if text is None:
        raise ScheduleError("no such file", source=str(path))
    return _secrets_file_values(text, str(path))


_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)$")
_SETTING_NAME = re.compile(r"[A-Za-z0-9_-]{1,24}")
"""A name of the secrets file that may be shown in a message: plain, and shorter than any secret key."""


def _secrets_file_values(text: str, source: str) -> dict[str, str]:
    """The checked, non-empty settings of a secrets file's text; errors never show a value."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(text, str(err), source) from None
    problems: list[Problem] = []
    values: dict[str, str] = {}
    for key, value in data.items():
        if key not in _SECRET_KEYS:
            accepted = ", ".join(repr(k) for k in _SECRET_KEYS)
            if _SETTING_NAME.fullmatch(key):
                problems.append(Problem(key, f"unknown setting (expected one of {accepted})"))
            else:  # a long or odd name may be a secret pasted in the wrong place
                problems.append(Problem("", f"has an unknown setting whose name is not shown (expected {accepted})"))
        elif not isinstance(value, str):
            problems.append(Problem(key, "expected a quoted string"))
        elif value.strip():
            values[key] = value
    for key, value in values.items():
        try:
            if key == "secret_key":
                check_secret_key(value, key)
            else:
                check_join_url(value, key)
        except ScheduleError as err:
            problems.extend(err.problems)
    if problems:
        raise ScheduleError("", source=source, problems=problems)
    return values


def _syntax_error(text: str, message: str, source: str) -> ScheduleError:
    """A TOML syntax error in the secrets file, saying where and for which setting, never what the file says.

    tomllib's message can quote part of the line (a character, a key), and the
    line may hold a secret: only its line and column are kept from it, and
    the name before ``=`` on that line, if it is a plain, short name.

    >>> text = 'teams_url = "https://x"\\nsecret_key = "abc\\n'
    >>> print(_syntax_error(text, "Unterminated string (at line 2, column 19)", "s.toml"))
    s.toml: secret_key: not valid TOML at line 2, column 19; expected a line such as secret_key = "..."
    >>> print(_syntax_error("x3Rq9", "Expected '=' after a key in a key/value pair (at end of document)", "s.toml"))
    s.toml: not valid TOML at the end of the file; expected lines such as teams_url = "https://..."
    """
    found = _WHERE.search(message)
    if found is None:
        where = "at the end of the file"
        lines = text.splitlines()
        line = lines[-1] if lines else ""
    else:
        where = f"at line {found[1]}, column {found[2]}"
        lines = text.splitlines()
        number = int(found[1])
        line = lines[number - 1] if 0 < number <= len(lines) else ""
    name, equals, _ = line.partition("=")
    setting = name.strip() if equals and _SETTING_NAME.fullmatch(name.strip()) else ""
    if setting:
        return ScheduleError(
            f'not valid TOML {where}; expected a line such as {setting} = "..."', field=setting, source=source
        )
    return ScheduleError(f'not valid TOML {where}; expected lines such as teams_url = "https://..."', source=source)


def secrets_file_parser(environ: Mapping[str, object]) -> Callable[[bytes], Secrets]:
    """A parser of the secrets file's bytes into :class:`Secrets`, the variables in ``environ`` winning.

    The server follows the secrets file with it (:class:`hmis_schedule.follow.FileFollower`),
    so a new join URL or key written to the file is served without a restart.
    The parser refuses a file that leaves either secret unset, so a half-written
    file never turns private feeds off.

    Parameters
    ----------
    environ:
        The environment, as for :func:`load_secrets`; its :data:`SECRETS_FILE_ENV`
        names the file (used in messages).

    Returns
    -------
    A function of the file's bytes that returns the checked secrets or raises
    :class:`ScheduleError` (source: the file; field: the setting), never
    showing a secret.

    >>> parse = secrets_file_parser({"HMIS_SECRET_KEY": "x" * 32, "HMIS_SECRETS_FILE": "s.toml"})
    >>> parse(b'teams_url = "https://teams.example.org/j/1"').private_feeds
    True
    >>> parse(b"")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: s.toml: teams_url: is required (or set HMIS_TEAMS_URL)
    """
    source = str(_given(environ, SECRETS_FILE_ENV) or "")
    key, url = _from_environment(environ)

    def parse(raw: bytes) -> Secrets:
        from_file = _secrets_file_values(decode_text(raw, source), source)
        secrets = _combined(key, url, from_file, source)
        for setting, variable in _SECRET_KEYS.items():
            if getattr(secrets, setting) is None:
                raise ScheduleError(f"is required (or set {variable})", field=setting, source=source)
        return secrets

    return parse


def _given(environ: Mapping[str, object], name: str) -> object:
    value = environ.get(name)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _from_environment(environ: Mapping[str, object]) -> tuple[str | None, str | None]:
    key = _given(environ, SECRET_KEY_ENV)
    url = _given(environ, TEAMS_URL_ENV)
    return (
        check_secret_key(key) if key is not None else None,
        check_join_url(url, TEAMS_URL_ENV) if url is not None else None,
    )


def _combined(key: str | None, url: str | None, from_file: Mapping[str, str], source: str) -> Secrets:
    return Secrets(
        secret_key=key if key is not None else from_file.get("secret_key", "").strip() or None,
        teams_url=url if url is not None else from_file.get("teams_url", "").strip() or None,
        source=source,
    )


def load_secrets(environ: Mapping[str, object]) -> Secrets:
    """The secrets from ``environ`` (:data:`SECRET_KEY_ENV`, :data:`TEAMS_URL_ENV`) and the secrets file.

    A variable that is set and not empty wins over the file named by
    :data:`SECRETS_FILE_ENV`.

    Parameters
    ----------
    environ:
        The environment (``os.environ``) or a mapping like it; values that are
        ``None`` or empty count as unset.

    Returns
    -------
    The checked :class:`Secrets`.

    Raises
    ------
    ScheduleError
        For a bad value (field: the variable's name) or a bad secrets file
        (source: the file; field: the setting). The message never shows a secret.

    >>> secrets = load_secrets({"HMIS_SECRET_KEY": "x" * 32})
    >>> secrets.secret_key is not None, secrets.teams_url, secrets.private_feeds
    (True, None, False)
    """

    file = _given(environ, SECRETS_FILE_ENV)
    from_file = _read_secrets_file(Path(str(file))) if file is not None else {}
    key, url = _from_environment(environ)
    return _combined(key, url, from_file, str(file) if file is not None else "")


# -- tokens ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """What a valid token says: whom it was given to, when, and until when it works."""

    label: str
    issued: datetime
    expires: datetime

    def __post_init__(self) -> None:
        check_label(self.label)
        if self.expires <= self.issued:
            raise ScheduleError("must be after issued", field="expires")


def _serializer(secret_key: str, stamp: int | None = None) -> URLSafeTimedSerializer:
    signer: type[TimestampSigner] = TimestampSigner
    if stamp is not None:
        fixed = stamp

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return fixed

        signer = _Signer
    return URLSafeTimedSerializer(
        secret_key, salt=_SALT, signer=signer, signer_kwargs={"digest_method": hashlib.sha256}
    )


def issue_token(secret_key: str, label: str, *, days: int = DEFAULT_DAYS, now: datetime) -> str:
    """A signed token for a private link: ``label`` and ``days`` in it, issued at ``now``.

    Parameters
    ----------
    secret_key:
        The server's :data:`SECRET_KEY_ENV`.
    label:
        Whom the link is for (see :func:`check_label`); ``revoke`` names it.
    days:
        How long the link works, 1 to :data:`MAX_DAYS`.
    now:
        The issue time (aware); whole seconds are kept.

    Returns
    -------
    The token, URL-safe (letters, digits, ``-``, ``_`` and ``.``).

    Raises
    ------
    ScheduleError
        For a bad key, label, lifetime or time (naming the field).

    >>> token = issue_token("k" * 32, "alice", days=7, now=datetime(2026, 12, 1, tzinfo=UTC))
    >>> token.count("."), token.isascii()
    (2, True)
    """
    key = check_secret_key(secret_key, "secret_key")
    payload = {"l": check_label(label), "d": _check_days(days)}
    stamp = int(_aware(now).timestamp())
    return _serializer(key, stamp).dumps(payload)


def issue_recorded(
    secret_key: str,
    label: str,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime,
    actor: str,
    audit_file: str | Path,
) -> tuple[str, Grant]:
    """:func:`issue_token`, and record in the audit log ``audit_file`` that ``actor`` issued it.

    The log gets the label and the expiry, never the token or the link
    (:mod:`hmis_schedule.audit`).

    Returns
    -------
    The token and its :class:`Grant` (label, issue time, expiry).

    Raises
    ------
    ScheduleError
        As :func:`issue_token`, or for an empty actor; nothing is recorded then.
    OSError
        If the log cannot be written (the token is then not returned).

    >>> import tempfile
    >>> from hmis_schedule.audit import read
    >>> folder = tempfile.TemporaryDirectory()
    >>> log = Path(folder.name) / "s.audit.jsonl"
    >>> token, grant = issue_recorded("k" * 32, "Alice", days=30, now=datetime(2026, 12, 1, tzinfo=UTC),
    ...                               actor="cli:maria", audit_file=log)
    >>> entry = read(log).entries[0]
    >>> entry.action, entry.label, entry.expires == grant.expires, token in log.read_text()
    ('private-link', 'Alice', True, False)
    >>> folder.cleanup()
    """
    who = audit.check_actor(actor)
    token = issue_token(secret_key, label, days=days, now=now)
    issued = _aware(now).astimezone(UTC).replace(microsecond=0)
    grant = Grant(label=check_label(label), issued=issued, expires=issued + timedelta(days=_check_days(days)))
    audit.append(
        audit_file,
        audit.AuditEntry(
            at=issued, actor=who, action="private-link", label=grant.label, expires=grant.expires,
            summary=f"Issued a private feed link for {grant.label!r}, working until "
            f"{grant.expires:%Y-%m-%d %H:%M} UTC ({days} days).",
        ),
    )
    return token, grant


def read_token(secret_key: str, token: object, *, now: datetime) -> Grant | None:
    """The :class:`Grant` of a valid token at ``now``; ``None`` for any token that is not valid.

    Missing, malformed, forged (signed with another key or changed), expired
    and not-yet-issued tokens all give ``None``, so a caller cannot tell them
    apart. The signature is compared in constant time (itsdangerous uses
    :func:`hmac.compare_digest`). Only the exact string :func:`issue_token`
    made is accepted (base64 decoding alone would also take variants with
    stray characters). Revocation is not checked here: see
    :meth:`hmis_schedule.state.State.is_revoked`.

    Parameters
    ----------
    secret_key:
        The key the token must be signed with.
    token:
        The token from the URL.
    now:
        The time to check the lifetime at (aware).

    Returns
    -------
    The grant, or ``None``.

    >>> read_token("k" * 32, "not.a.token", now=datetime(2026, 12, 1, tzinfo=UTC)) is None
    True
    """
    moment = _aware(now)
    if not isinstance(token, str) or len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        return None
    try:
        payload, issued = _serializer(secret_key).loads(token, return_timestamp=True)
    except (BadData, ValueError, TypeError, OverflowError, OSError):
        return None
    if not isinstance(payload, dict) or set(payload) != {"l", "d"} or not isinstance(issued, datetime):
        return None
    label, days = payload["l"], payload["d"]
    try:
        label = check_label(label)
        days = _check_days(days)
    except ScheduleError:
        return None
    stamp = int(issued.timestamp())
    if not hmac.compare_digest(_serializer(secret_key, stamp).dumps({"l": label, "d": days}), token):
        return None
    issued = issued.astimezone(UTC)
    expires = issued + timedelta(days=days)
    if issued > moment + _SKEW or moment >= expires:
        return None
    return Grant(label=label, issued=issued, expires=expires)
