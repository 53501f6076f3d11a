"""Access to the join link: who may see it, decided from the current secrets and revocations.

A private feed carries the meeting's join URL. :class:`PrivateFeeds` answers
one question per request, "does this token grant the join URL now?", from
two sources (:mod:`hmis_schedule.source`): the secrets (fixed from the
environment, or a followed secrets file, so a new join URL needs no restart)
and, when the deployment has one, the followed state file with the revoked
labels. It says no without saying why, on purpose.

>>> from datetime import UTC, datetime
>>> from hmis_schedule.private import Secrets, issue_token
>>> from hmis_schedule.source import Fixed
>>> secrets = Secrets(secret_key="k" * 32, teams_url="https://teams.example.org/meet/1")
>>> feeds = PrivateFeeds(Fixed(secrets), None)
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> feeds.grant(issue_token("k" * 32, "Alice", now=now), now)
'https://teams.example.org/meet/1'
>>> feeds.grant("not-a-token", now) is None
True
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .errors import ScheduleError
from .follow import FileFollower
from .private import Grant, Secrets, issue_recorded, read_token
from .source import Source
from .state import State

__all__ = ["PrivateFeeds"]


class PrivateFeeds:
    """What the private routes need: the signing key, the join URL and the revocations, each current.

    Its ``repr`` shows no secret.

    Raises
    ------
    ScheduleError
        If the secrets lack the key or the join URL (private feeds are off then).
    """

    def __init__(self, secrets: Source[Secrets], state: Source[State] | None) -> None:
        self._secrets = secrets
        self.state = state
        if not secrets.value.private_feeds:
            raise ScheduleError("private feeds need both a secret key and a join URL", field="secrets")

    def __repr__(self) -> str:
        followed = self._secrets.path if isinstance(self._secrets, FileFollower) else None
        state = self.state.path if isinstance(self.state, FileFollower) else None
        return (
            f"PrivateFeeds(secrets_file={None if followed is None else str(followed)!r}, "
            f"state={None if state is None else str(state)!r})"
        )

    def grant(self, token: str, now: datetime) -> str | None:
        """The join URL if ``token`` is valid at ``now`` and not revoked, else ``None`` (no reason given).

        Key and join URL are read together, from one version of the secrets.
        """
        secrets = self._secrets.value
        assert secrets.secret_key is not None and secrets.teams_url is not None  # checked when loaded
        grant = read_token(secrets.secret_key, token, now=now)
        if grant is None:
            return None
        if self.state is not None and self.state.value.is_revoked(grant):
            return None
        return secrets.teams_url

    def issue(
        self, label: str, *, days: int, now: datetime, actor: str, audit_file: str | Path
    ) -> tuple[str, Grant]:
        """A new private link's token for ``label``, working ``days`` days from ``now``, signed with the current key.

        Recorded in the audit log ``audit_file`` as issued by ``actor``
        (label and expiry, never the token: :func:`~hmis_schedule.private.issue_recorded`).

        Raises
        ------
        ScheduleError
            For a bad label, lifetime or actor (naming the field); nothing is recorded then.
        OSError
            If the audit log cannot be written (no token is returned then).
        """
        secrets = self._secrets.value
        assert secrets.secret_key is not None  # checked when loaded
        return issue_recorded(secrets.secret_key, label, days=days, now=now, actor=actor, audit_file=audit_file)

    @property
    def error(self) -> str | None:
        """Why the secrets or state file's latest version is not in use, or ``None``."""
        errors = [source.error for source in (self._secrets, self.state) if source is not None and source.error]
        return "; ".join(errors) or None
