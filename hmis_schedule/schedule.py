"""The schedule and its queries: the pipeline from rules to sessions.

:meth:`Schedule.sessions_between` runs the stages in order:

1. each slot rule gives its dates (:mod:`hmis_schedule.rules`);
2. each date becomes a :class:`~hmis_schedule.session.Session` at the slot's
   wall-clock times in the schedule's zone; extra sessions join them;
3. one-off changes apply (:mod:`hmis_schedule.changes`), then closures and
   holidays (:mod:`hmis_schedule.closures`) cancel what falls on a closed day;
4. the window filter comes last, on a window widened by the farthest move, so
   a session moved across the window's edge is still found.

Windows are half-open: ``[start, end)``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from . import clock
from .changes import Change, ExtraSession
from .closures import Closure, HolidayCalendar
from .errors import ScheduleError, SessionNotFoundError, WindowError
from .facts import Contact, Crisis, Onboarding, Online, Text
from .rules import Modality, Slot, check_id
from .session import Session, Status, local_datetime, local_times, parse_uid, session_uid
from .values import hostname, web_url, whole_number
from .values import modality as _modality_value
from .zones import zone_named

__all__ = ["FeedSettings", "Schedule", "zone_named"]

_SEARCH_STEP = timedelta(days=93)
_SEARCH_HORIZON_YEARS = 10
_UTC = ZoneInfo("UTC")
# The dates the library plans on: all a datetime can hold, less a day at each
# end for time-zone arithmetic. Query bounds outside them are a WindowError.
_FIRST_DAY = date(1, 1, 2)
_LAST_DAY = date(9999, 12, 30)
_LAST_INSTANT = datetime.combine(_LAST_DAY, time(0), tzinfo=_UTC)


def _shift(day: date, delta: timedelta) -> date:
    """``day + delta``, kept within the dates the library plans on."""
    if delta >= timedelta(0):
        return day + delta if (_LAST_DAY - day) > delta else _LAST_DAY
    return day + delta if (day - _FIRST_DAY) > -delta else _FIRST_DAY


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    """How calendar feeds of this schedule behave.

    ``past_days`` and ``future_months`` set the default window (90 days back,
    15 months ahead); ``refresh_interval`` is what feeds ask calendar apps to
    poll at; ``max_years`` bounds an explicit window.
    """

    refresh_interval: timedelta = timedelta(hours=6)
    past_days: int = 90
    future_months: int = 15
    max_years: int = 5

    def __post_init__(self) -> None:
        if not timedelta(minutes=15) <= self.refresh_interval <= timedelta(days=7):
            raise ScheduleError(
                f"must be between PT15M and P7D, got {self.refresh_interval}",
                field="refresh_interval",
            )
        for name, low, high in (("past_days", 0, 3660), ("future_months", 1, 120), ("max_years", 1, 50)):
            whole_number(getattr(self, name), name, minimum=low, maximum=high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A recurring training schedule: slots, closures, changes and facts.

    Build one from a file with :func:`hmis_schedule.load_schedule` or take the
    built-in one with :func:`hmis_schedule.clackamas`. The schedule checks
    itself on construction; change it with :func:`dataclasses.replace`.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> [x.start.strftime("%a %d %b %H:%M") for x in s.sessions_between(date(2026, 11, 1), date(2026, 12, 1))]
    ['Mon 02 Nov 09:00', 'Mon 09 Nov 13:00', 'Mon 16 Nov 09:00', 'Mon 23 Nov 13:00', 'Mon 30 Nov 09:00']
    """

    id: str
    name: Text
    title: Text
    timezone: str
    updated: datetime
    uid_domain: str
    slots: tuple[Slot, ...]
    description: Text = field(default_factory=lambda: Text.of(""))
    url: str = ""
    holidays: HolidayCalendar | None = None
    closures: tuple[Closure, ...] = ()
    changes: tuple[Change, ...] = ()
    extras: tuple[ExtraSession, ...] = ()
    contact: Contact | None = None
    crisis: Crisis | None = None
    onboarding: Onboarding | None = None
    online: Online | None = None
    feed: FeedSettings = field(default_factory=FeedSettings)

    def __post_init__(self) -> None:
        offset = self.updated.utcoffset() if isinstance(self.updated, datetime) else None
        if offset is not None:
            # Keep the instant as its file form (a fixed offset), so a time in a zone's repeated
            # or skipped hour reads back equal: datetimes there never equal another zone's (PEP 495).
            object.__setattr__(self, "updated", self.updated.astimezone(dt_timezone(offset)))
        if isinstance(self.url, str) and self.url != self.url.strip():
            object.__setattr__(self, "url", self.url.strip())  # written into feeds and pages as it is
        # Every check runs, so a schedule file with several problems reports them all at once.
        errors = [
            *self._check_fields(),
            *self._check_ids(),
            *self._check_overlaps(),
            *self._check_closures(),
            *self._check_changes(),
        ]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ScheduleError("", choices=errors[0].choices, problems=[p for e in errors for p in e.problems])

    def _check_fields(self) -> Iterator[ScheduleError]:
        try:
            check_id(self.id)
        except ScheduleError as err:
            yield err
        try:
            zone_named(self.timezone)
        except ScheduleError as err:
            yield err
        if not isinstance(self.updated, datetime) or self.updated.utcoffset() is None:
            yield ScheduleError(
                f"expected a date and time with an offset, such as 2026-11-23T00:00:00Z, got {self.updated!r}",
                field="updated",
            )
        for name, parse in (("uid_domain", hostname), ("url", web_url)):
            try:
                parse(getattr(self, name), name)
            except ScheduleError as err:
                yield err
        if not self.slots and not self.extras:
            yield ScheduleError("a schedule needs at least one slot or extra session", field="slots")

    def _check_ids(self) -> Iterator[ScheduleError]:
        seen: dict[str, str] = {}
        named = [(f"slots[{i}]", s.id) for i, s in enumerate(self.slots)]
        named += [(f"extra_sessions[{i}]", e.id) for i, e in enumerate(self.extras)]
        for where, item_id in named:
            if item_id in seen:
                yield ScheduleError(
                    f"duplicate id {item_id!r}: {seen[item_id]} has it already",
                    field=f"{where}.id",
                )
            else:
                seen[item_id] = where

    def _check_overlaps(self) -> Iterator[ScheduleError]:
        for j, later in enumerate(self.slots):
            for i, earlier in enumerate(self.slots[:j]):
                if earlier.overlaps(later):
                    yield ScheduleError(
                        f"overlaps slots[{i}] ({earlier.id!r}): both can fall on the same "
                        f"{later.weekday.value} at overlapping times "
                        f"({earlier.start:%H:%M}-{earlier.end:%H:%M} and {later.start:%H:%M}-{later.end:%H:%M})",
                        field=f"slots[{j}]",
                    )
                    break

    def _check_closures(self) -> Iterator[ScheduleError]:
        seen: dict[date, int] = {}
        for i, closure in enumerate(self.closures):
            if closure.date in seen:
                yield ScheduleError(
                    f"{closure.date} is closed already by closures[{seen[closure.date]}]",
                    field=f"closures[{i}].date",
                )
            else:
                seen[closure.date] = i

    def _check_changes(self) -> Iterator[ScheduleError]:
        slots = {s.id: s for s in self.slots}
        extras = {e.id: e for e in self.extras}
        seen: dict[tuple[str, date], int] = {}
        try:
            zone: ZoneInfo | None = zone_named(self.timezone)
        except ScheduleError:
            zone = None  # reported by _check_fields; changes cannot be tried without a zone
        for i, change in enumerate(self.changes):
            where = f"changes[{i}]"
            if change.key in seen:
                yield ScheduleError(
                    f"changes[{seen[change.key]}] changes the same session already; "
                    "put both edits in one change",
                    field=where,
                )
                continue
            seen[change.key] = i
            if change.slot in slots:
                slot = slots[change.slot]
                if not slot.occurs_on(change.date):
                    nearby = ", ".join(
                        str(d)
                        for d in slot.dates(change.date - timedelta(days=45), change.date + timedelta(days=45))
                    )
                    yield ScheduleError(
                        f"slot {slot.id!r} has no session on {change.date} (nearby: {nearby or 'none'})",
                        field=f"{where}.date",
                    )
                    continue
            elif change.slot in extras:
                if extras[change.slot].date != change.date:
                    yield ScheduleError(
                        f"extra session {change.slot!r} is on {extras[change.slot].date}, not {change.date}",
                        field=f"{where}.date",
                    )
                    continue
            else:
                yield ScheduleError(
                    f"no slot or extra session has the id {change.slot!r}",
                    field=f"{where}.slot",
                    choices=[*slots, *extras],
                )
                continue
            if zone is not None:
                try:
                    change.apply(self._planned(change.slot, change.date), zone)
                except ScheduleError as err:
                    yield err.within(where)

    # -- the pipeline -------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone, from the pinned ``tzdata`` (:func:`~hmis_schedule.zones.zone_named`)."""
        return zone_named(self.timezone)

    @property
    def version(self) -> str:
        """A short fingerprint of everything in the schedule; it changes when anything does."""
        return _fingerprint(self)

    def _planned(self, slot_id: str, day: date) -> Session:
        """The session a slot (or extra) plans for ``day``, before changes and closures."""
        for slot in self.slots:
            if slot.id == slot_id:
                return self._session(slot, day)
        for extra in self.extras:
            if extra.id == slot_id:
                return self._extra_session(extra)
        raise SessionNotFoundError(f"no slot {slot_id!r}", field="slot")

    def _session(self, slot: Slot, day: date) -> Session:
        # The slot checked every part already, and wall-clock times on one day
        # keep their order, so the checks of Session.__post_init__ would only cost.
        start, end = local_times(day, slot.start, slot.end, self.zone)
        return Session._unchecked(
            session_uid(slot.id, day, self.uid_domain),  # uid
            slot.id,  # slot_id
            slot.ordinal,  # ordinal
            day,  # original_date
            start,
            end,
            slot.modality,
            slot.location,
            slot.room,
            slot.notes,
            Status.SCHEDULED,  # status
            "",  # reason
            0,  # sequence
        )

    def _extra_session(self, extra: ExtraSession) -> Session:
        start, end = local_times(extra.date, extra.start, extra.end, self.zone)
        return Session(
            uid=session_uid(extra.id, extra.date, self.uid_domain),
            slot_id=extra.id,
            ordinal=None,
            original_date=extra.date,
            start=start,
            end=end,
            modality=extra.modality,
            location=extra.location,
            room=extra.room,
            notes=extra.notes,
            sequence=extra.sequence,
        )

    def _planned_between(self, first: date, end: date) -> Iterator[Session]:
        """Stage 1-2: every planned session whose original date is in ``[first, end)``."""
        for slot in self.slots:
            for day in slot.dates(first, end):
                yield self._session(slot, day)
        for extra in self.extras:
            if first <= extra.date < end:
                yield self._extra_session(extra)

    def _closed_days(self, first: date, end: date) -> dict[date, tuple[str, int]]:
        """Every closed day in ``[first, end)``: (reason, sequence step). Dated closures win over holidays."""
        closed = {day: (name, 1) for day, name in (self.holidays.between(first, end) if self.holidays else {}).items()}
        closed.update((c.date, (c.reason, c.sequence)) for c in self.closures if first <= c.date < end)
        return closed

    def _apply(
        self,
        session: Session,
        changes: dict[tuple[str, date], Change],
        closed: dict[date, tuple[str, int]],
    ) -> Session:
        """Stage 3: the one-off change, then any closure of the day the session lands on."""
        change = changes.get((session.slot_id, session.original_date))
        if change is not None:
            session = change.apply(session, self.zone)
        if session.cancelled:
            return session
        closure = closed.get(session.day)
        if closure is None:
            return session
        reason, step = closure
        return dataclasses.replace(
            session, status=Status.CANCELLED, reason=reason, sequence=session.sequence + step
        )

    def _reach(self) -> timedelta:
        """How far (in days) any change moves a session, plus a day for time zones."""
        return _reach(self)

    def _instant(self, value: object, name: str) -> datetime:
        """``value`` as an instant in UTC, so comparisons never depend on a tzinfo's folds."""
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise WindowError(
                    f"{value.isoformat()} has no time zone: pass an aware datetime or a date",
                    field=name,
                )
            instant = value
        elif isinstance(value, date):
            instant = local_datetime(value, time(0), self.zone)
        else:
            raise WindowError(f"expected a date or an aware datetime, got {value!r}", field=name)
        try:
            utc = instant.astimezone(_UTC)
        except OverflowError:
            utc = None
        if utc is None or not _FIRST_DAY <= utc.date() <= _LAST_DAY:
            raise WindowError(
                f"{value.isoformat()} is out of range: use a time from {_FIRST_DAY} to {_LAST_DAY}",
                field=name,
            )
        return utc

    # -- queries ------------------------------------------------------------

    def sessions_between(
        self,
        start: date | datetime,
        end: date | datetime,
        *,
        modality: Modality | str | None = None,
        include_cancelled: bool = True,
    ) -> list[Session]:
        """The sessions that start in ``[start, end)``, sorted by start.

        Parameters
        ----------
        start, end:
            The window; ``end`` is exclusive. A date means midnight at the start
            of that day in the schedule's zone; a datetime must be aware and may
            be in any tzinfo (zoneinfo, pytz, fixed offsets).
        modality:
            Only sessions of this modality (``"online"`` or ``"in_person"``).
        include_cancelled:
            Whether cancelled sessions (closures, holidays, cancellations) are
            included; they are by default, with their reason.

        Returns
        -------
        A list of :class:`Session`, sorted by start. Empty when ``end <= start``.

        Raises
        ------
        WindowError
            For a naive datetime or anything that is not a date.

        >>> from hmis_schedule import clackamas
        >>> [(s.day.isoformat(), s.status.value, s.reason)
        ...  for s in clackamas().sessions_between(date(2026, 9, 7), date(2026, 9, 8))]
        [('2026-09-07', 'cancelled', 'Labor Day')]
        """
        lo = self._instant(start, "start")
        hi = self._instant(end, "end")
        wanted = _modality(modality)
        if hi <= lo:
            return []
        zone = self.zone
        reach = self._reach()
        first = _shift(lo.astimezone(zone).date(), -reach)
        last = _shift(hi.astimezone(zone).date(), reach + timedelta(days=1))
        changes = {c.key: c for c in self.changes}
        closed = self._closed_days(_shift(first, -reach), _shift(last, reach))
        # Compare in the schedule's zone (cheap: no UTC offsets looked up) unless a bound is
        # the second occurrence of a repeated wall-clock time: comparisons within one zone
        # ignore fold, and every session starts at a first occurrence (fold=0).
        lo_local, hi_local = lo.astimezone(zone), hi.astimezone(zone)
        if lo_local.fold == 0 and hi_local.fold == 0:
            lo, hi = lo_local, hi_local
        found = [
            s
            for s in (self._apply(p, changes, closed) for p in self._planned_between(first, last))
            if lo <= s.start < hi
            and (wanted is None or s.modality is wanted)
            and (include_cancelled or not s.cancelled)
        ]
        found.sort(key=_by_start)
        return found

    def next_session(
        self,
        after: date | datetime | None = None,
        *,
        modality: Modality | str | None = None,
    ) -> Session | None:
        """The first session that is not cancelled and starts strictly after ``after``.

        Parameters
        ----------
        after:
            An aware datetime, or a date (midnight at its start in the schedule's
            zone). Default: now, reckoned in the schedule's zone.
        modality:
            Only sessions of this modality.

        Returns
        -------
        The session, or ``None`` if there is none in the next ten years.

        >>> from datetime import datetime
        >>> from hmis_schedule import clackamas
        >>> s = clackamas()
        >>> s.next_session(datetime(2026, 11, 23, 13, 0, tzinfo=s.zone)).start.isoformat()
        '2026-11-30T09:00:00-08:00'
        """
        lo = self._instant(clock.now(self.zone) if after is None else after, "after")
        wanted = _modality(modality)
        horizon = min(lo, _LAST_INSTANT - timedelta(days=366 * _SEARCH_HORIZON_YEARS))
        horizon += timedelta(days=366 * _SEARCH_HORIZON_YEARS)
        window_start = lo
        while window_start < horizon:
            window_end = min(window_start, horizon - _SEARCH_STEP) + _SEARCH_STEP
            for session in self.sessions_between(
                window_start, window_end, modality=wanted, include_cancelled=False
            ):
                if session.start > lo:
                    return session
            window_start = window_end
        return None

    def session(self, uid: str) -> Session:
        """The session with this ``uid``, with its changes and closures applied.

        Raises
        ------
        SessionNotFoundError
            If no slot or extra session of this schedule makes that uid.

        >>> from hmis_schedule import clackamas
        >>> s = clackamas()
        >>> s.session(f"second-monday-20261214@{s.uid_domain}").full_location
        'PSB 216, 2051 Kaen Road, Oregon City, OR 97045'
        """
        slot_id, day = self._occurrence(uid)
        reach = self._reach()
        return self._apply(
            self._planned(slot_id, day),
            {c.key: c for c in self.changes},
            self._closed_days(_shift(day, -reach), _shift(day, reach + timedelta(days=1))),
        )

    def planned(self, uid: str) -> Session:
        """The session with this ``uid`` as its slot (or extra session) planned it, before any change or closure.

        A moved session's planned start is where it was moved from.

        Raises
        ------
        SessionNotFoundError
            As :meth:`session`.

        >>> from hmis_schedule import clackamas
        >>> s = clackamas()
        >>> s.planned(f"first-monday-20260907@{s.uid_domain}").status.value
        'scheduled'
        """
        return self._planned(*self._occurrence(uid))

    def _occurrence(self, uid: str) -> tuple[str, date]:
        """The slot id and planned date ``uid`` names, checked against this schedule."""
        parsed = parse_uid(uid) if isinstance(uid, str) else None
        if parsed is None or parsed[2] != self.uid_domain:
            raise SessionNotFoundError(f"no session has the uid {uid!r}", field="uid")
        slot_id, day, _ = parsed
        slot = next((s for s in self.slots if s.id == slot_id), None)
        extra = next((e for e in self.extras if e.id == slot_id), None)
        if (
            (slot is None or not slot.occurs_on(day)) and (extra is None or extra.date != day)
        ) or not _FIRST_DAY <= day <= _LAST_DAY:
            raise SessionNotFoundError(f"no session has the uid {uid!r}", field="uid")
        return slot_id, day

    def today(self, now: datetime | None = None) -> date:
        """Today's date in the schedule's zone (``now`` defaults to the clock)."""
        instant = clock.now(self.zone) if now is None else self._instant(now, "now")
        return instant.astimezone(self.zone).date()

    def slot(self, slot_id: str) -> Slot:
        """The slot with this id.

        Raises
        ------
        ScheduleError
            If there is none; the message lists the slot ids.
        """
        for slot in self.slots:
            if slot.id == slot_id:
                return slot
        raise ScheduleError(
            f"no slot has the id {slot_id!r}", field="slot", choices=[s.id for s in self.slots]
        )


def _by_start(session: Session) -> tuple[datetime, datetime, str]:
    return session.start, session.end, session.uid


def _modality(value: Modality | str | None) -> Modality | None:
    return None if value is None else _modality_value(value, "modality")


@functools.lru_cache(maxsize=64)
def _reach(schedule: Schedule) -> timedelta:
    moves = [(c.to_date - c.date).days for c in schedule.changes if c.to_date is not None]
    days = max(map(abs, moves), default=0)
    return timedelta(days=days + 1)


@functools.lru_cache(maxsize=64)
def _fingerprint(schedule: Schedule) -> str:
    # The repr of the frozen value names every field of every part, in order: equal schedules
    # (read from the same file) give equal fingerprints, any change gives another.
    return hashlib.sha256(repr(schedule).encode()).hexdigest()[:16]

