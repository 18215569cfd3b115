"""`audit verify` in stretches over processes finds what one walk finds, at the same position (issue 17): each
single rewrite of a chain compared verdict for verdict (every tamper case of test_audit_tamper runs both ways)."""

import pytest

from cabinet.audit import trail
from cabinet.audit.models import AuditEvent
from cabinet.audit.stretches import bounds
from cabinet.extensions import db
from tests.helpers import sql, trail_rows
from tests.test_audit_tamper import MANUAL

SHORT = {"AUDIT_VERIFY_STRETCH_EVENTS": 2}


@pytest.fixture
def app_config(app_config):
    return {**app_config, **MANUAL, **SHORT}


def both_verdicts(app):
    with app.app_context():
        one = trail.verify()
        db.session.remove()
        stretched = trail.verify(processes=2)
        db.session.remove()
    return one, stretched


def test_stretches_cover_every_position_once():
    assert bounds(0, 10, 4) == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert bounds(5, 7, 2) == [(5, 6), (6, 7)]


@pytest.mark.parametrize("rewrite", [
    "UPDATE audit_events SET action = 'account.other' WHERE seq = :seq",
    "UPDATE audit_events SET prev_hash = hash WHERE seq = :seq",
    "UPDATE audit_events SET key_id = NULL WHERE seq = :seq",
    "DELETE FROM audit_events WHERE seq = :seq",
])
def test_each_rewrite_is_found_where_one_walk_finds_it(app, history, rewrite):
    assert history >= 8
    one, stretched = both_verdicts(app)
    assert one.ok and stretched == one
    original = trail_rows(app)
    for position in range(1, history + 1):
        sql(app, rewrite, seq=position)
        one, stretched = both_verdicts(app)
        assert not one.ok and stretched == one, (position, one, stretched)
        sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=position)
        sql(app, AuditEvent.__table__.insert(), **original[position - 1])
    assert both_verdicts(app)[0].ok
