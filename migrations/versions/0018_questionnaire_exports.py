"""questionnaire exports made by the worker in the background: one row per export, with its progress,
the lease of the run writing it, and once done the content address of the stored file

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 21:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('questionnaire_export',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('questionnaire_id', sa.Uuid(), nullable=False),
    sa.Column('format', sa.Enum('xlsx', 'csv', name='exportformat', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='exportstatus', native_enum=False, length=32), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_id', sa.Uuid(), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_export_questionnaire_id_questionnaire')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_questionnaire_export_requested_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_export'))
    )
    with op.batch_alter_table('questionnaire_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_export_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_export_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_export_status'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_export_questionnaire_id'))

    op.drop_table('questionnaire_export')
