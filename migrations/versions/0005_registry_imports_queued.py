"""registry imports queued for the worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 12:40:42.708020
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('registry_import',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('estate_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='importstatus', native_enum=False, length=32), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_registry_import_created_by_app_user')),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_registry_import_estate_id_estate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_import'))
    )
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_import_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_import_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_import_status'))
        batch_op.drop_index(batch_op.f('ix_registry_import_estate_id'))

    op.drop_table('registry_import')
