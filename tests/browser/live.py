"""Engage served over HTTP on loopback for the browser tests: a real server thread in front
of the real app, on a database whose commits are real (the browser and the test's in-process
calls to the sweep must see each other's work)."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import make_server

# The providers (tests/oidc_support) live on ``localhost``; the app on 127.0.0.1. Cookies
# are kept per host, not per port, so two host names keep Engage's session cookie and the
# providers' apart in the one browser.
APP_HOST = "127.0.0.1"


class LiveServer:
    """``app`` answering at ``url`` from a daemon thread until :meth:`stop`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server(APP_HOST, 0, app, threaded=True)
        self.url = f"http://{APP_HOST}:{self.server.server_port}"
        # Links in notifications and letters point at this server.
        app.config["ENGAGE_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
