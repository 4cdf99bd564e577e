"""the accounts holding a password (staff: residents log in through WeChat), in the order the list of staff
pages them: an admin's list of staff read every account in the city, residents' included, to find the few
with a password or a role. A partial index, small as the staff are few. A plain CREATE INDEX holds writes to
app_user while it builds: upgrade a city's database at a quiet hour

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLDERS = sa.text('password_hash IS NOT NULL')


def upgrade() -> None:
    op.create_index(op.f('ix_app_user_password_holders'), 'app_user', ['created_at', 'id'], unique=False,
                    postgresql_where=_HOLDERS, sqlite_where=_HOLDERS)


def downgrade() -> None:
    op.drop_index(op.f('ix_app_user_password_holders'), table_name='app_user', postgresql_where=_HOLDERS,
                  sqlite_where=_HOLDERS)
