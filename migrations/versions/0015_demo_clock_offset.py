"""the demo clock's offset in the database, so that the worker follows the time the demo moved to

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 01:15:02.090809
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clock_offset',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seconds', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_offset'))
    )


def downgrade() -> None:
    op.drop_table('clock_offset')
