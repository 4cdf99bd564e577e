"""two lookups by a column no index led with, in tables that only grow: the owners of a ballot's voter (by
ballot_voter_person.voter_id, read by every cast) and a resident's own answers to a per-person
questionnaire (by questionnaire_response.user_id, read when they open it). A plain CREATE INDEX holds
writes to each table while it builds: upgrade a city's database at a quiet hour

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
    op.create_index('ix_questionnaire_response_user_id', 'questionnaire_response', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_questionnaire_response_user_id', table_name='questionnaire_response')
    op.drop_index('ix_ballot_voter_person_voter_id', table_name='ballot_voter_person')
