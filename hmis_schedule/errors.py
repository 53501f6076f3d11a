"""The one error tree of hmis_schedule.

Every error the library raises on purpose is a :class:`ScheduleError`, which is
a :class:`ValueError`, so callers that only care about "bad input" can catch
``ValueError``. Each error carries its context as attributes (the file, the
field path, the valid choices) and a message a non-programmer can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Problem",
    "ScheduleError",
    "SessionNotFoundError",
    "WindowError",
    "one_line",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a schedule: where (``field``) and what (``message``).

    ``field`` is a path such as ``slots[2].start``; it is empty for a problem
    with the file as a whole (for example a TOML syntax error).
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _choices_text(choices: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in choices[:12])
    more = f" and {len(choices) - 12} more" if len(choices) > 12 else ""
    return f" (expected one of {shown}{more})"


class ScheduleError(ValueError):
    """A schedule, a schedule file or a query is not valid.

    Attributes
    ----------
    source:
        The file (or other source name) the schedule came from, or ``None``.
    problems:
        Every problem found, each with its field path. A value built in code
        has one problem; a schedule file reports all it found at once.
    choices:
        The valid choices for the first problem, where there is a fixed set.

    >>> err = ScheduleError("must be 1 to 5 or -1", field="slots[0].ordinal")
    >>> str(err)
    'slots[0].ordinal: must be 1 to 5 or -1'
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(
        self,
        message: str,
        *,
        field: str = "",
        source: str | None = None,
        choices: Sequence[str] = (),
        problems: Iterable[Problem] = (),
    ) -> None:
        self.choices = tuple(choices)
        text = message + (_choices_text(self.choices) if self.choices else "")
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem(field, text),)
        self.source = source
        super().__init__(str(self))

    @property
    def field(self) -> str:
        """The field path of the first problem (``""`` for the whole file)."""
        return self.problems[0].field

    @property
    def message(self) -> str:
        """The message of the first problem, without its field path."""
        return self.problems[0].message

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            body = lines[0]
        else:
            body = f"{len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines)
        return f"{self.source}: {body}" if self.source else body

    def within(self, prefix: str, source: str | None = None) -> ScheduleError:
        """Return a copy of this error with every field path put under ``prefix``.

        >>> ScheduleError("bad", field="start").within("slots[1]").field
        'slots[1].start'
        """
        problems = [Problem(_join(prefix, p.field), p.message) for p in self.problems]
        err = type(self).__new__(type(self))
        ScheduleError.__init__(
            err,
            "",
            source=source or self.source,
            choices=self.choices,
            problems=problems,
        )
        return err


def _join(prefix: str, field: str) -> str:
    if not prefix:
        return field
    if not field:
        return prefix
    return f"{prefix}{field}" if field.startswith("[") else f"{prefix}.{field}"


class WindowError(ScheduleError):
    """A query window or instant is not valid (naive datetime, end before start, too wide)."""


class SessionNotFoundError(ScheduleError, LookupError):
    """No session of the schedule has the uid that was asked for."""


def one_line(err: BaseException) -> str:
    """An error as one line, for a log or a start-up message: a schedule error's problems joined with ``; ``.

    >>> one_line(ScheduleError("is required", field="name", source="x.toml"))
    'x.toml: name: is required'
    >>> one_line(OSError("disk\\nfull"))
    'disk; full'
    """
    if isinstance(err, ScheduleError):
        body = "; ".join(str(p) for p in err.problems)
        return f"{err.source}: {body}" if err.source else body
    return str(err).replace("\n", "; ") or type(err).__name__
