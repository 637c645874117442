# SPDX-License-Identifier: EUPL-1.2
"""reporting: per-youth month snapshots, the month cube, watermarks and measurements

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:21:00.547860+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reporting_month_cells",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("district", sa.String(length=16), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("sector", sa.String(length=16), nullable=False),
        sa.Column("group_code", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("age_16_26", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("duty_enrolled", sa.Integer(), nullable=False),
        sa.Column("out_of_view", sa.Integer(), nullable=False),
        sa.Column("thuiszitter", sa.Integer(), nullable=False),
        sa.Column("tp_eligible", sa.Integer(), nullable=False),
        sa.Column("tp_covered", sa.Integer(), nullable=False),
        sa.Column("without_accountable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month_end", "district", "age_band", "sector", "group_code", name=op.f("pk_reporting_month_cells")
        ),
    )
    op.create_table(
        "reporting_month_ends",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month_end", name=op.f("pk_reporting_month_ends")),
    )
    op.create_table(
        "reporting_watermarks",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("signal_change_id", sa.BigInteger(), nullable=False),
        sa.Column("accountability_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_watermarks")),
    )
    op.create_table(
        "reporting_measurements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["partners.id"], name=op.f("fk_reporting_measurements_created_by_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_measurements")),
    )
    op.create_table(
        "reporting_youth_months",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("youth_id", sa.Uuid(), nullable=False),
        sa.Column("district", sa.String(length=16), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("sector", sa.String(length=16), nullable=False),
        sa.Column("group_code", sa.String(length=16), nullable=False),
        sa.Column("target", sa.SmallInteger(), nullable=False),
        sa.Column("age_16_26", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.SmallInteger(), nullable=False),
        sa.Column("duty_enrolled", sa.SmallInteger(), nullable=False),
        sa.Column("out_of_view", sa.SmallInteger(), nullable=False),
        sa.Column("thuiszitter", sa.SmallInteger(), nullable=False),
        sa.Column("tp_eligible", sa.SmallInteger(), nullable=False),
        sa.Column("tp_covered", sa.SmallInteger(), nullable=False),
        sa.Column("without_accountable", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["youth_id"], ["youths.id"], name=op.f("fk_reporting_youth_months_youth_id_youths"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("month_end", "youth_id", name=op.f("pk_reporting_youth_months")),
    )
    op.create_table(
        "reporting_measurement_values",
        sa.Column("measurement_id", sa.Uuid(), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("dimension_value", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["reporting_measurements.id"],
            name=op.f("fk_reporting_measurement_values_measurement_id_reporting_measurements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "measurement_id",
            "measure",
            "period",
            "dimension",
            "dimension_value",
            name=op.f("pk_reporting_measurement_values"),
        ),
    )


def downgrade() -> None:
    op.drop_table("reporting_measurement_values")
    op.drop_table("reporting_youth_months")
    op.drop_table("reporting_measurements")
    op.drop_table("reporting_watermarks")
    op.drop_table("reporting_month_ends")
    op.drop_table("reporting_month_cells")
