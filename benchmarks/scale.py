"""Full ÷ empty per page, in-process and interleaved: does a page grow with the data (issue 17, "scale without growth")?

    .venv/bin/python benchmarks/scale.py [--engine sqlite|postgresql] [--subjects 100000 --events 1000000
        --complaints 100000] [--requests 100] [--rounds 3]

The same bench app and pages as throughput.py (the same subject and accounts, made identically in both databases),
on the empty database and the generated one, in one process, page by page: empty, full, empty, full… so a burst of
other work on the machine touches both. Wall time per request counts the database server's work (PostgreSQL runs
in its own process); CPU time is this process's. Not a timed test: figures to compare a change with. It never
generates a database of other sizes over an existing one: throughput.py or generate.py makes them.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import generate  # noqa: E402
from benchmarks.page_cpu import EMPTY, signed_in  # noqa: E402
from benchmarks.shared import app_config  # noqa: E402
from benchmarks.throughput import (  # noqa: E402
    DEFAULT_POSTGRES,
    FULL_OVER_EMPTY,
    database_urls,
    pages,
    prepared,
    statement_counts,
)


def per_request(browser, page, requests: int) -> tuple[float, float]:
    """Mean wall and CPU milliseconds per GET; every answer must be the page (200 with its marker)."""
    marker = page.marker.encode()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        status, body = browser.request(page.path)
        if not status.startswith("200") or marker not in body:
            raise RuntimeError(f"{page.path} answered {status} without {page.marker!r}")
    return (time.perf_counter() - wall) * 1000 / requests, (time.process_time() - cpu) * 1000 / requests


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL without a database name")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from benchmarks.bench_app import create_bench_app

    urls = database_urls(args.engine, args.postgres, args.subjects)
    sizes = {"empty": EMPTY, "full": {"subjects": args.subjects, "events": args.events, "complaints": args.complaints}}
    manifests = {size: prepared(urls[size], sizes[size]) for size in urls}
    counts = {size: statement_counts(urls[size], manifests[size]) for size in urls}
    apps = {size: create_bench_app(app_config(urls[size], generate.folder_for(urls[size]))) for size in urls}
    listed = {size: pages(manifests[size]) for size in urls}  # the same labels; the complaint's number differs
    browsers = {size: {page.account: None for page in listed[size]} for size in urls}
    for size in urls:
        for account in browsers[size]:
            browsers[size][account] = signed_in(apps[size], account)
        for page in listed[size]:
            per_request(browsers[size][page.account], page, 10)  # warm: templates compiled, caches filled
    figures: dict = {}
    for _round in range(args.rounds):
        for index in range(len(listed["empty"])):
            for size in ("empty", "full"):
                page = listed[size][index]
                figures.setdefault((size, page.label), []).append(
                    per_request(browsers[size][page.account], page, args.requests))
    print(f"{args.engine}, {args.subjects:,} subjects / {args.events:,} events / {args.complaints:,} complaints; "
          f"medians of {args.rounds} rounds of {args.requests} requests; load {os.getloadavg()[0]:.2f}\n")
    print("| page | empty ms | full ms | full ÷ empty | CPU full ÷ empty | queries empty / full | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for page in listed["empty"]:
        empty, full = figures["empty", page.label], figures["full", page.label]
        wall = [statistics.median(w for w, _c in runs) for runs in (empty, full)]
        cpu = [statistics.median(c for _w, c in runs) for runs in (empty, full)]
        growth = wall[1] / wall[0]
        print(f"| {page.label} | {wall[0]:.2f} | {wall[1]:.2f} | {growth:.2f} | {cpu[1] / cpu[0]:.2f} | "
              f"{counts['empty'][page.label]} / {counts['full'][page.label]} | "
              f"{'met' if growth <= FULL_OVER_EMPTY else 'MISSED'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
