"""naming a user a residents' representative in an open acceptance round bumps their principal version (as
a new role or binding does, migration 0019): a process may then keep, per caller and version, that no open
round names them (PostgreSQL trigger; SQLite keeps no versions)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 15:00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A round that is open names its representatives: when it opens with them, or is reopened, or its list
# changes. Updating the user's row bumps their version and notifies the caller caches (0019's trigger).
# A round closing or a name taken off needs no bump: what was kept ("named nowhere") only becomes truer.
_TOUCH = """
CREATE FUNCTION representative_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'open' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status
                                OR OLD.representatives::text IS DISTINCT FROM NEW.representatives::text) THEN
        UPDATE app_user SET principal_version = principal_version
        WHERE id IN (SELECT json_array_elements_text(NEW.representatives)::uuid);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(_TOUCH)
    op.execute("CREATE TRIGGER acceptance_representative_touch AFTER INSERT OR UPDATE OF status, representatives "
               "ON acceptance FOR EACH ROW EXECUTE FUNCTION representative_touch()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER acceptance_representative_touch ON acceptance")
        op.execute("DROP FUNCTION representative_touch()")
