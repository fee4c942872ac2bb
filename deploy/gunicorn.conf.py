"""gunicorn settings for Engage, read from the environment like the app's own.

    gunicorn -c deploy/gunicorn.conf.py

Behind a reverse proxy (TLS ends there): the proxy's address goes in
ENGAGE_FORWARDED_ALLOW_IPS so the app sees the client's scheme and address.
"""

import multiprocessing
import os

wsgi_app = "engage.wsgi:app"
bind = os.environ.get("ENGAGE_BIND", "127.0.0.1:8000").split(",")
# Threads per process: requests mostly wait on PostgreSQL, and a thread is cheaper than a
# process; processes use the cores.
worker_class = "gthread"
workers = int(os.environ.get("ENGAGE_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("ENGAGE_WEB_THREADS", "4"))
timeout = int(os.environ.get("ENGAGE_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (plus jitter), which bounds slow leaks.
max_requests = int(os.environ.get("ENGAGE_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("ENGAGE_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker builds its own app (and connection pool) after the fork: nothing that holds a
# socket is shared between processes.
preload_app = False
# The app logs one JSON line per request (engage.logs); gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ENGAGE_LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "timestamp": "time",
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json",
                    "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
    },
}
# gunicorn's control socket (one fixed path per user) is not used: systemd reloads with
# SIGHUP, and two instances on one host would fight over the path.
control_socket_disable = True
