"""WSGI entry point for any server: `gunicorn wsgi:app`."""

import atexit

from searchsvc import create_app
from searchsvc.web.querylog import close_app

app = create_app()
# the process that serves this app ends with it: the query log writes what it still holds
atexit.register(close_app, app)
