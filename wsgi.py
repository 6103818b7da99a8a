"""WSGI entry point for any server: `gunicorn wsgi:app`."""

from searchsvc import create_app

app = create_app()
