"""A pytest plugin (`-p tests.database_only`, what `make test-db` loads): only the tests that reach the test database
through the server's code, not through a browser.

A test reaches CABINET_TEST_DATABASE_URL only through the `database_url` fixture (every app, client and user fixture
asks for it). The others (catalog checks, working-day arithmetic, header and upload rules) run the same code on any
database: CI runs them once, in SQLite's `make test`, not again on PostgreSQL. So do the browser tests (marker
`browser`): what they add to the test client's tests is the browser's side — layout at two widths, the scripts, the
clicks of a journey — which no database changes; the pages and forms they reach are tested on PostgreSQL through
the test client (the crawl of every page, each form's tests, the query budgets).
"""


def reaches_the_database(item) -> bool:
    return "database_url" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None


def pytest_collection_modifyitems(config, items):
    """Deselect the tests whose fixtures never ask for the database, and the browser's."""
    kept = [item for item in items if reaches_the_database(item)]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
