"""a person's data (GET /me/data, closing an account) read through indexes that lead with them, instead of
reading every row in the city: a resident's own answer or opinion names them as its user (author) - checked
by the database - so that they are found by the indexed user_id / author_id alone, no longer by a
disjunction on recorded_by; and indexes on the casts a user made, on a person's voters in every ballot and
on what a user filed against a ballot. Rows the service made already hold the check; any that do not (none
are known) are first made to name their sender as their user, whose they were taken to be. SQLite copies
each checked table; PostgreSQL checks each table's rows once and builds each index while holding the
table's writes: upgrade a city's database at a quiet hour

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKS = (  # table, user column, constraint
    ('questionnaire_response', 'user_id', 'ck_questionnaire_response_self_sent_by_user'),
    ('plan_opinion', 'author_id', 'ck_plan_opinion_self_sent_by_author'),
)
_INDEXES = (  # table, column
    ('ballot_cast', 'cast_by'),
    ('ballot_voter_person', 'person_id'),
    ('ballot_correction', 'filed_by'),
    ('ballot_objection', 'filed_by'),
)


def upgrade() -> None:
    for table, user, name in _CHECKS:
        op.execute(f"UPDATE {table} SET {user} = recorded_by WHERE channel = 'self' AND recorded_by IS NOT NULL "
                   f"AND ({user} IS NULL OR {user} <> recorded_by)")
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(
                op.f(name), f"channel <> 'self' OR recorded_by IS NULL OR ({user} IS NOT NULL AND recorded_by = {user})")
    for table, column in _INDEXES:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(_INDEXES):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
    for table, _, name in reversed(_CHECKS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(name), type_='check')
