"""the procedure around a ballot (docs/ballot-procedure.md): announced and final states with their windows, notice
deliveries, electorate corrections, objections, recounts; identity assurance of bindings and their checks;
the notice a notification is about (outbox ref)

Existing ballots keep what they were promised: closed ones become final (their result already moved the
project), open ones keep the assurance they opened with (any bound owner), drafts follow the new rules.
Approved bindings get the assurance their history shows: a code, a phone match, or a decider who checked
the person in person.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:04:51.199961
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ballot_correction',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ballot_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('area_wrong', 'not_registered', 'transferred', name='correctionkind', native_enum=False, length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('file_ids', sa.JSON(), nullable=False),
    sa.Column('filed_by', sa.Uuid(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_ballot_correction_answered_by_app_user')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_correction_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['filed_by'], ['app_user.id'], name=op.f('fk_ballot_correction_filed_by_app_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['property_unit.id'], name=op.f('fk_ballot_correction_unit_id_property_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_correction'))
    )
    with op.batch_alter_table('ballot_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_correction_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('ballot_notice_delivery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ballot_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.Enum('wechat', 'inbox', 'handed', 'posted', name='deliverychannel', native_enum=False, length=32), nullable=False),
    sa.Column('file_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_notice_delivery_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_ballot_notice_delivery_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['property_unit.id'], name=op.f('fk_ballot_notice_delivery_unit_id_property_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_notice_delivery'))
    )
    with op.batch_alter_table('ballot_notice_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_notice_delivery_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('ballot_objection',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ballot_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('vote_missing', 'counted_wrong', 'ineligible_voter', name='objectionkind', native_enum=False, length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('file_ids', sa.JSON(), nullable=False),
    sa.Column('filed_by', sa.Uuid(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_ballot_objection_answered_by_app_user')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_objection_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['filed_by'], ['app_user.id'], name=op.f('fk_ballot_objection_filed_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_objection'))
    )
    with op.batch_alter_table('ballot_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_objection_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('ballot_recount',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ballot_id', sa.Uuid(), nullable=False),
    sa.Column('matches', sa.Boolean(), nullable=False),
    sa.Column('differences', sa.JSON(), nullable=False),
    sa.Column('counted_by', sa.Uuid(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_recount_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['counted_by'], ['app_user.id'], name=op.f('fk_ballot_recount_counted_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_recount'))
    )
    with op.batch_alter_table('ballot_recount', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_recount_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('identity_check',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('binding_id', sa.Uuid(), nullable=False),
    sa.Column('assurance', sa.Enum('invite_code', 'phone_match', 'provider', 'in_person', name='assurance', native_enum=False, length=32), nullable=False),
    sa.Column('document', sa.Enum('id_card', 'property_certificate', name='identitydocument', native_enum=False, length=32), nullable=True),
    sa.Column('file_id', sa.Uuid(), nullable=True),
    sa.Column('checked_by', sa.Uuid(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['binding_id'], ['unit_binding.id'], name=op.f('fk_identity_check_binding_id_unit_binding'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checked_by'], ['app_user.id'], name=op.f('fk_identity_check_checked_by_app_user')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_identity_check_file_id_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_check'))
    )
    with op.batch_alter_table('identity_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_check_binding_id'), ['binding_id'], unique=False)

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), nullable=False, server_default='15'))
        batch_op.add_column(sa.Column('objection_days', sa.Integer(), nullable=False, server_default='7'))
        batch_op.add_column(sa.Column('min_assurance', sa.Enum('invite_code', 'phone_match', 'provider', 'in_person', name='assurance', native_enum=False, length=32), nullable=False, server_default='phone_match'))
        batch_op.add_column(sa.Column('plan_version_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ballot_plan_version_id_plan_version'), 'plan_version', ['plan_version_id'], ['id'])

    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_outbox_ref'), ['ref'], unique=False)

    with op.batch_alter_table('unit_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assurance', sa.Enum('invite_code', 'phone_match', 'provider', 'in_person', name='assurance', native_enum=False, length=32), nullable=True))

    civil_code = "('civil_code_major', 'civil_code_ordinary')"
    op.execute(f"UPDATE ballot SET notice_days = 0 WHERE rule NOT IN {civil_code}")
    op.execute(f"UPDATE ballot SET min_assurance = 'invite_code' WHERE rule NOT IN {civil_code} OR status <> 'draft'")
    op.execute("UPDATE ballot SET status = 'final', finalized_at = closed_at WHERE status = 'closed'")
    # The plan version a final deciding ballot was held on: the one its motion names, else the project's
    # latest published version.
    op.execute("""
        UPDATE ballot SET plan_version_id = COALESCE(
            (SELECT m.plan_id FROM ballot_motion m WHERE m.ballot_id = ballot.id AND m.plan_id IS NOT NULL
             ORDER BY m.position LIMIT 1),
            (SELECT v.id FROM plan_version v WHERE v.project_id = ballot.project_id AND v.status <> 'draft'
             ORDER BY v.version DESC LIMIT 1))
        WHERE status = 'final' AND decides_project""")
    op.execute("""
        UPDATE unit_binding SET assurance = CASE method
            WHEN 'invite_code' THEN 'invite_code' WHEN 'phone_match' THEN 'phone_match' ELSE 'in_person' END
        WHERE status = 'approved'""")
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('notice_days', server_default=None)
        batch_op.alter_column('objection_days', server_default=None)
        batch_op.alter_column('min_assurance', server_default=None)


def downgrade() -> None:
    op.execute("UPDATE ballot SET status = 'closed' WHERE status = 'final'")
    op.execute("UPDATE ballot SET status = 'draft' WHERE status IN ('announced', 'cancelled')")
    with op.batch_alter_table('unit_binding', schema=None) as batch_op:
        batch_op.drop_column('assurance')

    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_outbox_ref'))
        batch_op.drop_column('ref')

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ballot_plan_version_id_plan_version'), type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('finalized_at')
        batch_op.drop_column('announced_at')
        batch_op.drop_column('plan_version_id')
        batch_op.drop_column('min_assurance')
        batch_op.drop_column('objection_days')
        batch_op.drop_column('notice_days')

    with op.batch_alter_table('identity_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_check_binding_id'))

    op.drop_table('identity_check')
    with op.batch_alter_table('ballot_recount', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_recount_ballot_id'))

    op.drop_table('ballot_recount')
    with op.batch_alter_table('ballot_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_objection_ballot_id'))

    op.drop_table('ballot_objection')
    with op.batch_alter_table('ballot_notice_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_notice_delivery_ballot_id'))

    op.drop_table('ballot_notice_delivery')
    with op.batch_alter_table('ballot_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_correction_ballot_id'))

    op.drop_table('ballot_correction')
