"""The WSGI entry point: ``gunicorn server:app``. The app itself is :mod:`hmis_schedule.web`."""

from hmis_schedule.web import app_from_environment

app = app_from_environment()
