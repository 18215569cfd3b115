"""Requests per second and latency of the main pages under gunicorn, beside a bare page and template-plus-query.

    .venv/bin/python benchmarks/throughput.py [--engines sqlite,postgresql] [--seconds 10] [--rounds 1]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432] [--subjects N --events N --complaints N]

For each engine: an empty database and a full one (made by generate.py, reused while their sizes match),
each served by gunicorn with 2 sync workers on a free loopback port and loaded by wrk with 16 connections,
every URL warmed up first. Signed-in pages carry the session cookie of a real sign-in, which wrk's connections
then keep up to date as a browser does (browser.lua: a renewed session cookie replaces the old one). The SQL statements
per page are counted in-process (one request through the Flask test client) on both databases.
"""

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from benchmarks import generate  # noqa: E402
from benchmarks.shared import (  # noqa: E402
    DATA,
    PASSWORD,
    ROOT,
    SUBJECT,
    SUPPORT,
    TRANSLATOR,
    app_config,
    app_environment,
    statements_of,
    upgrade_schema,
)

WORKERS, CONNECTIONS, THREADS = 2, 16, 2
#: the issue's targets
OVERVIEW_SHARE, FULL_OVER_EMPTY = 0.60, 1.30
BASELINE = "template+query"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass
class Page:
    label: str
    path: str
    #: who must be signed in to see it (None: anybody)
    account: str | None = None


@dataclass
class Result:
    page: Page
    rps: float
    p50: float
    p99: float
    queries: int


def pages(manifest: dict) -> list[Page]:
    return [Page("bare", "/bench/bare"), Page(BASELINE, f"/bench/template/{manifest['subject_id']}"),
            Page("overview", "/cabinet", SUBJECT),
            Page("complaint", f"/cabinet/complaints/{manifest['complaint']}", SUBJECT),
            Page("staff queue", "/staff/complaints", SUPPORT), Page("catalog ru", "/translate/ru", TRANSLATOR)]


def database_urls(engine: str, postgres: str, subjects: int) -> dict[str, str]:
    """Where the empty and the full database of an engine live; full ones of other sizes live beside."""
    names = {"empty": "empty", "full": f"full{subjects}"}
    if engine == "sqlite":
        return {size: f"sqlite:///{DATA / f'{name}.sqlite'}" for size, name in names.items()}
    return {size: f"{postgres.rstrip('/')}/cabinet_bench_{name}" for size, name in names.items()}


def prepared(url: str, sizes: dict, regenerate: bool = False) -> dict:
    """The manifest of the database at the URL, generated if missing or of other sizes; schema brought up to date."""
    manifest = None if regenerate else generate.existing(url, **sizes)
    if manifest is None:
        print(f"generating {url} with {sizes} …", file=sys.stderr, flush=True)
        manifest = generate.build(url, **sizes)
    else:
        from benchmarks.bench_app import create_bench_app

        upgrade_schema(create_bench_app(app_config(url, generate.folder_for(url))))
    return manifest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the bench app on a free loopback port, for the length of a `with` block."""

    def __init__(self, url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **app_environment(url, generate.folder_for(url)), "PYTHONPATH": str(ROOT)}

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", str(ROOT / "gunicorn.conf.py"), "--workers", str(WORKERS),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "benchmarks.bench_app:create_bench_app()"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.base}/bench/bare", timeout=10).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc_info) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def sign_in(base: str, email: str) -> str:
    """The session cookie of a real sign-in through the form (CSRF token included), as a Cookie header."""
    browser = requests.Session()
    form = browser.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = browser.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False)
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code}")
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def check(base: str, page: Page, cookie: str | None) -> None:
    """The page answers 200 to this cookie: a redirect to the sign-in page would make wrk time the wrong thing."""
    response = requests.get(base + page.path, headers={"Cookie": cookie} if cookie else {}, allow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"{page.path} answered {response.status_code}")


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
#: wrk keeps the cookies it is sent, as a browser does (see the script)
BROWSER_COOKIES = Path(__file__).with_name("browser.lua")


def wrk(url: str, cookie: str | None, seconds: int) -> tuple[float, float, float]:
    """Requests per second, median and 99th percentile latency in ms; any non-2xx answer is an error."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency",
               "--script", str(BROWSER_COOKIES), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors on {url}:\n{output}")

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * UNITS[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rps, latency("50"), latency("99")


def statement_counts(url: str, manifest: dict) -> dict[str, int]:
    """SQL statements per page, one test-client request each, signed in as the page's account."""
    from benchmarks.bench_app import create_bench_app
    from cabinet.extensions import db

    app = create_bench_app({**app_config(url, generate.folder_for(url)), "WTF_CSRF_ENABLED": False})
    counts, clients = {}, {}
    for page in pages(manifest):
        if page.account not in clients:
            clients[page.account] = app.test_client()
            if page.account:
                clients[page.account].post("/login", data={"email": page.account, "password": PASSWORD})
        counts[page.label] = statements_of(app, clients[page.account], page.path)
    with app.app_context():
        db.engine.dispose()
    return counts


def measure(urls: dict[str, str], manifests: dict[str, dict], seconds: int, warmup: int,
            rounds: int = 1) -> dict[str, list[Result]]:
    """Every page on the empty and the full database, one right after the other, so that the load of the rest
    of the machine drifts as little as possible between the two; the best of `rounds` runs of each."""
    counts = {size: statement_counts(urls[size], manifests[size]) for size in urls}
    best: dict[tuple[str, str], Result] = {}
    with contextlib.ExitStack() as stack:
        servers = {size: stack.enter_context(Server(url)) for size, url in urls.items()}
        cookies = {size: {account: sign_in(server.base, account) for account in (SUBJECT, SUPPORT, TRANSLATOR)}
                   for size, server in servers.items()}
        for _round in range(rounds):
            for index in range(len(pages(manifests["empty"]))):
                for size, server in servers.items():
                    page = pages(manifests[size])[index]
                    cookie = cookies[size].get(page.account)
                    check(server.base, page, cookie)
                    wrk(server.base + page.path, cookie, warmup)
                    result = Result(page, *wrk(server.base + page.path, cookie, seconds), counts[size][page.label])
                    check(server.base, page, cookie)
                    if (size, page.label) not in best or result.rps > best[size, page.label].rps:
                        best[size, page.label] = result
    return {size: [r for (s, _label), r in best.items() if s == size] for size in urls}


def table(headers: list[str], rows: list[list]) -> str:
    rule = "|".join("---:" if i else "---" for i in range(len(headers)))
    lines = ["| " + " | ".join(headers) + " |", f"|{rule}|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(engine: str, runs: dict[str, list[Result]], manifests: dict[str, dict], rounds: int = 1) -> str:
    """The two tables of an engine and the verdicts against the targets, in markdown."""
    rows = []
    for size, results in runs.items():
        by_label = {r.page.label: r for r in results}
        for r in results:
            rows.append([size, f"`{r.page.path}`" if r.page.account else r.page.label, f"{r.rps:.0f}", f"{r.p50:.1f}",
                         f"{r.p99:.1f}", f"{r.rps / by_label[BASELINE].rps:.2f}", f"{r.rps / by_label['bare'].rps:.2f}",
                         r.queries])
    full = manifests["full"]
    lines = [f"### {engine}: pages under gunicorn ({WORKERS} sync workers, wrk {CONNECTIONS} connections)", "",
             table(["database", "page", "req/s", "p50 ms", "p99 ms", "÷ template+query", "÷ bare", "queries"], rows),
             "", f"Full database: {full['subjects']:,} subjects, {full['events']:,} audit events, "
             f"{full['complaints']:,} complaints. Best of {rounds} round(s); empty and full measured one right "
             "after the other, page by page.", ""]
    empty, loaded = ({r.page.label: r for r in runs[size]} for size in ("empty", "full"))
    comparison = [[label, f"{empty[label].rps:.0f}", f"{loaded[label].rps:.0f}",
                   f"{empty[label].rps / loaded[label].rps:.2f}", f"{loaded[label].p50 / empty[label].p50:.2f}",
                   f"{empty[label].queries} / {loaded[label].queries}"] for label in empty]
    lines += [table(["page", "empty req/s", "full req/s", "full ÷ empty time", "full ÷ empty p50",
                     "queries empty / full"], comparison), ""]
    lines += verdicts(empty, loaded)
    return "\n".join(lines) + "\n"


def verdicts(empty: dict, loaded: dict) -> list[str]:
    """Each target met or not, one line each."""
    lines = []
    for size, results in (("empty", empty), ("full", loaded)):
        share = results["overview"].rps / results[BASELINE].rps
        lines.append(f"- {'met' if share >= OVERVIEW_SHARE else 'MISSED'}: overview at {share:.0%} of "
                     f"template+query on the {size} database (target ≥ {OVERVIEW_SHARE:.0%})")
    for label in empty:
        if label in ("bare", BASELINE):
            continue
        slower = empty[label].rps / loaded[label].rps
        same = empty[label].queries == loaded[label].queries
        lines.append(f"- {'met' if slower <= FULL_OVER_EMPTY and same else 'MISSED'}: {label} full ÷ empty "
                     f"{slower:.2f} (target ≤ {FULL_OVER_EMPTY}), queries {empty[label].queries} / "
                     f"{loaded[label].queries}")
    return lines


def run(engine: str, *, postgres: str, sizes: dict, seconds: int, warmup: int, rounds: int = 1,
        regenerate: bool = False):
    """Measure both databases of an engine; returns the report and the full database's manifest."""
    urls = database_urls(engine, postgres, sizes["subjects"])
    manifests = {"empty": prepared(urls["empty"], {"subjects": 0, "events": 0, "complaints": 0}, regenerate),
                 "full": prepared(urls["full"], sizes, regenerate)}
    runs = measure(urls, manifests, seconds, warmup, rounds)
    return report(engine, runs, manifests, rounds), manifests["full"]


def size_arguments(parser) -> None:
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL without a database name")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true", help="generate the databases even if present")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's run per page and database")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="runs per page; the best counts (noisy machines)")


def sizes_of(args) -> dict:
    return {"subjects": args.subjects, "events": args.events, "complaints": args.complaints}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size_arguments(parser)
    args = parser.parse_args(argv)
    for engine in args.engines.split(","):
        text, _manifest = run(engine, postgres=args.postgres, sizes=sizes_of(args), seconds=args.seconds,
                              warmup=args.warmup, rounds=args.rounds, regenerate=args.regenerate)
        print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
