"""one audit chain per estate, linked after the commit: entries get an id (the order they were recorded
in) and a chain (the estate's id, or "city"); seq and the hashes are set when the entry is chained; the
head becomes one row per chain. The entries recorded before stay as they were, in the "city" chain, so
that their hashes still verify.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "created_at, actor_id, action, entity_type, entity_id, estate_id, before, after, request_id, prev_hash, hash"


def _rename_old_entries() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_estate_id'))
        batch_op.drop_index('ix_audit_entry_entity')
    op.rename_table('audit_entry', 'audit_entry_old')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE audit_entry_old RENAME CONSTRAINT pk_audit_entry TO pk_audit_entry_old')


def _entry_indexes() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_estate_id'), ['estate_id'], unique=False)


def upgrade() -> None:
    _rename_old_entries()
    op.create_table('audit_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chain', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('estate_id', sa.Uuid(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('chain', 'seq', name=op.f('uq_audit_entry_chain_seq'))
    )
    _entry_indexes()
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_unchained', ['chain', 'id'], unique=False,
                              postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
    op.execute(f"INSERT INTO audit_entry (id, chain, seq, {_COLUMNS}) SELECT seq, 'city', seq, {_COLUMNS} FROM audit_entry_old")
    op.drop_table('audit_entry_old')
    if op.get_bind().dialect.name == 'postgresql':  # the id sequence goes on after the entries copied
        op.execute("SELECT setval('audit_entry_id_seq', COALESCE((SELECT max(id) FROM audit_entry), 0) + 1, false)")

    head = op.get_bind().execute(sa.text('SELECT last_seq, last_hash FROM audit_head WHERE id = 1')).one()
    op.drop_table('audit_head')
    op.create_table('audit_head',
    sa.Column('chain', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('chained_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_head'))
    )
    op.execute(sa.text("INSERT INTO audit_head (chain, last_seq, last_hash) VALUES ('city', :s, :h)")
               .bindparams(s=head.last_seq, h=head.last_hash))


def _one_chain() -> tuple[int, str]:
    """Every entry re-linked into the single chain of 0016, in the order recorded, with the key in force:
    a downgrade rewrites the chain, so verify it before (``python -m app audit-verify``)."""
    from sqlalchemy.orm import Session
    from sqlmodel import select

    from app.core.audit import GENESIS_HASH, entry_hash
    from app.core.models import AuditEntry

    session = Session(bind=op.get_bind())
    columns = [AuditEntry.id, AuditEntry.created_at, AuditEntry.actor_id, AuditEntry.action, AuditEntry.entity_type,
               AuditEntry.entity_id, AuditEntry.estate_id, AuditEntry.before, AuditEntry.after, AuditEntry.request_id]
    seq, prev = 0, GENESIS_HASH
    for row in session.execute(select(*columns).order_by(AuditEntry.id)).all():
        seq += 1
        entry = AuditEntry(chain="city", seq=seq, **{k: v for k, v in row._mapping.items() if k != "id"})
        digest = entry_hash(prev, entry)
        op.execute(sa.text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE id = :i")
                   .bindparams(p=prev, h=digest, i=row.id))
        prev = digest
    return seq, prev


def downgrade() -> None:
    last_seq, last_hash = _one_chain()
    op.drop_table('audit_head')
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.execute(sa.text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, :s, :h)")
               .bindparams(s=last_seq, h=last_hash))

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_unchained', postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
    _rename_old_entries()
    op.create_table('audit_entry',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('estate_id', sa.Uuid(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry'))
    )
    _entry_indexes()
    op.execute(f"INSERT INTO audit_entry (seq, {_COLUMNS}) SELECT row_number() OVER (ORDER BY id), {_COLUMNS} "
               "FROM audit_entry_old")
    op.drop_table('audit_entry_old')
