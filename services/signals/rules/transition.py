# SPDX-License-Identifier: EUPL-1.2
"""The 18-/18+ transition: `transition-18-no-plan`, `transition-18-care-gap`, `handover-due-18`.

At 18 youth care under the Jeugdwet ends (unless extended) and duties move from leerplicht to the RMC and
from youth care to the Wmo and Participatiewet; these rules catch the youths that fall between the two.
"""

from __future__ import annotations

from datetime import timedelta

from services.core.calendar import add_months_clamped, eighteenth_birthday, seventeen_and_a_half
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.state import Episode, YouthState

GAP_DAYS = 30


def _jeugdwet(state: YouthState) -> list[Episode]:
    return [e for e in state.episodes_of("care") if e.category == "jeugdwet"]


def transition_18_no_plan(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Aged 17 years and 6 months up to 18, in Jeugdwet care, and no transition plan dated in the last 12
    months. Source: Jeugdwet art. 2.3 / 7.3.x (the college's duty to arrange continuity at 18) and the
    programme's kwaliteitskader (a transition plan from 17.5); spec/domain.md, `transition-18-no-plan`.
    """
    birth = state.birth_date
    if birth is None:
        return []
    start, birthday = seventeen_and_a_half(birth), eighteenth_birthday(birth)
    if not start <= ctx.day < birthday:
        return []
    care = [e for e in _jeugdwet(state) if e.active_on(ctx.day)]
    if not care:
        return []
    since = add_months_clamped(ctx.day, -12)
    if any(since <= f.day <= ctx.day for f in state.facts_of("transition-plan")):
        return []
    first = min(care, key=lambda e: e.start or ctx.day)
    return [
        Candidate(
            type="transition-18-no-plan",
            dedupe_key=birthday.isoformat(),
            reasons=(
                Reason("age-17-and-a-half", {"since": start.isoformat(), "eighteenOn": birthday.isoformat()}),
                Reason("jeugdwet-care", {"since": first.start.isoformat() if first.start else None}, "care"),
                Reason("no-transition-plan", {"datedSince": since.isoformat()}, "transition-plan"),
            ),
            route=Route("youth-care"),
            evidence=frozenset(ref for e in care for ref in e.refs),
        )
    ]


def transition_18_care_gap(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Jeugdwet care ended between 3 months before and 3 months after the 18th birthday, and in the 30 days
    after its end nothing took over: no other care, no support trajectory, no transition plan. The rule is
    "on" the 31st day after the end. A transition plan counts when it is in place in those 30 days: dated in
    the 12 months before the end (the same validity as `transition-18-no-plan`) or in the 30 days after.
    Source: Jeugdwet art. 2.3 and Wmo 2015 (continuity of care at 18); spec/domain.md, `transition-18-care-gap`.
    """
    birth = state.birth_date
    if birth is None:
        return []
    birthday = eighteenth_birthday(birth)
    window_first, window_last = add_months_clamped(birthday, -3), add_months_clamped(birthday, 3)
    found: list[Candidate] = []
    for care in _jeugdwet(state):
        end = care.end
        if end is None or not window_first <= end <= window_last:
            continue
        gap_first, gap_last = end + timedelta(days=1), end + timedelta(days=GAP_DAYS)
        # "On" the day after the 30 days, and like every rule only within the look-back after that period.
        if not ctx.fires_on(gap_last + timedelta(days=1)) or not ctx.within_lookback(gap_last):
            continue
        followed = any(
            other is not care and other.overlaps(gap_first, gap_last)
            for other in state.episodes
            if other.kind in ("care", "trajectory")
        )
        planned = any(add_months_clamped(end, -12) <= f.day <= gap_last for f in state.facts_of("transition-plan"))
        if followed or planned:
            continue
        found.append(
            Candidate(
                type="transition-18-care-gap",
                dedupe_key=birthday.isoformat(),
                reasons=(
                    Reason("jeugdwet-care-ended", {"on": end.isoformat(), "eighteenOn": birthday.isoformat()}, "care"),
                    Reason("nothing-in-its-place", {"from": gap_first.isoformat(), "to": gap_last.isoformat()}),
                ),
                route=Route("municipality", partner=state.accountable_partner),
                evidence=frozenset(care.refs),
            )
        )
    return found


def handover_due_18(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """On the 18th birthday the accountable partner is leerplicht (whose task ends at 18), or youth-care while
    the youth's Jeugdwet care ends on or before the birthday, and the youth has an active signal or trajectory:
    the accountable partner must hand over. Source: Leerplichtwet art. 4a / RMC-functie and Jeugdwet (the
    responsibility moves at 18); spec/domain.md, `handover-due-18`.
    """
    birth = state.birth_date
    partner = state.accountable_partner
    if birth is None or partner is None:
        return []
    birthday = eighteenth_birthday(birth)
    if not ctx.fires_on(birthday):
        return []
    roles = state.accountable_roles
    # Jeugdwet care that ends on or before the birthday, and none that goes on after it (verlengde jeugdhulp).
    jeugdwet = _jeugdwet(state)
    continues = any(e.active_on(birthday + timedelta(days=1)) for e in jeugdwet)
    care_ends = [] if continues else [e for e in jeugdwet if e.end is not None and e.end <= birthday]
    if "leerplicht" in roles:
        reason = Reason("accountable-leerplicht", {"eighteenOn": birthday.isoformat()})
    elif "youth-care" in roles and care_ends:
        last = max(e.end for e in care_ends if e.end is not None)
        reason = Reason("jeugdwet-care-ends", {"on": last.isoformat(), "eighteenOn": birthday.isoformat()}, "care")
    else:
        return []
    trajectories = [e for e in state.episodes_of("trajectory") if e.active_on(ctx.day)]
    if not trajectories and not state.has_active_signal(exclude_type="handover-due-18"):
        return []
    return [
        Candidate(
            type="handover-due-18",
            dedupe_key=birthday.isoformat(),
            reasons=(reason, Reason("active-signal-or-trajectory", {"trajectories": len(trajectories)})),
            route=Route("municipality", partner=partner),
        )
    ]
