"""the signatures naming a file (acceptance_signature.signature_file_id): deleting any file - a closed
account's loose uploads, a paper form's photo past its retention - had the database read every signature
of every acceptance round to see none still named it (found as 0024's were, by explaining the statements
of closing an account). A plain CREATE INDEX holds writes to the table while it builds: upgrade a city's
database at a quiet hour

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


def upgrade() -> None:
    op.create_index(op.f('ix_acceptance_signature_signature_file_id'), 'acceptance_signature', ['signature_file_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_acceptance_signature_signature_file_id'), table_name='acceptance_signature')
