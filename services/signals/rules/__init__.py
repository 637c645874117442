# SPDX-License-Identifier: EUPL-1.2
"""The rules of spec/domain.md, "Signal types": pure functions of a youth's state and a date.

One module per rule family; each rule returns the signals that should exist on D, with reason codes and the
facts that fired them. Routing, deduplication against stored signals, deadlines and escalation happen in
`services.signals.evaluation`; `handover-stalled` is about a handover, not a youth's state: its test is in
`handovers.py` and the evaluation raises it.
"""

from __future__ import annotations

from collections.abc import Callable

from services.signals.rules.absence import absence_16h, absence_18plus, long_term_absence
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.enrolment import absolute_absence, mbo_not_applied, no_startkwalificatie
from services.signals.rules.risk import dropout_risk, risk_score
from services.signals.rules.state import YouthState
from services.signals.rules.transition import handover_due_18, transition_18_care_gap, transition_18_no_plan
from services.signals.rules.view import out_of_view, out_of_view_condition, relapse

Rule = Callable[[YouthState, RuleContext], list[Candidate]]

RULES: tuple[Rule, ...] = (
    absence_16h,
    absence_18plus,
    long_term_absence,
    absolute_absence,
    no_startkwalificatie,
    mbo_not_applied,
    transition_18_no_plan,
    transition_18_care_gap,
    out_of_view,
    relapse,
    # Last: the score reads the absence-16h signals, and the handover rule the active signals, raised above.
    dropout_risk,
    handover_due_18,
)


__all__ = [
    "RULES",
    "Candidate",
    "Reason",
    "Route",
    "RuleContext",
    "YouthState",
    "out_of_view_condition",
    "risk_score",
]
