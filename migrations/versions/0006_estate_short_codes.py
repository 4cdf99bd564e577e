"""estate short codes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 13:06:56.316305
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _new_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(6))


def upgrade() -> None:
    with op.batch_alter_table('estate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
    # Every estate gets its code (the same alphabet and length as app.registry.models.new_short_code).
    conn = op.get_bind()
    taken: set[str] = set()
    for (estate_id,) in conn.execute(sa.text("SELECT id FROM estate")).all():
        code = _new_code()
        while code in taken:
            code = _new_code()
        taken.add(code)
        conn.execute(sa.text("UPDATE estate SET short_code = :c WHERE id = :i"), {"c": code, "i": estate_id})
    with op.batch_alter_table('estate', schema=None) as batch_op:
        batch_op.alter_column('short_code', existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_estate_short_code'), ['short_code'])


def downgrade() -> None:
    with op.batch_alter_table('estate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_estate_short_code'), type_='unique')
        batch_op.drop_column('short_code')

