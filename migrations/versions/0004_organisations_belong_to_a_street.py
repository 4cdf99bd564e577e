"""organisations belong to a street

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 12:31:44.239569
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_organization_street_id'), ['street_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organization_street_id_street'), 'street', ['street_id'], ['id'])
    # An organisation already working on projects of one street only belongs to that street; the others
    # stay city-level (admins manage them, any street may link them), which is what they were.
    op.execute(sa.text("""
        UPDATE organization SET street_id = (
            SELECT c.street_id FROM project_organization po
            JOIN project p ON p.id = po.project_id JOIN estate e ON e.id = p.estate_id
            JOIN community c ON c.id = e.community_id WHERE po.organization_id = organization.id LIMIT 1)
        WHERE (SELECT COUNT(DISTINCT c.street_id) FROM project_organization po
               JOIN project p ON p.id = po.project_id JOIN estate e ON e.id = p.estate_id
               JOIN community c ON c.id = e.community_id WHERE po.organization_id = organization.id) = 1
    """))


def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organization_street_id_street'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organization_street_id'))
        batch_op.drop_column('street_id')

