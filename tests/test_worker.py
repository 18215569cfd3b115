"""The worker on a real queue (SQLite file; the database SQLite or PostgreSQL): two worker processes deliver each
mail exactly once, a mail server down is retried with back-off, a rolled-back change enqueues nothing."""

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
import redis
from sqlalchemy import delete, update

from cabinet import queue
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import OutgoingMail, send
from cabinet.mail.delivery import backoff, counts
from cabinet.mail.tasks import deliver_mail, sweep_mail
from cabinet.queue import JobLease, huey, storage_for
from tests.helpers import FakeMailServer, mail_queue

ROOT = Path(__file__).resolve().parent.parent
#: the settings a worker process takes from the tests' app (through the environment, as in production)
SHARED = ("DATABASE_URL", "SECRET_KEY", "QUEUE_URL", "UPLOAD_DIR", "OUTBOX_DIR", "BASE_URL", "AUDIT_SIGNING_KEY",
          "AUDIT_CHECKPOINT_FILE", "SIGNING_PKCS12", "MAIL_RETRY_SECONDS")


@pytest.fixture
def app_config(app_config, tmp_path):
    """A queue the worker reads (not the tests' immediate one); the first retry after a second."""
    return {**app_config, "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}", "MAIL_RETRY_SECONDS": 1}


def run_queue(until, timeout=30.0) -> None:
    """A consumer in the test's thread: due scheduled tasks enqueued, then each task run, until until() holds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the queue did not get there in time"
        for task in huey.read_schedule():
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            time.sleep(0.05)
        else:
            huey.execute(task)


def queue_mail(app, recipient: str) -> tuple[int, str]:
    """One mail committed as a change would commit it: (its id, its Message-ID)."""
    with app.app_context():
        message = send(recipient, "audit_checkpoint", locale="kk", seq=1, line="{}")
        db.session.commit()
        (mail,) = [m for m in mail_queue(app) if m.message_id == message["Message-ID"]]
        return mail.id, message["Message-ID"]


def test_nothing_is_enqueued_for_a_rolled_back_change(app):
    with app.app_context():
        send("nobody@example.kz", "audit_checkpoint", locale="kk", seq=1, line="{}")
        db.session.flush()
        db.session.rollback()
    assert huey.pending_count() == 0 and mail_queue(app) == []


def test_a_mail_server_down_is_retried_with_back_off_then_the_mail_is_sent(app, closed_port):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    mail_id, message_id = queue_mail(app, "patient@example.kz")
    assert huey.pending_count() == 1  # only its id: the row is the truth
    waits = []

    def failed(times):
        (mail,) = mail_queue(app)
        if mail.attempts == times and mail.state == "queued":
            waits.append(mail.next_attempt_at.timestamp() - time.time())
            return True
        return False

    run_queue(lambda: failed(1))
    run_queue(lambda: failed(2))
    server = FakeMailServer(port=closed_port)  # the mail server is back
    try:
        run_queue(lambda: mail_queue(app)[0].state == "sent")
    finally:
        server.shutdown()
        server.server_close()
    (mail,) = mail_queue(app)
    assert (mail.attempts, mail.last_error) == (3, None)
    assert 0.5 < waits[0] <= 1.0 and 1.5 < waits[1] <= 2.0  # each wait twice the one before
    (received,) = server.received
    assert message_from_bytes(received, policy=email_policy.default)["Message-ID"] == message_id
    with app.app_context():
        assert backoff(20).total_seconds() == 3600  # at most an hour


def test_a_mail_whose_task_was_lost_is_found_by_the_sweep(app, closed_port, outbox, caplog):
    """The queue's store is down at the commit (Redis restarting): the change and its mail are on record all the
    same, and the sweep enqueues the mail a minute later."""
    working = huey.storage
    huey.storage = storage_for(f"redis://127.0.0.1:{closed_port}/0")
    try:
        queue_mail(app, "patient@example.kz")
    finally:
        huey.storage = working
    assert "the sweep will pick it up" in caplog.text
    assert huey.pending_count() == 0 and mail_queue(app)[0].state == "queued"
    with app.app_context():
        assert sweep_mail.call_local() == 0  # a task may still be on its way: left alone for a minute
        db.session.execute(update(JobLease).values(until=utcnow()))
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
        assert sweep_mail.call_local() == 1
    run_queue(lambda: mail_queue(app)[0].state == "sent")
    assert [m["To"] for m in outbox()] == ["patient@example.kz"]


def start_worker(app, log: Path) -> subprocess.Popen:
    """`flask worker` in a process of its own, configured through the environment as a service would be."""
    env = {**os.environ, **{f"CABINET_{key}": str(app.config[key]) for key in SHARED},
           "CABINET_MAIL_LEASE_SECONDS": str(app.config["MAIL_LEASE_SECONDS"]),
           "CABINET_SMTP_URL": app.config["SMTP_URL"], "CABINET_AUDIT_CHECKPOINT_EVERY_EVENTS": "0"}
    env.pop("CABINET_TESTING", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "2"], cwd=ROOT,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_for(condition, seconds=60.0, what="") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def started(workers, logs) -> bool:
    assert all(w.poll() is None for w in workers), [log.read_text() for log in logs]
    return all("Huey consumer started" in log.read_text() for log in logs)


def stop(workers) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        worker.wait(timeout=30)


def test_a_mail_whose_worker_was_killed_mid_send_is_sent_once_by_another(app, tmp_path):
    """kill -9 while the mail server holds the message unanswered: the mail stays "sending" until its lease runs
    out, then the next worker sends it, once."""
    server = FakeMailServer()
    server.hang.set()
    app.config.update(SMTP_URL=server.url, MAIL_LEASE_SECONDS=2)
    first = start_worker(app, tmp_path / "first.log")
    try:
        mail_id, message_id = queue_mail(app, "patient@example.kz")
        wait_for(lambda: mail_queue(app)[0].state == "sending", what="the first worker never claimed the mail")
        time.sleep(0.5)  # in the middle of the SMTP conversation
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        (mail,) = mail_queue(app)
        assert (mail.state, mail.attempts, server.received) == ("sending", 1, [])  # neither lost nor sent
        server.hang.clear()
        time.sleep(2)  # the lease runs out; the next worker's sweep (at its start, then each minute) takes it
        with app.app_context():  # as if a minute had passed: the dead worker's sweep period is over
            db.session.execute(delete(JobLease))
            db.session.commit()
        second = start_worker(app, tmp_path / "second.log")
        try:
            wait_for(lambda: mail_queue(app)[0].state == "sent", what=(tmp_path / "second.log").read_text())
            time.sleep(1)
        finally:
            stop([second])
    finally:
        stop([first])
        server.shutdown()
        server.server_close()
    (received,) = server.received
    assert message_from_bytes(received, policy=email_policy.default)["Message-ID"] == message_id
    assert mail_queue(app)[0].attempts == 2


def redis_queue(tmp_path) -> str:
    """A queue of its own on the machine's Redis (CABINET_TEST_REDIS_URL), or the test is skipped without one."""
    url = os.environ.get("CABINET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return f"{url}#cabinet-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "redis"])
def queue_kind(request, app, tmp_path):
    """The embedded default, and Redis as several machines would share it."""
    if request.param == "redis":
        app.config["QUEUE_URL"] = redis_queue(tmp_path)
        queue.init_app(app)
    yield request.param
    if request.param == "redis":
        huey.flush()


def test_two_workers_deliver_each_mail_exactly_once(app, tmp_path, queue_kind):
    """Every task is enqueued twice (as a sweep would after a lost task), so both workers race for each mail."""
    server = FakeMailServer()
    app.config["SMTP_URL"] = server.url
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(app, log) for log in logs]
    try:
        wait_for(lambda: started(workers, logs))
        committed = {}
        for n in range(40):
            mail_id, message_id = queue_mail(app, f"subject{n}@example.kz")
            committed[message_id] = time.time()
            deliver_mail(mail_id)  # a second task for the same mail
            time.sleep(0.02)
        wait_for(lambda: len(server.received) >= 40)
        time.sleep(1.5)  # time enough for a double delivery to show
    finally:
        stop(workers)
        server.shutdown()
        server.server_close()
    ids = [message_from_bytes(data, policy=email_policy.default)["Message-ID"] for _at, data in server.received_at]
    assert sorted(ids) == sorted(committed)  # each exactly once
    with app.app_context():
        assert counts() == {"queued": 0, "sending": 0, "sent": 40, "failed": 0}
    worked = [log.read_text().count("Executing cabinet.mail.tasks.mail.deliver") for log in logs]
    assert sum(worked) == 80 and all(worked), worked  # both workers took tasks; half of them found nothing to do
    latencies = sorted(at - committed[message_id] for (at, _data), message_id in zip(server.received_at, ids,
                                                                                      strict=True))
    median, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(f"\n{queue_kind} queue: commit → SMTP receipt over {len(latencies)} mails: median {median:.3f} s, "
          f"p99 {p99:.3f} s, max {latencies[-1]:.3f} s")
    assert median < 5
