"""a version per user, bumped in every transaction that changes the user's row, one of their logins, role
assignments or bindings, with a notification to every API process's caller cache (PostgreSQL triggers;
SQLite has no cache and no triggers)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The user's own row: every update bumps its version and tells the listeners (app.auth.caller_cache),
# whose notifications PostgreSQL delivers when, and only if, the transaction commits.
_BUMP = """
CREATE FUNCTION caller_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.principal_version := OLD.principal_version + 1;
    PERFORM pg_notify('caller_changed', NEW.id::text || ':' || NEW.principal_version);
    RETURN NEW;
END $$
"""
# What the caller is read with besides the row: a change there updates the user's row, and so bumps it.
_TOUCH = """
CREATE FUNCTION caller_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE app_user SET principal_version = principal_version WHERE id = OLD.user_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        UPDATE app_user SET principal_version = principal_version WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END $$
"""
_TABLES = ("auth_session", "role_assignment", "unit_binding")


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('principal_version', sa.BigInteger(), nullable=False, server_default='0'))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('principal_version', server_default=None)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(_BUMP)
    op.execute("CREATE TRIGGER app_user_caller_version BEFORE UPDATE ON app_user FOR EACH ROW "
               "EXECUTE FUNCTION caller_version_bump()")
    op.execute(_TOUCH)
    for table in _TABLES:
        op.execute(f"CREATE TRIGGER {table}_caller_touch AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION caller_touch()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_caller_touch ON {table}")
        op.execute("DROP TRIGGER app_user_caller_version ON app_user")
        op.execute("DROP FUNCTION caller_touch()")
        op.execute("DROP FUNCTION caller_version_bump()")
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('principal_version')
