"""Mail under faults (issue 14): N mails committed while two workers run; one worker is killed with kill -9 a
quarter of the way, the mail server is stopped for 10 s halfway, the other worker is killed three quarters of the
way (each killed worker is replaced at once). Counts the Message-IDs the loopback SMTP server received: each mail
exactly once, none left queued. Reports commit → receipt latency (median, p99) for the undisturbed first quarter
and for all.

    .venv/bin/python benchmarks/mail_faults.py [--mails 1000] [--postgres URL] [--redis URL] [--json FILE]

SQLite database and SQLite queue by default; --postgres puts the database on a throw-away PostgreSQL database,
--redis the queue on Redis. Not a test: `tests/test_mail_faults.py` runs it (marker `load`).
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.shared import app_config, own_postgres_database  # noqa: E402
from tests.helpers import FakeMailServer, SmtpSession  # noqa: E402

#: seconds a killed worker's claimed mail waits before another worker may take it
LEASE_SECONDS = 5


class SlowSession(SmtpSession):
    """A mail server that takes 20 ms to greet: a kill -9 lands while some mails are being sent."""

    def handle(self):
        time.sleep(0.02)
        super().handle()


class MailServers:
    """The loopback SMTP server on one port, stopped and started again; what every run of it received."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received_at: list[tuple[float, bytes]] = []
        self.current = None
        self.start()

    def start(self):
        self.current = FakeMailServer(port=self.port)
        self.current.RequestHandlerClass = SlowSession
        self.current.received_at = self.received_at  # one record across restarts

    def stop(self):
        self.current.shutdown()
        self.current.server_close()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"


def start_worker(environment: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "2"], cwd=ROOT,
                            env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {what}")
        time.sleep(0.2)


def run(database_url: str, queue_url: str | None, folder: Path, mails: int = 1000, down: float = 10.0) -> dict:
    """The fault run; returns the figures and the verdict."""
    from sqlalchemy import select

    from cabinet.app import create_app
    from cabinet.cli import upgrade
    from cabinet.extensions import db
    from cabinet.mail import OutgoingMail, send
    from cabinet.mail.delivery import counts

    servers = MailServers()
    settings = {**app_config(database_url, folder), "SMTP_URL": servers.url, "MAIL_RETRY_SECONDS": 1,
                "MAIL_LEASE_SECONDS": LEASE_SECONDS, "AUDIT_CHECKPOINT_EVERY_EVENTS": 0}
    if queue_url:
        settings["QUEUE_URL"] = queue_url
    app = create_app(settings)
    upgrade(app)
    environment = {**os.environ, **{f"CABINET_{k}": v if isinstance(v, str) else json.dumps(v)
                                    for k, v in settings.items()}}
    logs = [folder / "worker-a.log", folder / "worker-b.log"]
    workers = [start_worker(environment, log) for log in logs]
    wait_for(lambda: all("Huey consumer started" in log.read_text() for log in logs), 60, "the workers to start")
    committed, faults, restart = {}, [], None
    started = time.time()
    try:
        for n in range(mails):
            with app.app_context():
                message = send(f"subject{n}@example.kz", "audit_checkpoint", locale="kk", seq=n, line="{}")
                db.session.commit()
            committed[message["Message-ID"]] = time.time()
            if n == mails // 4:
                kill(workers[0])
                workers[0] = start_worker(environment, logs[0])
                faults.append(f"mail {n}: worker A killed (kill -9), replaced")
            elif n == mails // 2:
                servers.stop()
                restart = threading.Timer(down, servers.start)
                restart.start()
                faults.append(f"mail {n}: mail server stopped for {down:g} s")
            elif n == 3 * mails // 4:
                kill(workers[1])
                workers[1] = start_worker(environment, logs[1])
                faults.append(f"mail {n}: worker B killed (kill -9), replaced")
            time.sleep(0.005)  # a busy cabinet, not a bulk load
        queued_in = time.time() - started
        restart.join()

        def all_sent():
            with app.app_context():
                return counts()["sent"] >= mails

        wait_for(all_sent, 600, "every mail to be sent")
        time.sleep(2)  # time enough for a late double delivery to show
        done_in = time.time() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        servers.stop()
    received = [(at, message_from_bytes(data, policy=email_policy.default)["Message-ID"])
                for at, data in servers.received_at]
    ids = [message_id for _at, message_id in received]
    first = {}
    for at, message_id in received:
        first.setdefault(message_id, at)
    latencies = sorted(first[m] - committed[m] for m in committed if m in first)
    calm = sorted(first[m] - committed[m] for m in list(committed)[: mails // 4] if m in first)
    with app.app_context():
        states = counts()
        attempts = db.session.scalars(select(OutgoingMail.attempts)).all()
    return {
        "database": database_url.split(":")[0], "queue": (queue_url or "sqlite").split(":")[0], "mails": mails,
        "faults": faults, "received": len(ids), "distinct": len(set(ids)), "duplicates": len(ids) - len(set(ids)),
        "missing": len(set(committed) - set(ids)), "unknown": len(set(ids) - set(committed)), "states": states,
        "retried": sum(1 for a in attempts if a > 1), "queued_in_s": round(queued_in, 1),
        "all_sent_in_s": round(done_in, 1),
        "latency_s": {"median": round(statistics.median(latencies), 3),
                      "p99": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)], 3),
                      "max": round(latencies[-1], 3)},
        "latency_undisturbed_s": {"median": round(statistics.median(calm), 3),
                                  "p99": round(calm[max(int(len(calm) * 0.99) - 1, 0)], 3)},
        "exactly_once": len(ids) == len(set(ids)) == mails and not set(committed) ^ set(ids)
        and states["queued"] == states["sending"] == states["failed"] == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: the database goes there (a throw-away one)")
    parser.add_argument("--redis", help="a Redis URL: the queue goes there")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cabinet-mail-faults-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        url = stack.enter_context(own_postgres_database(args.postgres, "cabinet_bench_mail")) if args.postgres \
            else f"sqlite:///{folder / 'cabinet.sqlite'}"
        queue = f"{args.redis}#cabinet-bench-{uuid.uuid4().hex[:8]}" if args.redis else None
        result = run(url, queue, folder, args.mails)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    raise SystemExit(0 if result["exactly_once"] else 1)


if __name__ == "__main__":
    main()
