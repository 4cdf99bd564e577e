"""personal information (docs/personal-information.md): consents to the privacy notice, the record of staff shown a resident's
data, residents' correction requests, closed accounts; answers, opinions, complaints and uploads whose
sender closed their account keep no link to anyone (their sender may be empty)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:13:08.765619
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_access',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('viewer_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.Enum('person', 'user', name='subjectkind', native_enum=False, length=32), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['viewer_id'], ['app_user.id'], name=op.f('fk_data_access_viewer_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_access')),
    sa.UniqueConstraint('viewer_id', 'subject_kind', 'subject_id', 'day', name=op.f('uq_data_access_viewer_id_subject_kind_subject_id_day'))
    )
    with op.batch_alter_table('data_access', schema=None) as batch_op:
        batch_op.create_index('ix_data_access_subject', ['subject_id', 'day'], unique=False)

    op.create_table('privacy_consent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.Enum('service', 'location', name='purpose', native_enum=False, length=32), nullable=False),
    sa.Column('notice_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_privacy_consent_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consent')),
    sa.UniqueConstraint('user_id', 'purpose', 'notice_version', name=op.f('uq_privacy_consent_user_id_purpose_notice_version'))
    )
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_consent_user_id'), ['user_id'], unique=False)

    op.create_table('correction_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', name='correctionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_correction_request_answered_by_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_correction_request_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['property_unit.id'], name=op.f('fk_correction_request_unit_id_property_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_correction_request_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_request'))
    )
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('plan_opinion', schema=None) as batch_op:
        batch_op.alter_column('recorded_by',
               existing_type=sa.UUID(),
               nullable=True)

    with op.batch_alter_table('questionnaire_response', schema=None) as batch_op:
        batch_op.alter_column('recorded_by',
               existing_type=sa.UUID(),
               nullable=True)

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.UUID(), nullable=True)

    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.alter_column('uploaded_by', existing_type=sa.UUID(), nullable=True)



def downgrade() -> None:
    unlinked = op.get_bind().execute(sa.text(
        "SELECT (SELECT count(*) FROM questionnaire_response WHERE recorded_by IS NULL)"
        " + (SELECT count(*) FROM plan_opinion WHERE recorded_by IS NULL)"
        " + (SELECT count(*) FROM feedback WHERE author_id IS NULL)"
        " + (SELECT count(*) FROM stored_file WHERE uploaded_by IS NULL)")).scalar()
    if unlinked:
        raise RuntimeError(f"cannot downgrade: {unlinked} answers, opinions, complaints or files of closed accounts "
                           "have no sender, which the older schema cannot hold")
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.alter_column('uploaded_by', existing_type=sa.UUID(), nullable=False)

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.UUID(), nullable=False)

    with op.batch_alter_table('questionnaire_response', schema=None) as batch_op:
        batch_op.alter_column('recorded_by',
               existing_type=sa.UUID(),
               nullable=False)

    with op.batch_alter_table('plan_opinion', schema=None) as batch_op:
        batch_op.alter_column('recorded_by',
               existing_type=sa.UUID(),
               nullable=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_correction_request_unit_id'))
        batch_op.drop_index(batch_op.f('ix_correction_request_status'))

    op.drop_table('correction_request')
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_consent_user_id'))

    op.drop_table('privacy_consent')
    with op.batch_alter_table('data_access', schema=None) as batch_op:
        batch_op.drop_index('ix_data_access_subject')

    op.drop_table('data_access')
