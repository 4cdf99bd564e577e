"""The statements a block of a test runs, and their plans: for tests that a read goes through an index.

A plan is read on PostgreSQL with sequential scans priced out (``enable_seqscan = off``), where a plan that
still reads one of the growing tables whole has no index to use; on SQLite, whose plans also show the
foreign keys a delete checks, such a read is a ``SCAN`` of the table."""

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


# The tables that grow with residents and what they do; reference tables (streets, the item catalogue) may
# be read whole.
GROWING = {
    "app_user", "auth_session", "unit_binding", "person", "unit_occupant", "property_unit",
    "questionnaire_response", "questionnaire_answer", "plan_opinion", "plan_view", "ballot_cast", "ballot_choice",
    "ballot_voter", "ballot_voter_person", "ballot_voter_unit", "ballot_correction", "ballot_objection", "feedback",
    "rectification", "inspection", "notification_outbox", "inbox_message", "stored_file", "audit_entry",
    "data_access", "privacy_consent", "correction_request", "identity_check", "refresh_token", "role_assignment",
    "acceptance_signature",
}


def _whole_read(line: str, postgresql: bool) -> str | None:
    """The table a plan's line reads whole, if it does."""
    if postgresql:
        return line.split("Seq Scan on ")[1].split()[0] if "Seq Scan on " in line else None
    words = line.split()
    return words[1] if len(words) == 2 and words[0] == "SCAN" else None  # not "SCAN t USING ... INDEX"


async def plan(db, statement: str, parameters) -> list[str]:
    conn = await db.connection()
    explain = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    return [str(row[-1]) for row in (await conn.exec_driver_sql(explain + statement, parameters)).all()]


async def whole_reads(db, seen: list[tuple[str, object]]) -> dict[str, list[str]]:
    """Each statement that would read a growing table whole, with those tables: on PostgreSQL a sequential
    scan left in the plan with sequential scans priced out; on SQLite a ``SCAN`` of the table itself (a
    read through an index says ``SEARCH``)."""
    conn = await db.connection()
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    found = {}
    for statement, parameters in seen:
        lines = await plan(db, statement, parameters)
        tables = sorted({t for line in lines for t in [_whole_read(line, postgresql)] if t in GROWING})
        if tables:
            found[" ".join(statement.split())[:300]] = tables
    return found
