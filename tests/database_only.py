"""A pytest plugin (`-p tests.database_only`, what `make test-db` loads): only the tests that reach the test database.

A test reaches CABINET_TEST_DATABASE_URL only through the `database_url` fixture (every app, client and user fixture
asks for it). The others (catalog checks, working-day arithmetic, header and upload rules) run the same code on any
database: CI runs them once, in SQLite's `make test`, not again on PostgreSQL.
"""


def pytest_collection_modifyitems(config, items):
    """Deselect the tests whose fixtures never ask for the database."""
    kept = [item for item in items if "database_url" in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
