"""A WSGI app for the log tests: the real app, whose Spanish feeds fail to render (a private route that raises)."""

from typing import Any

from hmis_schedule import feed
from hmis_schedule.web import app_from_environment

_render_feed = feed.render_feed


def _spanish_breaks(*args: Any, **kwargs: Any) -> bytes:
    if kwargs.get("lang") == "es":
        raise RuntimeError("the Spanish feed broke (on purpose, for a test)")
    return _render_feed(*args, **kwargs)


feed.render_feed = _spanish_breaks  # type: ignore[assignment]
app = app_from_environment()
