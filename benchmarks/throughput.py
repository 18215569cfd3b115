"""Requests per second and latency of the cabinet's pages under gunicorn, against a plain Flask app in the same run.

    .venv/bin/python benchmarks/throughput.py [--engines sqlite,postgresql] [--seconds 5] [--rounds 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432] [--subjects N --events N --complaints N]

The yardstick is benchmarks/plain_app.py (hello; a 2.3 KB template after one primary-key query on its own table),
served by the same gunicorn settings (2 sync workers) and measured right before and after every cabinet page, so
that each ratio compares figures taken under the same load of the rest of the machine. Each cabinet page runs on an
empty database and a full one (made by generate.py, reused while their sizes match) for the same bench subject,
one right after the other; wrk with 16 connections keeps the cookies of a real sign-in as a browser does and counts
every answer that is not a 200 holding the page's marker as a failure (browser.lua). Figures are medians of the
rounds; the 1-minute load average is recorded beside each. SQL statements per page are counted in-process.
"""

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from benchmarks import generate  # noqa: E402
from benchmarks.shared import (  # noqa: E402
    COHORT,
    DATA,
    PASSWORD,
    ROOT,
    SUBJECT,
    SUPPORT,
    TRANSLATOR,
    app_config,
    app_environment,
    database_exists,
    recreate_database,
    statements_of,
    upgrade_schema,
)

WORKERS, CONNECTIONS, THREADS = 2, 16, 2
#: the issue's targets: a share of the plain page per kind of page, and the growth allowed on a full database
TARGETS = {"bare": 0.80, "public": 0.90, "overview": 0.70, "subject": 0.50}
FULL_OVER_EMPTY = 1.20
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
HELLO, PLAIN_PAGE = "plain hello", "plain template+query"


@dataclass
class Page:
    label: str
    path: str
    #: text the answer must hold: a sign-in page or an error page instead is a failure, not throughput
    marker: str
    #: who must be signed in to see it (None: anybody)
    account: str | None = None
    #: which target it is held to (TARGETS), or None for staff pages and the yardsticks
    kind: str | None = None


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    #: the plain app's req/s right before and after, for the page's ratio
    plain: float
    load: float


def plain_pages() -> list[Page]:
    from benchmarks.plain_app import MARKER

    return [Page(HELLO, "/hello", MARKER), Page(PLAIN_PAGE, "/page/1", MARKER)]


def pages(manifest: dict) -> list[Page]:
    """The cabinet's pages, with the Kazakh text (the default language) each must show."""
    return [Page("bare route", "/bench/bare", "ok", kind="bare"),
            Page("policy", "/policy", "құпиялық саясаты", kind="public"),
            Page("home", "/", "Дербес деректеріңіз — өз қолыңызда</h1>", kind="public"),
            Page("sign-in form", "/login", "Кіру</h1>", kind="public"),
            # no target: the floor of every signed-in page (the session, the user, the hooks), against the plain page
            Page("bare signed in", "/bench/bare", "ok", SUBJECT),
            Page("overview", "/cabinet", "<h1>Сәлеметсіз бе", SUBJECT, "overview"),
            Page("profile", "/cabinet/profile", "<h1>Менің деректерім", SUBJECT, "subject"),
            Page("complaints", "/cabinet/complaints", "<h1>Шағымдар", SUBJECT, "subject"),
            Page("complaint", f"/cabinet/complaints/{manifest['complaint']}", manifest["complaint"], SUBJECT,
                 "subject"),
            Page("consents", "/cabinet/consents", "<h1>Менің келісімдерім", SUBJECT, "subject"),
            Page("access log", "/cabinet/access-log", "<h1>Қол жеткізу журналы", SUBJECT, "subject"),
            Page("staff queue", "/staff/complaints", "<h1>Шағымдар кезегі", SUPPORT),
            Page("staff deadlines", "/staff", "<h1>Мерзімдер", SUPPORT),
            # a page of the cohort both databases hold (generate.bench_accounts): by the surname a twelfth of the
            # generated subjects share, and by an e-mail prefix; the marker is the link to a second page (a full first)
            Page("staff search, name", f"/staff/subjects?q={quote('Оспанов')}", "page=2", SUPPORT),
            Page("staff search, e-mail", f"/staff/subjects?q={COHORT}", "page=2", SUPPORT),
            Page("catalog ru", "/translate/ru", 'action="/logout"', TRANSLATOR)]


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
    """gunicorn serving an app on a free loopback port, for the length of a `with` block."""

    def __init__(self, app: str, environment: dict, probe: str):
        self.app, self.probe, self.port = app, probe, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **environment, "PYTHONPATH": str(ROOT)}

    @classmethod
    def cabinet(cls, url: str) -> "Server":
        return cls("benchmarks.bench_app:create_bench_app()", app_environment(url, generate.folder_for(url)),
                   "/bench/bare")

    @classmethod
    def plain(cls, url: str) -> "Server":
        return cls("benchmarks.plain_app:create_plain_app()", {"PLAIN_DATABASE_URL": url}, "/hello")

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", str(ROOT / "gunicorn.conf.py"), "--workers", str(WORKERS),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", self.app],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.base + self.probe, timeout=10).ok:
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
    browser = signed_in(base, email)
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def signed_in(base: str, email: str) -> requests.Session:
    """A browser signed in through the form (CSRF token included); it keeps its cookies."""
    browser = requests.Session()
    form = browser.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = browser.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False)
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code}")
    return browser


def check(base: str, page: Page, cookie: str | None) -> None:
    """The page answers 200 with its marker to this cookie: a redirect to the sign-in page would time the wrong one."""
    response = requests.get(base + page.path, headers={"Cookie": cookie} if cookie else {}, allow_redirects=False)
    if response.status_code != 200 or page.marker not in response.text:
        raise RuntimeError(f"{page.path} answered {response.status_code} without {page.marker!r}")


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
#: wrk keeps the cookies it is sent, as a browser does, and counts answers without the marker (see the script)
BROWSER_COOKIES = Path(__file__).with_name("browser.lua")


def wrk(url: str, page: Page, cookie: str | None, seconds: int) -> tuple[float, float, float]:
    """Requests per second, median and 99th percentile latency in ms; any failed answer stops the run."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency",
               "--script", str(BROWSER_COOKIES), url, "--", page.marker]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    failures = re.search(r"Marker failures: (\d+)", output)
    if failures is None or int(failures.group(1)) or "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed answers on {url}:\n{output}")

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


def timed(server: "Server", page: Page, cookie: str | None, seconds: int, warmup: int):
    check(server.base, page, cookie)
    if warmup:
        wrk(server.base + page.path, page, cookie, warmup)
    figures = wrk(server.base + page.path, page, cookie, seconds)
    check(server.base, page, cookie)
    return (*figures, os.getloadavg()[0])


def measure(urls: dict[str, str], manifests: dict[str, dict], plain_url: str, seconds: int, warmup: int,
            rounds: int = 3) -> dict[tuple[str, str], list[Result]]:
    """Each round: the plain pages, then a cabinet page on the empty and the full database, then the plain pages
    again, and so on; every cabinet figure is paired with the plain figures taken around it."""
    runs: dict[tuple[str, str], list[Result]] = {}
    with contextlib.ExitStack() as stack:
        plain = stack.enter_context(Server.plain(plain_url))
        servers = {size: stack.enter_context(Server.cabinet(url)) for size, url in urls.items()}
        cookies = {size: {account: sign_in(server.base, account) for account in (SUBJECT, SUPPORT, TRANSLATOR)}
                   for size, server in servers.items()}

        def yardstick() -> dict[str, tuple]:
            return {page.label: timed(plain, page, None, seconds, warmup) for page in plain_pages()}

        for _round in range(rounds):
            before = yardstick()
            for index in range(len(pages(manifests["empty"]))):
                figures = {size: timed(server, pages(manifests[size])[index], cookies[size].get(
                    pages(manifests[size])[index].account), seconds, warmup) for size, server in servers.items()}
                after = yardstick()
                for label, (rps, p50, p99, load) in before.items():
                    runs.setdefault(("plain", label), []).append(Result(rps, p50, p99, rps, load))
                page = pages(manifests["empty"])[index]
                against = HELLO if page.kind == "bare" else PLAIN_PAGE
                plain_rps = (before[against][0] + after[against][0]) / 2
                for size, (rps, p50, p99, load) in figures.items():
                    runs.setdefault((size, page.label), []).append(Result(rps, p50, p99, plain_rps, load))
                before = after
    return runs


def table(headers: list[str], rows: list[list]) -> str:
    rule = "|".join("---:" if i else "---" for i in range(len(headers)))
    lines = ["| " + " | ".join(headers) + " |", f"|{rule}|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def median_of(results: list[Result], figure) -> float:
    return statistics.median(figure(r) for r in results)


def report(engine: str, runs: dict[tuple[str, str], list[Result]], manifests: dict[str, dict],
           counts: dict[str, dict[str, int]], rounds: int) -> str:
    """The table of an engine and the verdicts against the targets, in markdown."""
    rows = [[f"{label} (`{page.path}`)", f"{median_of(runs['plain', label], lambda r: r.rps):.0f}", "1.00", "",
             f"{median_of(runs['plain', label], lambda r: r.p99):.1f}", "", "", "",
             f"{median_of(runs['plain', label], lambda r: r.load):.2f}"] for label, page in
            ((p.label, p) for p in plain_pages())]
    verdicts = []
    for page in pages(manifests["empty"]):
        empty, full = runs["empty", page.label], runs["full", page.label]
        ratio = median_of(empty, lambda r: r.rps / r.plain)
        ratio_full = median_of(full, lambda r: r.rps / r.plain)
        growth = median_of(empty, lambda r: r.rps) / median_of(full, lambda r: r.rps)
        rows.append([f"{page.label} (`{page.path}`)", f"{median_of(empty, lambda r: r.rps):.0f}", f"{ratio:.2f}",
                     f"{ratio_full:.2f}", f"{median_of(empty, lambda r: r.p99):.1f}",
                     f"{median_of(full, lambda r: r.p99):.1f}", f"{growth:.2f}",
                     f"{counts['empty'][page.label]} / {counts['full'][page.label]}",
                     f"{median_of(empty + full, lambda r: r.load):.2f}"])
        if page.kind:
            target = TARGETS[page.kind]
            verdicts.append(f"- {'met' if min(ratio, ratio_full) >= target else 'MISSED'}: {page.label} at "
                            f"{ratio:.2f} (empty) / {ratio_full:.2f} (full) of the plain page (target ≥ {target:.2f})")
        if page.account:
            verdicts.append(f"- {'met' if growth <= FULL_OVER_EMPTY else 'MISSED'}: {page.label} full ÷ empty "
                            f"{growth:.2f} (target ≤ {FULL_OVER_EMPTY:.2f})")
    full = manifests["full"]
    return "\n".join([
        f"### {engine}: pages under gunicorn ({WORKERS} sync workers, wrk -t{THREADS} -c{CONNECTIONS})", "",
        table(["page", "req/s (empty)", "ratio to plain", "ratio (full)", "p99 ms", "p99 ms (full)", "full ÷ empty",
               "queries empty / full", "load (1 min)"], rows), "",
        f"Medians of {rounds} round(s). Ratio: req/s over the plain app's, taken right before and after the page "
        f"(the bare route against plain hello, every other page against the plain template+query page). "
        f"Full ÷ empty: the same subject's page, time on the full database over time on the empty one. Full "
        f"database: {full['subjects']:,} subjects, {full['events']:,} audit events, {full['complaints']:,} "
        f"complaints.", "", *verdicts, ""])


def run(engine: str, *, postgres: str, sizes: dict, seconds: int, warmup: int, rounds: int = 3,
        regenerate: bool = False):
    """Measure both databases of an engine against the plain app; returns the report and the full manifest."""
    urls = database_urls(engine, postgres, sizes["subjects"])
    manifests = {"empty": prepared(urls["empty"], {"subjects": 0, "events": 0, "complaints": 0}, regenerate),
                 "full": prepared(urls["full"], sizes, regenerate)}
    counts = {size: statement_counts(urls[size], manifests[size]) for size in urls}
    runs = measure(urls, manifests, plain_database_url(engine, postgres), seconds, warmup, rounds)
    return report(engine, runs, manifests, counts, rounds), manifests["full"]


def plain_database_url(engine: str, postgres: str) -> str:
    """The plain app's own small table, on the same engine as the cabinet it is compared with."""
    if engine == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA / 'plain.sqlite'}"
    url = f"{postgres.rstrip('/')}/cabinet_bench_plain"
    if not database_exists(url):
        recreate_database(url)
    return url


def size_arguments(parser) -> None:
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL without a database name")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true", help="generate the databases even if present")
    parser.add_argument("--seconds", type=int, default=5, help="wrk's run per page and database")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="runs per page; the medians count")


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
