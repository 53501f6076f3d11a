"""The web app: the public page, the embed widget, the calendar feeds and a small JSON API.

A thin Flask app over :mod:`hmis_schedule`, one module per concern:

- :mod:`.factory`: :func:`create_app` wires the parts below (flaskr style);
- :mod:`.settings`: every setting, read and checked once;
- :mod:`.sources`: the schedule and the private feeds' secrets and revocations;
- :mod:`.params`: query parameters, checked, to library values;
- :mod:`.feeds`, :mod:`.api`, :mod:`.pages`: the routes (blueprints);
- :mod:`.public`: the request's public addresses;
- :mod:`.cache` and :mod:`.responses`: rendered bodies, validators, caching headers;
- :mod:`.errors`: every error in its route's form;
- :mod:`.origin`: which Host and proxy headers are believed (``400`` when malformed);
- :mod:`.middleware`: warm feeds without Flask, the request's origin, security headers;
- :mod:`.templating`: gettext and Babel in templates;
- :mod:`.gunicorn_config`: gunicorn's settings (no token in any log).

Templates, static files and the pages' translations live beside these
modules and ship in the wheel. Serve with ``hmis-schedule serve`` or
``gunicorn 'hmis_schedule.web:app_from_environment()'``.
"""

from .factory import app_from_environment, create_app
from .settings import ENVIRONMENT, ConfigError, Settings, load_settings

__all__ = ["ENVIRONMENT", "ConfigError", "Settings", "app_from_environment", "create_app", "load_settings"]
