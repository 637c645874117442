# SPDX-License-Identifier: EUPL-1.2
"""The transparent dropout-risk score (`dropout-risk`, group 3): points per reason, no statistical model.

Never used here, by design (domain.md, "Dropout-risk score"): nationality, ethnicity, gender, religion,
postcode, district, care, health or life-domain scores. The state handed to this module carries district and
care, so the score reads only enrolments, absence, unenrolment reasons and earlier signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.core.calendar import SchoolYear, school_year_of
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.state import EnrolmentPeriod, YouthState
from services.signals.rules.weeks import lesweek_runs

RATE_WEEKS = 8
RATE_SHARE = 0.10
# A change of school counts when the previous enrolment was active within this many days of the new start.
TRANSFER_GAP = timedelta(days=60)


@dataclass(frozen=True)
class RiskScore:
    points: int
    reasons: tuple[Reason, ...]


def _absence_rate(state: YouthState, ctx: RuleContext, enrolment: EnrolmentPeriod) -> Reason | None:
    sequences = lesweek_runs(state, ctx.day).get(enrolment.brin, [])
    weeks = sequences[-1][-RATE_WEEKS:] if sequences else []
    scheduled = sum(w.report.scheduled for w in weeks if w.report)
    unauthorized = sum(w.unauthorized for w in weeks)
    if scheduled <= 0 or round(unauthorized, 6) < round(RATE_SHARE * scheduled, 6):
        return None
    return Reason(
        "absence-rate-10",
        {
            "points": 2,
            "unauthorizedHours": unauthorized,
            "scheduledHours": scheduled,
            "fromWeek": weeks[0].monday.isoformat(),
            "lesweken": len(weeks),
        },
    )


def _mid_year_transfer(state: YouthState, ctx: RuleContext, year: SchoolYear) -> Reason | None:
    window_first, window_last = date(year.start_year, 10, 1), min(date(year.start_year + 1, 6, 30), ctx.day)
    for new in state.enrolments:
        if not window_first <= new.start <= window_last:
            continue
        for old in state.enrolments:
            before = old.start < new.start and (old.end is None or old.end >= new.start - TRANSFER_GAP)
            if old.brin != new.brin and before:
                return Reason("mid-year-transfer", {"points": 1, "on": new.start.isoformat(), "toBrin": new.brin})
    return None


def _grade_repeated(state: YouthState, year: SchoolYear, current: EnrolmentPeriod) -> Reason | None:
    """Two enrolment states, one started in the previous school year and one in this one, with the same grade
    and track (a state that merely continues across the summer is not a repeat)."""
    if not year.contains(current.start):
        return None
    previous = year.previous()
    for earlier in state.enrolments:
        same = earlier.grade == current.grade and earlier.track == current.track
        if same and previous.contains(earlier.start):
            return Reason(
                "grade-repeated",
                {
                    "points": 1,
                    "grade": current.grade,
                    "track": current.track,
                    "schoolYears": [previous.label, year.label],
                },
            )
    return None


def risk_score(state: YouthState, ctx: RuleContext) -> RiskScore | None:
    """The score on D for a youth with a current enrolment (None without one)."""
    enrolment = state.current_enrolment(ctx.day)
    if enrolment is None:
        return None
    year = school_year_of(ctx.day)
    reasons: list[Reason] = []
    rate = _absence_rate(state, ctx, enrolment)
    if rate is not None:
        reasons.append(rate)
    # A dismissed signal (a false positive, a retracted fact) is no ground for a score.
    signals_this_year = [
        s for s in state.signals if s.type == "absence-16h" and s.status != "dismissed" and year.contains(s.raised_on)
    ]
    if signals_this_year:
        reasons.append(
            Reason("absence-16h-this-year", {"points": 2, "raisedOn": signals_this_year[0].raised_on.isoformat()})
        )
    dropouts = [e for e in state.enrolments if e.end_reason == "dropout" and e.end is not None and e.end <= ctx.day]
    if dropouts:
        reasons.append(
            Reason("earlier-dropout", {"points": 2, "on": max(e.end for e in dropouts if e.end).isoformat()})
        )
    transfer = _mid_year_transfer(state, ctx, year)
    if transfer is not None:
        reasons.append(transfer)
    repeated = _grade_repeated(state, year, enrolment)
    if repeated is not None:
        reasons.append(repeated)
    if enrolment.sector == "mbo" and enrolment.grade == 1:
        reasons.append(Reason("first-year-mbo", {"points": 1, "track": enrolment.track}))
    return RiskScore(sum(int(r.facts["points"]) for r in reasons), tuple(reasons))


def dropout_risk(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Enrolled, under 23, no startkwalificatie, and a risk score of at least `GLANSRIJK_RISK_THRESHOLD`.
    Source: the programme's kwaliteitskader (early signalling of voortijdig schoolverlaten, a transparent
    points score instead of a model); spec/domain.md, `dropout-risk` and "Dropout-risk score". Routed to the
    school of the current enrolment. One signal per school year.
    """
    age = state.age_on(ctx.day)
    if age is None or age >= 23 or state.has_startkwalificatie(ctx.day):
        return []
    score = risk_score(state, ctx)
    enrolment = state.current_enrolment(ctx.day)
    if score is None or enrolment is None or score.points < ctx.risk_threshold:
        return []
    year = school_year_of(ctx.day)
    return [
        Candidate(
            type="dropout-risk",
            dedupe_key=year.label,
            reasons=(Reason("risk-score", {"points": score.points, "threshold": ctx.risk_threshold}), *score.reasons),
            route=Route("school", brin=enrolment.brin),
            evidence=frozenset(enrolment.refs),
        )
    ]
