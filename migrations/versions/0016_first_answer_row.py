"""the first row of each answer marked, so that a questionnaire's results count the responses that
answered a question without a DISTINCT (a multiple choice or a ranking has a row per option): existing
rows are marked from their order

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 01:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questionnaire_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_row', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(
        "UPDATE questionnaire_answer SET first_row = FALSE WHERE id IN (SELECT id FROM (SELECT id, row_number() "
        "OVER (PARTITION BY response_id, question_id ORDER BY rank, id) AS n FROM questionnaire_answer) AS rows "
        "WHERE n > 1)")
    with op.batch_alter_table('questionnaire_answer', schema=None) as batch_op:
        batch_op.alter_column('first_row', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_answer', schema=None) as batch_op:
        batch_op.drop_column('first_row')
