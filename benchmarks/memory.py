"""Each gunicorn worker's memory (RSS) over 10,000 mixed requests: the goal is under 150 MB and no growth.

    .venv/bin/python benchmarks/memory.py [--engine sqlite|postgresql] [--requests 10000] [--clients 4]
        [--subjects 2000 --events 20000 --complaints 2000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]

The cabinet runs under gunicorn as throughput.py runs it (2 sync workers, gunicorn.conf.py) on a generated database
(reused while its sizes match). A few clients, each signed in through the form as a browser would be, send a mix
of requests in a fixed rotation: the subject's pages, the staff's (queues, a deep page from its cursor, search),
the translator's catalog, `/policy` anonymously, and a consent granted or withdrawn (a POST) every 50 requests.
Every answer must be the page it asked for (a 200 with the page's marker; a POST's redirect back). Each worker's
RSS and private memory (pages no other process shares) are read from /proc at the checkpoints (the clients paused;
0 is after start-up and the sign-ins), with the 1-minute load average.
"""

import argparse
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from benchmarks.shared import SUBJECT, SUPPORT, TRANSLATOR  # noqa: E402
from benchmarks.throughput import DEFAULT_POSTGRES, Server, database_urls, prepared, signed_in  # noqa: E402

CHECKPOINTS = (0, 1_000, 5_000, 10_000)
GOAL_MB = 150
#: a consent changes (a POST, its confirmation included) once in this many requests
POST_EVERY = 50


@dataclass(frozen=True)
class Ask:
    account: str | None
    path: str
    marker: str


def rotation(manifest: dict) -> list[Ask]:
    """The mix, in Kazakh (the default language): what each page must show to count as answered."""
    return [Ask(SUBJECT, "/cabinet", "<h1>Сәлеметсіз бе"),
            Ask(SUBJECT, "/cabinet/profile", "<h1>Менің деректерім"),
            Ask(SUBJECT, "/cabinet/complaints", "<h1>Шағымдар"),
            Ask(SUBJECT, f"/cabinet/complaints/{manifest['complaint']}", manifest["complaint"]),
            Ask(SUBJECT, "/cabinet/consents", "<h1>Менің келісімдерім"),
            Ask(SUBJECT, "/cabinet/access-log", 'action="/logout"'),
            Ask(SUBJECT, "/cabinet/profile/history", 'action="/logout"'),
            Ask(None, "/policy", "құпиялық саясаты"),
            Ask(SUPPORT, "/staff", 'action="/logout"'),
            Ask(SUPPORT, "/staff/complaints", "<h1>Шағымдар кезегі"),
            Ask(SUPPORT, "/staff/complaints?status=all&page=3", "<h1>Шағымдар кезегі"),
            Ask(SUPPORT, "next", "<h1>Шағымдар кезегі"),  # the page after the one before, from its cursor
            Ask(SUPPORT, "/staff/corrections", 'action="/logout"'),
            Ask(SUPPORT, "/staff/subjects?q=bench", 'action="/logout"'),
            Ask(TRANSLATOR, "/translate/ru", 'action="/logout"'),
            Ask(None, "/login", 'name="password"')]


class Client:
    """One person per account at a browser, taking the rotation from where the last request left it."""

    def __init__(self, base: str, manifest: dict):
        self.base, self.asks = base, rotation(manifest)
        self.browsers = {account: signed_in(base, account) if account else requests.Session()
                         for account in {a.account for a in self.asks}}
        self.last = ""

    def get(self, ask: Ask) -> None:
        path = ask.path
        if path == "next":
            path = self._next_link() or "/staff/complaints"
        answer = self.browsers[ask.account].get(self.base + path, allow_redirects=False)
        if answer.status_code != 200 or ask.marker not in answer.text:
            raise RuntimeError(f"{path} answered {answer.status_code} without {ask.marker!r}")
        if ask.path.startswith("/staff/complaints"):
            self.last = answer.text

    def _next_link(self) -> str | None:
        found = re.search(r'<a href="([^"]+)" rel="next"', self.last)
        return found.group(1).replace("&amp;", "&") if found else None

    def change_consent(self, number: int) -> None:
        """Grant or withdraw marketing, confirmed, as the consents page's buttons do: a redirect back to it."""
        browser = self.browsers[SUBJECT]
        page = browser.get(f"{self.base}/cabinet/consents").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        action = "grant" if number % 2 == 0 else "withdraw"
        answer = browser.post(f"{self.base}/cabinet/consents", allow_redirects=False, data={
            "purpose": "marketing", "action": action, "confirm": "yes", "csrf_token": token})
        if answer.status_code != 302:
            raise RuntimeError(f"the consent change answered {answer.status_code}")


def workers(master: int) -> list[int]:
    """The gunicorn master's worker processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, private): all the worker's resident pages, and those no other process shares (what it alone costs)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_unit = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return fields["Rss"], fields["Private_Clean"] + fields["Private_Dirty"]


def run(base: str, master: int, manifest: dict, total: int, clients: int, post_every: int = POST_EVERY) -> list[tuple]:
    """Send `total` requests from `clients` browsers; the RSS of every worker at each checkpoint."""
    people = [Client(base, manifest) for _ in range(clients)]
    pids = workers(master)
    sent, rows = 0, []

    def send(person: Client, indexes: range) -> None:
        for index in indexes:
            if post_every and index % post_every == post_every - 1:
                person.change_consent(index // post_every)
            else:
                person.get(person.asks[index // clients % len(person.asks)])

    with ThreadPoolExecutor(clients) as pool:
        for checkpoint in (*[c for c in (*CHECKPOINTS, *range(20_000, total, 10_000)) if c < total], total):
            # each browser its share of the stretch, one request at a time; all pause at the checkpoint
            shares = [range(sent + (n - sent) % clients, checkpoint, clients) for n in range(clients)]
            list(pool.map(send, people, shares))
            sent = checkpoint
            if workers(master) != pids:
                raise RuntimeError("a worker was replaced: its memory cannot be followed")
            rows.append((checkpoint, [memory_mb(pid) for pid in pids], os.getloadavg()[0]))
            print(f"{checkpoint:>6} requests: " + ", ".join(f"{rss:.1f} MB ({own:.1f} private)" for rss, own in
                                                           rows[-1][1]), file=sys.stderr, flush=True)
    return rows


def report(rows: list[tuple], engine: str, manifest: dict, clients: int) -> str:
    count = len(rows[0][1])
    lines = ["| requests | " + " | ".join(f"worker {n + 1} RSS MB (private)" for n in range(count)) +
             " | load (1 min) |", "|---:|" + "---:|" * (count + 1)]
    lines += [f"| {sent:,} | " + " | ".join(f"{rss:.1f} ({own:.1f})" for rss, own in sizes) + f" | {load:.2f} |"
              for sent, sizes, load in rows]
    first = next((sizes for sent, sizes, _load in rows if sent == CHECKPOINTS[1]), rows[0][1])
    last = rows[-1][1]
    growth = ", ".join(f"{b[0] - a[0]:+.1f} MB" for a, b in zip(first, last, strict=True))
    largest = max(rss for rss, _own in last)
    return "\n".join([
        f"### {engine}: memory per gunicorn worker (2 sync workers), {rows[-1][0]:,} mixed requests from {clients} "
        f"clients", "", *lines, "",
        f"Database: {manifest['subjects']:,} subjects, {manifest['events']:,} audit events, "
        f"{manifest['complaints']:,} complaints. RSS growth from {CHECKPOINTS[1]:,} to {rows[-1][0]:,} requests: "
        f"{growth}. Private: the pages no other process shares.",
        f"- {'met' if largest < GOAL_MB else 'MISSED'}: the largest worker's RSS {largest:.1f} MB "
        f"(goal < {GOAL_MB} MB)",
        ""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL without a database name")
    parser.add_argument("--subjects", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--complaints", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--clients", type=int, default=4, help="browsers sending at once")
    parser.add_argument("--post-every", type=int, default=POST_EVERY, help="a consent change per N requests (0: none)")
    args = parser.parse_args(argv)
    sizes = {"subjects": args.subjects, "events": args.events, "complaints": args.complaints}
    url = database_urls(args.engine, args.postgres, args.subjects)["full"]
    manifest = prepared(url, sizes)
    with Server.cabinet(url) as server:
        rows = run(server.base, server.process.pid, manifest, args.requests, args.clients, args.post_every)
    print(report(rows, args.engine, manifest, args.clients), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
