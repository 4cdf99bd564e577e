"""acceptance: rounds of the completion acceptance with their checklist and required signatories, and the
signatures on the record's content hash (at most one in force per role)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21 20:51:16.946981
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('acceptance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('estate_id', sa.Uuid(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'passed', 'rejected', name='status', native_enum=False, length=32), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('representatives', sa.JSON(), nullable=False),
    sa.Column('remarks', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.Uuid(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_acceptance_estate_id_estate')),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], name=op.f('fk_acceptance_opened_by_app_user')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_acceptance_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance')),
    sa.UniqueConstraint('project_id', 'round', name=op.f('uq_acceptance_project_id_round'))
    )
    with op.batch_alter_table('acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_status'), ['status'], unique=False)

    op.create_table('acceptance_signature',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('acceptance_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('street', 'community', 'contractor', 'supervision', 'committee', 'resident_rep', name='signatoryrole', native_enum=False, length=32), nullable=False),
    sa.Column('signer_id', sa.Uuid(), nullable=False),
    sa.Column('decision', sa.Enum('approve', 'reject', name='decision', native_enum=False, length=32), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rectification_ids', sa.JSON(), nullable=False),
    sa.Column('signature_file_id', sa.Uuid(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invalidated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acceptance_id'], ['acceptance.id'], name=op.f('fk_acceptance_signature_acceptance_id_acceptance')),
    sa.ForeignKeyConstraint(['signature_file_id'], ['stored_file.id'], name=op.f('fk_acceptance_signature_signature_file_id_stored_file')),
    sa.ForeignKeyConstraint(['signer_id'], ['app_user.id'], name=op.f('fk_acceptance_signature_signer_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_signature'))
    )
    with op.batch_alter_table('acceptance_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_signature_acceptance_id'), ['acceptance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acceptance_signature_signer_id'), ['signer_id'], unique=False)
        batch_op.create_index('uq_acceptance_signature_valid_role', ['acceptance_id', 'role'], unique=True, postgresql_where=sa.text('invalidated_at IS NULL'), sqlite_where=sa.text('invalidated_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('acceptance_signature', schema=None) as batch_op:
        batch_op.drop_index('uq_acceptance_signature_valid_role', postgresql_where=sa.text('invalidated_at IS NULL'), sqlite_where=sa.text('invalidated_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_acceptance_signature_signer_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_signature_acceptance_id'))

    op.drop_table('acceptance_signature')
    with op.batch_alter_table('acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_status'))
        batch_op.drop_index(batch_op.f('ix_acceptance_project_id'))
        batch_op.drop_index(batch_op.f('ix_acceptance_estate_id'))

    op.drop_table('acceptance')
