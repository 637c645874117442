# SPDX-License-Identifier: EUPL-1.2
"""One youth on one month-end date D: the dimension bands and the flags every population indicator counts.

Pure functions over the rules' `YouthState` (no database, no clock). The conditions are the rules' own
(`out_of_view_condition`, the thuiszitter rules, `risk_score`), so reporting and signals never disagree on a
definition. Signals and accountability are taken as they stood on D (their history), not as they are now, so a
snapshot of a past month-end describes that day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.core.calendar import (
    add_months_clamped,
    eighteenth_birthday,
    is_kwalificatieplichtig,
    is_leerplichtig,
    seventeen_and_a_half,
)
from services.reporting.periods import age_band
from services.signals.rules import RuleContext, YouthState, out_of_view_condition, risk_score
from services.signals.rules.absence import long_term_absence
from services.signals.rules.enrolment import absolute_absence
from services.signals.rules.state import ExistingSignal

AT_RISK_SIGNALS = frozenset({"absence-16h", "mbo-not-applied", "transition-18-no-plan"})
CONTACT_DAYS = 90
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SignalHistory:
    """A stored signal with the local dates of its status changes, to read its status on any date."""

    type: str
    dedupe_key: str
    severity: str
    raised_on: date
    changes: tuple[tuple[date, str], ...]  # (local date, new status), in order

    def status_on(self, day: date) -> str | None:
        """The status at the end of `day`; None when it was not raised yet."""
        if self.raised_on > day:
            return None
        status = "open"
        for changed_on, new_status in self.changes:
            if changed_on > day:
                break
            status = new_status
        return status


@dataclass(frozen=True)
class AccountabilitySpan:
    partner_id: uuid.UUID
    since: date
    until: date | None  # the local date it ended (exclusive: on that day another partner holds it)

    def holds_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


def as_of(
    state: YouthState, day: date, signals: list[SignalHistory], spans: list[AccountabilitySpan]
) -> tuple[YouthState, list[tuple[SignalHistory, str]]]:
    """The state with the signals and accountable partner as they stood at the end of `day`."""
    standing = [(s, status) for s in signals if (status := s.status_on(day)) is not None]
    holder = next((span.partner_id for span in spans if span.holds_on(day)), None)
    existing = tuple(ExistingSignal(s.type, s.dedupe_key, status, s.raised_on) for s, status in standing)
    return replace(state, signals=existing, accountable_partner=holder), standing


def youth_month(
    state: YouthState, ctx: RuleContext, signals: list[SignalHistory], spans: list[AccountabilitySpan]
) -> dict[str, object]:
    """The snapshot row of `state.youth_id` on `ctx.day` (a month-end)."""
    day = ctx.day
    state, standing = as_of(state, day, signals, spans)
    registration = state.registration_on(day)
    registered = registration is not None and registration.registered
    target = state.in_target_group(day)
    birth = state.birth_date
    age = state.age_on(day)
    enrolment = state.current_enrolment(day)
    enrolled = enrolment is not None
    employed = any(e.active_on(day) for e in state.episodes_of("employment"))
    duty = birth is not None and (
        is_leerplichtig(birth, day) or is_kwalificatieplichtig(birth, day, state.startkwalificatie_date)
    )
    active_signals = [(s, status) for s, status in standing if status in ("open", "acknowledged")]
    out_of_view = target and out_of_view_condition(state, ctx) is not None
    thuiszitter = target and bool(long_term_absence(state, ctx) or absolute_absence(state, ctx))
    eligible = covered = False
    if target and birth is not None and seventeen_and_a_half(birth) <= day < eighteenth_birthday(birth):
        care = state.episodes_of("care")
        eligible = any(e.category == "jeugdwet" and e.active_on(day) for e in care)
        since = add_months_clamped(day, -12)
        covered = eligible and any(since <= f.day <= day for f in state.facts_of("transition-plan"))
    without_accountable = state.accountable_partner is None and any(
        s.severity in ("medium", "high") for s, _ in active_signals
    )
    return {
        "month_end": day,
        "youth_id": state.youth_id,
        "district": (registration.district if registered and registration and registration.district else UNKNOWN),
        "age_band": age_band(birth, day),
        "sector": enrolment.sector if enrolment is not None else "none",
        "group_code": group_of(state, ctx, active_signals, out_of_view) if target else "none",
        "target": int(target),
        "age_16_26": int(target and age is not None and 16 <= age <= 26),
        "active": int(target and age is not None and 16 <= age <= 26 and (enrolled or employed)),
        "duty_enrolled": int(target and duty and enrolled),
        "out_of_view": int(out_of_view),
        "thuiszitter": int(thuiszitter),
        "tp_eligible": int(eligible),
        "tp_covered": int(covered),
        "without_accountable": int(without_accountable),
    }


def group_of(
    state: YouthState, ctx: RuleContext, active_signals: list[tuple[SignalHistory, str]], out_of_view: bool
) -> str:
    """domain.md, "Groups": the first that applies of out of view, in view, at risk; else none."""
    day = ctx.day
    if out_of_view:
        return "2-out-of-view"
    if state.accountable_partner is not None:
        trajectory = any(e.active_on(day) for e in state.episodes_of("trajectory"))
        first = day - timedelta(days=CONTACT_DAYS)
        contact = any(first <= f.day <= day for f in state.facts_of("contact"))
        acknowledged = any(status == "acknowledged" for _, status in active_signals)
        if trajectory or contact or acknowledged:
            return "1-in-view"
    score = risk_score(state, ctx)
    if score is not None and score.points >= ctx.risk_threshold:
        return "3-at-risk"
    if any(s.type in AT_RISK_SIGNALS for s, _ in active_signals):
        return "3-at-risk"
    return "none"
