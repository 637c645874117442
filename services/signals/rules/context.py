# SPDX-License-Identifier: EUPL-1.2
"""What a rule needs besides the youth's state: the evaluation date and the municipality's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.core.calendar import Region


@dataclass(frozen=True)
class RuleContext:
    """Evaluation is always as of `day` (D): never the wall clock (domain.md, "Evaluation")."""

    day: date
    education_data_complete: bool = False
    lookback_days: int = 28
    risk_threshold: int = 4
    out_of_view_days: int = 90
    long_absence_share: float = 0.9
    default_region: Region = "midden"

    def within_lookback(self, period_end: date | None) -> bool:
        """A period still going on (None) or ended at most `lookback_days` before D (domain.md, "Evaluation")."""
        return period_end is None or period_end >= self.day - timedelta(days=self.lookback_days)

    def fires_on(self, trigger: date) -> bool:
        """A rule "on date X" fires at the first evaluation with X <= D <= X + 30 days (domain.md)."""
        return trigger <= self.day <= trigger + timedelta(days=30)
