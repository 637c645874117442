# SPDX-License-Identifier: EUPL-1.2
"""events.seq drawn in blocks of 1000: one nextval reserves a batched request's sequence numbers (ADR 0031)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:05:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The largest request (services.intake: at most 1000 events per batch, and the importer's batches).
BLOCK = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no sequences (and no pipelined writes)
        op.execute(f"ALTER SEQUENCE events_seq_seq INCREMENT BY {BLOCK}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE events_seq_seq INCREMENT BY 1")
