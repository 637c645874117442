# SPDX-License-Identifier: EUPL-1.2
"""intake_lost_race(n): fails the intake's pipelined events insert when a stored retraction names one (ADR 0038)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:45:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pipelined writes commit in the same round trip as they write, so a request whose events a stored
# retraction names must fail inside the statement, before the COMMIT behind it runs; the caller recognises the
# SQLSTATE (services/intake/repository_pipeline.py) and stores the request the sequential way.
FUNCTION = """
CREATE FUNCTION intake_lost_race(flagged bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    IF flagged > 0 THEN
        RAISE EXCEPTION 'a stored retraction names % of the events', flagged USING ERRCODE = 'GL001';
    END IF;
    RETURN flagged;
END;
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no pipelined writes
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION intake_lost_race(bigint)")
