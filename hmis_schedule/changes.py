"""Stage 3b of the pipeline: one-off changes to single occurrences, and extra sessions.

A :class:`Change` names one occurrence by its slot and its *originally*
scheduled date, and either cancels it (with a reason) or changes its date,
times, place or modality. The session keeps its uid; its sequence rises by the
change's ``sequence`` so calendars replace the old event.

An :class:`ExtraSession` is a session outside the rules (a Spanish-language
session, a make-up date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from .errors import ScheduleError
from .rules import Modality, check_id, check_times
from .session import Session, Status, local_times

__all__ = ["Change", "ExtraSession"]


def _check_sequence(value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScheduleError(f"must be a whole number >= {minimum}, got {value!r}", field="sequence")


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """A change to the occurrence of ``slot`` originally planned for ``date``.

    Either ``cancel=True`` with a ``reason``, or at least one of ``to_date``,
    ``start``, ``end``, ``modality``, ``location``, ``room``, ``notes``.

    >>> Change(slot="first-monday", date=dt.date(2026, 12, 7), cancel=True,
    ...        reason="Trainer out sick").cancel
    True
    """

    slot: str
    date: dt.date
    cancel: bool = False
    reason: str = ""
    to_date: dt.date | None = None
    start: time | None = None
    end: time | None = None
    modality: Modality | None = None
    location: str | None = None
    room: str | None = None
    notes: str | None = None
    sequence: int = 1

    def __post_init__(self) -> None:
        check_id(self.slot, "slot")
        if not isinstance(self.date, dt.date):
            raise ScheduleError(f"expected a date such as 2026-12-07, got {self.date!r}", field="date")
        if self.to_date is not None and not isinstance(self.to_date, dt.date):
            raise ScheduleError(f"expected a date such as 2026-12-08, got {self.to_date!r}", field="to_date")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, time) or value.tzinfo is not None):
                raise ScheduleError(f"expected a local time such as 09:00, got {value!r}", field=name)
        if self.start is not None and self.end is not None:
            check_times(self.start, self.end)
        if self.modality is not None and not isinstance(self.modality, Modality):
            raise ScheduleError(
                f"unknown modality {self.modality!r}",
                field="modality",
                choices=[m.value for m in Modality],
            )
        _check_sequence(self.sequence, 1)
        edits = self.edited_fields
        if self.cancel:
            if not self.reason.strip():
                raise ScheduleError("a cancellation needs a reason", field="reason")
            if edits:
                raise ScheduleError(
                    f"a cancellation cannot also change {', '.join(edits)}", field="cancel"
                )
        elif not edits:
            raise ScheduleError(
                "a change must cancel the session or change at least one of "
                "to_date, start, end, modality, location, room, notes",
                field="cancel",
            )

    @property
    def key(self) -> tuple[str, dt.date]:
        """The occurrence this change applies to: (slot id, originally scheduled date)."""
        return self.slot, self.date

    @property
    def edited_fields(self) -> tuple[str, ...]:
        """The names of the fields this change sets."""
        names = ("to_date", "start", "end", "modality", "location", "room", "notes")
        return tuple(n for n in names if getattr(self, n) is not None)

    def apply(self, session: Session, zone: ZoneInfo) -> Session:
        """Return ``session`` as this change makes it (same uid, higher sequence).

        Raises
        ------
        ScheduleError
            If the change leaves the session ending before it starts, or an
            in-person session without an address.
        """
        sequence = session.sequence + self.sequence
        if self.cancel:
            return dataclasses.replace(
                session, status=Status.CANCELLED, reason=self.reason, sequence=sequence
            )
        day = self.to_date or session.day
        start = self.start or session.start.time()
        end = self.end or session.end.time()
        check_times(start, end)
        modality = self.modality or session.modality
        location = self.location if self.location is not None else session.location
        if modality is Modality.IN_PERSON and not location.strip():
            raise ScheduleError("an in-person session needs the street address", field="location")
        start_at, end_at = local_times(day, start, end, zone)
        return dataclasses.replace(
            session,
            start=start_at,
            end=end_at,
            modality=modality,
            location=location,
            room=self.room if self.room is not None else session.room,
            notes=self.notes if self.notes is not None else session.notes,
            reason=self.reason or session.reason,
            sequence=sequence,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtraSession:
    """A session outside the recurring rules, on one date.

    Its uid comes from ``id`` and ``date``, like a slot's occurrence.
    """

    id: str
    date: dt.date
    start: time
    end: time
    modality: Modality
    location: str = ""
    room: str = ""
    notes: str = ""
    sequence: int = 0

    def __post_init__(self) -> None:
        check_id(self.id)
        if not isinstance(self.date, dt.date):
            raise ScheduleError(f"expected a date such as 2026-12-08, got {self.date!r}", field="date")
        check_times(self.start, self.end)
        if not isinstance(self.modality, Modality):
            raise ScheduleError(
                f"unknown modality {self.modality!r}",
                field="modality",
                choices=[m.value for m in Modality],
            )
        if self.modality is Modality.IN_PERSON and not self.location.strip():
            raise ScheduleError("an in-person session needs the street address", field="location")
        _check_sequence(self.sequence, 0)
