"""This request's public addresses: ``HMIS_BASE_URL`` when it is set, else the request's own root.

Every link the app writes (pages, feeds, JSON) comes from the
:class:`~hmis_schedule.addresses.Addresses` this module gives, so the public
root is decided in one place.
"""

from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.sansio.utils import get_current_url

from hmis_schedule.addresses import Addresses

from . import sources

__all__ = ["addresses", "base_url"]


@lru_cache(maxsize=64)
def _root_url(scheme: str, host: str, root_path: str) -> str:
    """``request.url_root`` without its slash, memoized (building it costs as much as a cached response)."""
    return get_current_url(scheme, host, root_path).rstrip("/")


def base_url() -> str:
    """The public root links start with, without a trailing slash."""
    return sources.settings().base_url or _root_url(request.scheme, request.host, request.root_path)


def addresses() -> Addresses:
    """The public addresses under :func:`base_url`."""
    return Addresses(base_url())
