"""A Flask app served for real on a loopback port, so a browser can talk to it over HTTP."""

import threading

from werkzeug.serving import make_server


class LiveServer:
    """Werkzeug's threaded server on 127.0.0.1 and a free port, run in a background thread."""

    def __init__(self, app, host: str = "127.0.0.1"):
        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        """Stop accepting requests and free the port before the test's database is emptied."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
