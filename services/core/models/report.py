# SPDX-License-Identifier: EUPL-1.2
"""Reporting's precomputed aggregates: a per-youth snapshot at each month-end and the cube summed from it.

Only the reporting refresh writes these tables; the reporting API reads them through its read-only session.
The snapshot holds no identifier beyond the internal youth id and never leaves the database: every published
number is a sum over it, through disclosure control. The cube (`reporting_month_cells`) carries no youth at all,
so it stays when a youth's personal data is erased.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base

CODE = String(16)


class ReportingYouthMonth(Base):
    """One youth on one month-end date: the fixed dimension bands and the 0/1 flags the indicators count.

    Flags are small integers so that a plain SUM counts them on Postgres and SQLite alike.
    """

    __tablename__ = "reporting_youth_months"

    month_end: Mapped[date] = mapped_column(primary_key=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(CODE)
    age_band: Mapped[str] = mapped_column(CODE)
    sector: Mapped[str] = mapped_column(CODE)
    group_code: Mapped[str] = mapped_column(CODE)
    target: Mapped[int] = mapped_column(SmallInteger)
    age_16_26: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[int] = mapped_column(SmallInteger)
    duty_enrolled: Mapped[int] = mapped_column(SmallInteger)
    out_of_view: Mapped[int] = mapped_column(SmallInteger)
    thuiszitter: Mapped[int] = mapped_column(SmallInteger)
    tp_eligible: Mapped[int] = mapped_column(SmallInteger)
    tp_covered: Mapped[int] = mapped_column(SmallInteger)
    without_accountable: Mapped[int] = mapped_column(SmallInteger)


class ReportingMonthCell(Base):
    """The cube: per month-end and combination of dimension bands, how many youths have each flag."""

    __tablename__ = "reporting_month_cells"

    month_end: Mapped[date] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(CODE, primary_key=True)
    age_band: Mapped[str] = mapped_column(CODE, primary_key=True)
    sector: Mapped[str] = mapped_column(CODE, primary_key=True)
    group_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    target: Mapped[int] = mapped_column(Integer)
    age_16_26: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    duty_enrolled: Mapped[int] = mapped_column(Integer)
    out_of_view: Mapped[int] = mapped_column(Integer)
    thuiszitter: Mapped[int] = mapped_column(Integer)
    tp_eligible: Mapped[int] = mapped_column(Integer)
    tp_covered: Mapped[int] = mapped_column(Integer)
    without_accountable: Mapped[int] = mapped_column(Integer)


class ReportingMonthEnd(Base):
    """A month-end date whose snapshot and cube are computed: only these dates (and the periods ending on
    them) are published, so a month not yet computed never shows as zeros.

    The marks are how far the event store, the signal history and the accountability history had come when the
    date was computed: youths with anything newer are recomputed for it, so late events change history as
    "as of" demands. Each date keeps its own marks, so an interrupted refresh never recomputes what it finished.
    """

    __tablename__ = "reporting_month_ends"

    month_end: Mapped[date] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime]
    event_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    signal_change_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    accountability_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
