"""The WSGI entry point for gunicorn (``deploy/gunicorn.conf.py``): ``engage.wsgi:app``."""

from engage import create_app

app = create_app()
