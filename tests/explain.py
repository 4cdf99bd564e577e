"""The statements a block of a test runs, and their plans: for tests that a read goes through an index."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(db) -> Iterator[list[tuple[str, object]]]:
    """The reads, updates and deletes run on the test's connection inside the block, with their parameters."""
    seen: list[tuple[str, object]] = []
    engine = db.bind.sync_engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip()[:6].upper() in ("SELECT", "UPDATE", "DELETE"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
