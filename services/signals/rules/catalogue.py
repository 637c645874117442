# SPDX-License-Identifier: EUPL-1.2
"""The signal types of spec/domain.md, "Signal types": severity and deadline in working days."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignalType:
    code: str
    severity: str
    deadline_working_days: int


SIGNAL_TYPES: dict[str, SignalType] = {
    t.code: t
    for t in (
        SignalType("absence-16h", "medium", 5),
        SignalType("absence-18plus", "medium", 5),
        SignalType("long-term-absence", "high", 3),
        SignalType("absolute-absence", "high", 3),
        SignalType("no-startkwalificatie", "medium", 10),
        SignalType("mbo-not-applied", "medium", 10),
        SignalType("transition-18-no-plan", "medium", 10),
        SignalType("transition-18-care-gap", "high", 5),
        SignalType("handover-due-18", "medium", 20),
        SignalType("out-of-view", "low", 20),
        SignalType("dropout-risk", "low", 10),
        SignalType("relapse", "medium", 10),
        SignalType("handover-stalled", "medium", 5),
    )
}
