# SPDX-License-Identifier: EUPL-1.2
"""objections, and the audit log made append-only in the database (ADR 0025, ADR 0026)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:22:01.187524+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Row-level triggers: they do not fire on TRUNCATE, which only the table owner (the operator, the test cleanup)
# may run; the application never truncates. The message names no value of the row.
POSTGRES_GUARD = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""
SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op_name} refused'); END"
    for op_name in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("youth_id", sa.Uuid(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["youth_id"], ["youths.id"], name=op.f("fk_objections_youth_id_youths"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("youth_id", name=op.f("pk_objections")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_GUARD)
    else:
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table("objections")
