"""two lookups by a column no index led with, found by explaining on SQLite every statement the tests run:
the signatures naming a file (acceptance_signature.signature_file_id: deleting any file - a closed account's
loose uploads, a paper form's photo past its retention - had the database read every signature of every
acceptance round to see none still named it, as identity checks before 0024), and the bindings of persons
on record (unit_binding by person_id and status: the owners told of a ballot - its announcement, its
reminders - were found among every approved binding in the city; with the status in the index SQLite
prefers it to the index on the status alone). A plain CREATE INDEX holds writes to its table while it
builds: upgrade a city's database at a quiet hour

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:45:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (  # name, table, columns
    ('ix_acceptance_signature_signature_file_id', 'acceptance_signature', ['signature_file_id']),
    ('ix_unit_binding_person_status', 'unit_binding', ['person_id', 'status']),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(op.f(name), table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(op.f(name), table_name=table)
