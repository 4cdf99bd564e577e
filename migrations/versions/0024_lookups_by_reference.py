"""lookups by a column no index led with, found by explaining the statements the tests run (with sequential
scans priced out on PostgreSQL; SQLite's plans also show the foreign keys a delete checks): the
rectification orders of a page of inspections or of complaints (by rectification.inspection_id /
feedback_id: every list page of either read every order in the city); the accounts a person created
(app_user.created_by, read when a binding is decided, so that nobody binds a second account of their own:
it read every account); an acceptance by its record's hash (the public certificate check, anonymous); the
identity checks naming a file (identity_check.file_id: deleting any file - a closed account's loose
uploads, a paper form's photo past its retention - had the database read every identity check to see none
still named it). Each table is written rarely. A plain CREATE INDEX holds writes to its table while it
builds: upgrade a city's database at a quiet hour

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 04:30:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (  # table, column
    ('rectification', 'inspection_id'),
    ('rectification', 'feedback_id'),
    ('app_user', 'created_by'),
    ('acceptance', 'content_hash'),
    ('identity_check', 'file_id'),
)


def upgrade() -> None:
    for table, column in _INDEXES:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(_INDEXES):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
