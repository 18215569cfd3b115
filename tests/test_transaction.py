"""The transaction edges outside a view: a unit of work commits whole or leaves nothing, work after the response
included, and a step `apart` stands whatever the caller's transaction does."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import delivery
from cabinet.queue import JobLease
from cabinet.transaction import apart, committing


def leases(app) -> set[str]:
    with app.app_context(), apart() as session:
        return set(session.scalars(select(JobLease.name)))


def lease(name: str) -> JobLease:
    return JobLease(name=name, until=utcnow() + timedelta(minutes=1))


def test_a_finished_unit_is_kept_and_nothing_of_a_failed_one(app):
    with app.app_context():
        with committing():
            db.session.add(lease("kept"))
        with pytest.raises(RuntimeError), committing():
            db.session.add(lease("lost"))
            db.session.flush()
            raise RuntimeError("the unit failed midway")
        assert db.session.scalars(select(JobLease.name)).all() == ["kept"]  # the session goes on usable
    assert leases(app) == {"kept"}


def test_a_step_apart_stands_when_the_caller_rolls_back(app):
    with app.app_context():
        db.session.add(lease("caller's"))
        with apart() as session:
            session.add(lease("apart"))
        db.session.rollback()
    assert leases(app) == {"apart"}


def test_work_after_the_response_commits_when_done_and_leaves_nothing_when_it_fails(app, caplog):
    def work(name, fail=False):
        db.session.add(lease(name))
        db.session.flush()
        if fail:
            raise RuntimeError("the mail server's address is wrong")

    with app.test_request_context("/"), caplog.at_level(logging.ERROR):
        delivery._do_deferred(work, "done")
        delivery._do_deferred(work, "failed", fail=True)
    assert leases(app) == {"done"}
    assert "work failed after the response" in caplog.text
