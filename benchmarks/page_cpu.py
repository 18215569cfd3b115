"""CPU time per request of the pages throughput.py serves, in-process: steadier than req/s on a shared machine.

    .venv/bin/python benchmarks/page_cpu.py [--requests 300] [--rounds 5] [--profile LABEL] [--database-url URL]

Uses the empty bench database throughput.py generates (bench-data/empty.sqlite; made if missing), the bench app
with the same settings as under gunicorn (CSRF protection on), a real sign-in through the form, and requests sent
straight into the WSGI app (cookies kept as a browser keeps them); prints per page the median over rounds of the
mean process CPU time per request, beside plain_app's. --profile LABEL prints the cProfile of that page's requests
instead (cumulative time, the top entries).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import EnvironBuilder  # noqa: E402

from benchmarks import generate  # noqa: E402
from benchmarks.shared import DATA, PASSWORD, app_config  # noqa: E402
from benchmarks.throughput import HELLO, PLAIN_PAGE, pages, plain_database_url, plain_pages, prepared  # noqa: E402

EMPTY = {"subjects": 0, "events": 0, "complaints": 0}


class Browser:
    """Requests straight into the WSGI app, keeping cookies as a browser does: the test client's own work (its
    cookie jar, URL rebuilding, response wrapping) would otherwise be a third of a small page's figure."""

    def __init__(self, app):
        self.app, self.cookies, self.environs = app, {}, {}

    def request(self, path: str, method: str = "GET", data: dict | None = None) -> tuple[str, bytes]:
        if data is not None:
            environ = EnvironBuilder(path, method=method, data=data).get_environ()
        else:
            if path not in self.environs:
                self.environs[path] = EnvironBuilder(path).get_environ()
            environ = dict(self.environs[path], **{"wsgi.input": io.BytesIO()})
        environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        body = self.app(environ, start_response)
        try:
            data_out = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return answer["status"], data_out


def signed_in(app, email: str | None) -> Browser:
    """A browser that signed in through the form with its CSRF token."""
    browser = Browser(app)
    if email and email != "plain":
        _status, form = browser.request("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.decode()).group(1)
        status, _body = browser.request("/login", "POST", {"email": email, "password": PASSWORD, "csrf_token": token})
        if not status.startswith("302"):
            raise RuntimeError(f"signing in as {email} failed: {status}")
    return browser


def cpu_ms(browser: Browser, page, requests: int) -> float:
    """Mean process CPU milliseconds per GET; every answer must be the page (200 with its marker)."""
    marker = page.marker.encode()
    started = time.process_time()
    for _ in range(requests):
        status, body = browser.request(page.path)
        if not status.startswith("200") or marker not in body:
            raise RuntimeError(f"{page.path} answered {status} without {page.marker!r}")
    return (time.process_time() - started) * 1000 / requests


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="a page label (e.g. overview) to profile instead")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative, tottime")
    parser.add_argument("--callees", help="also what the functions matching this pattern call, in the profile")
    parser.add_argument("--callers", help="also what calls the functions matching this pattern, in the profile")
    parser.add_argument("--database-url", default=f"sqlite:///{DATA / 'empty.sqlite'}")
    args = parser.parse_args(argv)
    from benchmarks.bench_app import create_bench_app
    from benchmarks.plain_app import create_plain_app

    manifest = prepared(args.database_url, EMPTY)
    app = create_bench_app(app_config(args.database_url, generate.folder_for(args.database_url)))
    clients: dict = {"plain": Browser(create_plain_app(plain_database_url("sqlite", "")))}
    chosen = [p for p in plain_pages() + pages(manifest) if args.profile in (None, p.label)]
    for page in chosen:
        page.account = page.account or ("plain" if page.label.startswith("plain") else None)
        if page.account not in clients:
            clients[page.account] = signed_in(app, page.account)
        cpu_ms(clients[page.account], page, 20)  # warm: templates compiled, caches filled
    if args.profile:
        page = chosen[0]
        profiler = cProfile.Profile()
        profiler.runcall(cpu_ms, clients[page.account], page, args.requests)
        stats = pstats.Stats(profiler).sort_stats(args.sort)
        stats.print_stats(60)
        if args.callees:
            stats.print_callees(args.callees)
        if args.callers:
            stats.print_callers(args.callers)
        return 0
    figures = {page.label: [] for page in chosen}
    for _round in range(args.rounds):  # interleaved: a burst of other work on the machine touches every page
        for page in chosen:
            figures[page.label].append(cpu_ms(clients[page.account], page, args.requests))
    medians = {label: statistics.median(values) for label, values in figures.items()}
    least = {label: min(values) for label, values in figures.items()}
    print(f"{'page':22} {'CPU ms/request':>15} {'least':>7} {'plain ÷ page':>13} {'calls/request':>14}   (median "
          f"and least of {args.rounds} rounds of {args.requests}; load {os.getloadavg()[0]:.2f})")
    for page in chosen:
        against = medians.get(HELLO if page.kind == "bare" else PLAIN_PAGE)
        ratio = f"{against / medians[page.label]:13.2f}" if against else ""
        print(f"{page.label:22} {medians[page.label]:15.3f} {least[page.label]:7.3f} {ratio:>13} "
              f"{function_calls(clients[page.account], page):14.0f}")
    return 0


def function_calls(browser: Browser, page, requests: int = 20) -> float:
    """Python function calls per request (cProfile's count): the same on a busy machine as on an idle one."""
    profiler = cProfile.Profile()
    profiler.runcall(cpu_ms, browser, page, requests)
    return pstats.Stats(profiler).total_calls / requests


if __name__ == "__main__":
    sys.exit(main())
