"""the owners of a ballot's voter found by the voter (an index on ballot_voter_person.voter_id): a cast read
them by scanning the owners of every ballot ever frozen, a table that only grows

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:20:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_ballot_voter_person_voter_id', 'ballot_voter_person', ['voter_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ballot_voter_person_voter_id', table_name='ballot_voter_person')
