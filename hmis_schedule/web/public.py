"""This request's public addresses: ``HMIS_BASE_URL`` when it is set, else the request's own root.

Every link the app writes (pages, feeds, JSON) comes from the
:class:`~hmis_schedule.addresses.Addresses` this module gives, or from
:func:`link` for the pages' own links (stylesheet, script, icon, embed, API),
so the public root is decided in one place. With ``HMIS_BASE_URL`` set, no
request header changes a link; without it, the request's scheme, host and
root path were checked by :class:`~hmis_schedule.web.origin.RequestOrigin`
before the request got here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.routing import MapAdapter
from werkzeug.sansio.utils import get_current_url

from hmis_schedule.addresses import Addresses

from . import sources

__all__ = ["addresses", "base_url", "link", "link_root"]


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


def link_root() -> str:
    """What the pages' own links start with: the path of ``HMIS_BASE_URL``, else the request's root path.

    Root-relative (``""`` or ``/hmis``), so a page's stylesheet and script
    come from the origin that served the page, as its CSP (``'self'``) wants.
    """
    configured = sources.settings().base_url
    if configured:
        return urlsplit(configured).path.rstrip("/")
    return request.script_root


def link(endpoint: str, **values: Any) -> str:
    """The root-relative URL of ``endpoint`` under :func:`link_root`.

    Unlike ``url_for`` it does not read the request's host, so it cannot
    fail on one (an error page uses it too).
    """
    adapter: MapAdapter | None = current_app.extensions.get("hmis_links")
    if adapter is None:
        adapter = current_app.url_map.bind("localhost")
        current_app.extensions["hmis_links"] = adapter
    return link_root() + adapter.build(endpoint, values)
