# SPDX-License-Identifier: EUPL-1.2
"""reporting: marks per month-end instead of one watermark (ADR 0020)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:52:36.814203+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("reporting_watermarks")
    # Month-ends computed before get 0: every youth with any event counts as changed, so they are recomputed once.
    for column in ("event_seq", "signal_change_id", "accountability_id"):
        op.add_column("reporting_month_ends", sa.Column(column, sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    for column in ("accountability_id", "signal_change_id", "event_seq"):
        op.drop_column("reporting_month_ends", column)
    op.create_table(
        "reporting_watermarks",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("signal_change_id", sa.BigInteger(), nullable=False),
        sa.Column("accountability_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_watermarks")),
    )
