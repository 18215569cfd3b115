"""gunicorn's settings for the cabinet: `gunicorn -c gunicorn.conf.py …` (gunicorn also reads this file by itself
when started in this folder). The command line still chooses workers and the address.

What it changes: the Server header names no product, and the answers gunicorn writes itself, for a request it
cannot read (a malformed request line, a header too long: 400, 414, 431), carry the cabinet's security headers
and no echo of the request. Checked against gunicorn 27 by tests/test_security.py.
"""

import gc
import os
import sys

import gunicorn.http.wsgi
import gunicorn.util

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cabinet.security import HEADERS, HSTS  # noqa: E402  (the cabinet's folder first)

#: instead of "gunicorn": nothing for a scanner to match against a list of known flaws
gunicorn.http.wsgi.SERVER = "cabinet"


def write_error(sock, status_int, reason, mesg):
    """gunicorn's own error answer, with the cabinet's headers; only the status, in no language, as its body."""
    body = f'<!doctype html>\n<html lang="kk"><title>{status_int}</title><h1>{status_int}</h1></html>\n'
    headers = {**HEADERS, "Cache-Control": "no-store", "Server": gunicorn.http.wsgi.SERVER}
    if os.environ.get("CABINET_ENV") == "production":
        headers["Strict-Transport-Security"] = HSTS
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    gunicorn.util.write_nonblock(sock, (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{head}\r\n{body}").encode("latin-1"))


gunicorn.util.write_error = write_error


def post_worker_init(worker):
    """Each worker, with the app loaded: everything made so far frozen out of the cycle collector. A full collection
    walked the app's ~200,000 start-up objects (~110 ms here) and landed in about one PDF render in five; frozen, it
    walks only what requests made. The PDF and signing stack is not loaded here: the first document a worker renders
    loads it and parses the fonts (`cabinet.documents.lazy`, ~1.5 s once), so a worker that renders none is ~60 MB
    smaller."""
    gc.collect()
    gc.freeze()
