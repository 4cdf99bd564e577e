"""bindings name a person; invite codes a person; who created accounts and corrected records; throttles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:13:05.670545
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_persons() -> None:
    """Give existing bindings and unused invitation codes their person where the record leaves no doubt:
    the unit has exactly one person in the binding's (or code's) relation, and no other approved binding
    already names that person. The rest keep no person (bindings stay as they are; such codes are
    refused at redemption)."""
    conn = op.get_bind()
    occupants: dict[tuple, list] = {}
    for unit_id, person_id, relation in conn.execute(sa.text("SELECT unit_id, person_id, relation FROM unit_occupant")):
        occupants.setdefault((str(unit_id), relation), []).append(person_id)
    claimed = set()
    bindings = conn.execute(sa.text(
        "SELECT id, unit_id, relation, status FROM unit_binding WHERE person_id IS NULL "
        "ORDER BY CASE WHEN status = 'approved' THEN 0 ELSE 1 END, created_at, id"
    )).all()
    for binding_id, unit_id, relation, status in bindings:
        persons = occupants.get((str(unit_id), relation), [])
        if len(persons) != 1 or (status == "approved" and (str(unit_id), str(persons[0])) in claimed):
            continue
        if status == "approved":
            claimed.add((str(unit_id), str(persons[0])))
        conn.execute(sa.text("UPDATE unit_binding SET person_id = :p WHERE id = :i"), {"p": persons[0], "i": binding_id})
    codes = conn.execute(sa.text("SELECT id, unit_id, relation FROM invite_code WHERE used_at IS NULL")).all()
    for code_id, unit_id, relation in codes:
        persons = occupants.get((str(unit_id), relation), [])
        if len(persons) == 1:
            conn.execute(sa.text("UPDATE invite_code SET person_id = :p WHERE id = :i"), {"p": persons[0], "i": code_id})


def upgrade() -> None:
    op.create_table('throttle_counter',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counter'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_app_user_created_by_app_user'), 'app_user', ['created_by'], ['id'])

    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invite_code_person_id_person'), 'person', ['person_id'], ['id'])

    _backfill_persons()
    with op.batch_alter_table('unit_binding', schema=None) as batch_op:
        batch_op.create_index('uq_unit_binding_approved_person', ['unit_id', 'person_id'], unique=True, postgresql_where=sa.text("status = 'approved' AND person_id IS NOT NULL"), sqlite_where=sa.text("status = 'approved' AND person_id IS NOT NULL"))

    with op.batch_alter_table('unit_occupant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_unit_occupant_recorded_by_app_user'), 'app_user', ['recorded_by'], ['id'])



def downgrade() -> None:
    op.drop_table('throttle_counter')
    with op.batch_alter_table('unit_occupant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unit_occupant_recorded_by_app_user'), type_='foreignkey')
        batch_op.drop_column('recorded_by')

    with op.batch_alter_table('unit_binding', schema=None) as batch_op:
        batch_op.drop_index('uq_unit_binding_approved_person', postgresql_where=sa.text("status = 'approved' AND person_id IS NOT NULL"), sqlite_where=sa.text("status = 'approved' AND person_id IS NOT NULL"))

    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invite_code_person_id_person'), type_='foreignkey')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_app_user_created_by_app_user'), type_='foreignkey')
        batch_op.drop_column('created_by')

