"""The benchmark tools still work on today's cabinet: a small generated database, its chain, its page queries.

Not a benchmark (no timing): `make bench` runs for a quarter of an hour, so a change that breaks the generator or
the pages it measures is caught here first.
"""

import pytest

from benchmarks import generate, throughput
from benchmarks.bench_app import create_bench_app
from benchmarks.plain_app import MARKER, create_plain_app
from benchmarks.shared import app_config
from cabinet.audit import trail
from cabinet.extensions import db


@pytest.fixture
def bench_url(database_url, tmp_path, monkeypatch):
    if not database_url.startswith("sqlite"):
        pytest.skip("the generator empties the database it is given: it runs on its own SQLite file here")
    monkeypatch.setattr(generate, "DATA", tmp_path)  # uploads and mail beside the database, not in bench-data/
    return f"sqlite:///{tmp_path / 'bench.sqlite'}"


def test_a_small_generated_database_has_a_valid_chain_and_the_measured_pages_answer(bench_url):
    manifest = generate.build(bench_url, subjects=30, events=400, complaints=20)
    assert generate.existing(bench_url, subjects=30, events=400, complaints=20) == manifest
    app = create_bench_app(app_config(bench_url, generate.folder_for(bench_url)))
    with app.app_context():
        verdict = trail.verify()
        db.engine.dispose()
    assert verdict.ok and verdict.checked >= 400
    counts = throughput.statement_counts(bench_url, manifest)  # every page answered 200 (asserted inside)
    assert set(counts) == {page.label for page in throughput.pages(manifest)}
    # the overview is a status page: the account, the complaints, and a scheduled withdrawal with a correction under
    # review in one statement (the calendar's overrides are kept per process)
    assert counts["bare route"] == 0 and counts["overview"] == 3


def test_the_plain_yardstick_answers_its_marker_after_one_query(tmp_path):
    from sqlalchemy import event

    app = create_plain_app(f"sqlite:///{tmp_path / 'plain.sqlite'}")
    client, statements = app.test_client(), []
    assert MARKER in client.get("/hello").text
    event.listen(app.extensions["plain_engine"], "before_cursor_execute", lambda *args: statements.append(args[2]))
    page = client.get("/page/1")
    assert page.status_code == 200 and MARKER in page.text and len(statements) == 1
    assert 2200 < len(page.data) < 2600  # the 2.3 KB template the issue compares against
    assert client.get("/page/99999").status_code == 404
