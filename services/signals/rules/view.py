# SPDX-License-Identifier: EUPL-1.2
"""Youths out of view (`out-of-view`, group 2) and falling back after support (`relapse`)."""

from __future__ import annotations

from datetime import date, timedelta

from services.core.calendar import add_months_clamped, is_kwalificatieplichtig, is_leerplichtig
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.enrolment import lesweken_not_enrolled
from services.signals.rules.state import EventRef, YouthState

IN_VIEW_EPISODES = ("employment", "benefit", "care", "trajectory")
SUCCESS_OUTCOMES = frozenset({"education", "work", "education-and-work"})
WORK_GAP_DAYS = 30


def last_in_view(state: YouthState, day: date) -> tuple[date, frozenset[EventRef]] | None:
    """The last day on or before `day` with an enrolment, employment, benefit, care, support trajectory or
    support contact (`day` itself when one is active), with the events that ended them that day; None when
    there was none."""
    found: list[tuple[date, EventRef | None]] = []
    for enrolment in state.enrolments:
        if enrolment.start <= day:
            found.append(
                (day, None) if enrolment.end is None or enrolment.end >= day else (enrolment.end, enrolment.refs[-1])
            )
    for episode in state.episodes:
        if episode.kind not in IN_VIEW_EPISODES or (episode.start is None and episode.end is None):
            continue
        if episode.start is not None and episode.start > day:
            continue
        if episode.end is None or episode.end >= day:
            if episode.start is not None or episode.end is not None:
                found.append((day, None))  # going on (an end still ahead: active now, even if its start is unknown)
            continue
        # Ended before `day` (its start may not be known yet: it was active at least on its last day).
        found.append((episode.end, episode.refs[-1]))
    found += [(f.day, f.ref) for f in state.facts_of("contact") if f.day <= day]
    if not found:
        return None
    last = max(d for d, _ in found)
    return last, frozenset(ref for d, ref in found if d == last and ref is not None)


def out_of_view_since(state: YouthState, day: date) -> tuple[date, frozenset[EventRef]] | None:
    """The first day of the current run out of view, with the events that started it; None when in view on
    `day` or the start is unknown."""
    last = last_in_view(state, day)
    if last is not None and last[0] == day:
        return None
    if last is not None:
        return last[0] + timedelta(days=1), last[1]
    first = state.first_registered_day(day)
    if first is None:
        return None
    return first, frozenset(r.ref for r in state.registrations if r.registered and r.day == first)


def out_of_view_condition(state: YouthState, ctx: RuleContext) -> tuple[date, frozenset[EventRef]] | None:
    """The run start (and its events) when the `out-of-view` condition holds on D, else None (also used by the
    groups)."""
    birth = state.birth_date
    if not ctx.education_data_complete or birth is None:
        return None
    age = state.age_on(ctx.day)
    if age is None or not 16 <= age <= 26:
        return None
    if is_leerplichtig(birth, ctx.day) or is_kwalificatieplichtig(birth, ctx.day, state.startkwalificatie_date):
        return None
    run = out_of_view_since(state, ctx.day)
    if run is None or (ctx.day - run[0]).days + 1 < ctx.out_of_view_days:
        return None
    return run


def out_of_view(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Aged 16 to 26, neither leerplichtig nor kwalificatieplichtig, and for `GLANSRIJK_OUT_OF_VIEW_DAYS` (90)
    days or more (the run's first day counted as day 1) not enrolled, employed, on benefit, in care, in a
    trajectory or in contact; only with complete education data. Source: RMC-functie and the Wet van school
    naar duurzaam werk (keeping youths up to 27 in view); spec/domain.md, `out-of-view`. Routed to the
    Doorstroompunt without a startkwalificatie, else to the municipality.
    """
    run = out_of_view_condition(state, ctx)
    if run is None:
        return []
    since, evidence = run
    qualified = state.has_startkwalificatie(ctx.day)
    return [
        Candidate(
            type="out-of-view",
            dedupe_key=since.isoformat(),
            reasons=(
                Reason("out-of-view", {"since": since.isoformat(), "days": (ctx.day - since).days + 1}),
                Reason("startkwalificatie" if qualified else "no-startkwalificatie", {}),
            ),
            route=Route("municipality" if qualified else "doorstroompunt"),
            evidence=evidence,
        )
    ]


def _active_in_education_or_work(state: YouthState, day: date) -> bool:
    return state.enrolled_on(day) or any(e.active_on(day) for e in state.episodes_of("employment"))


def _last_activity(state: YouthState, day: date) -> tuple[date, str] | None:
    """The last day on or before `day` enrolled or employed, with which of the two ended last."""
    ends: list[tuple[date, str]] = []
    for enrolment in state.enrolments:
        if enrolment.start <= day and enrolment.end is not None:
            ends.append((enrolment.end, "education"))
    for job in state.episodes_of("employment"):
        if (job.start is None or job.start <= day) and job.end is not None and job.end <= day:
            ends.append((job.end, "work"))
    return max(ends, default=None)


def relapse(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Within 12 months after a support trajectory ended with outcome education, work or both, the youth is no
    longer enrolled (for 2 lesweken, without a startkwalificatie) or employed (for 30 days), with nothing new
    in its place (no enrolment, employment or new trajectory). Source: the programme's kwaliteitskader
    (sustained outcome after support, 12 months); spec/domain.md, `relapse`. Routed to the partner that
    ended the trajectory.
    """
    if _active_in_education_or_work(state, ctx.day):
        return []
    last = _last_activity(state, ctx.day)
    if last is None:
        return []
    last_day, lost = last
    run_start = last_day + timedelta(days=1)
    found: list[Candidate] = []
    for trajectory in state.episodes_of("trajectory"):
        end = trajectory.end
        outcome = (trajectory.end_attrs or {}).get("outcome")
        if end is None or outcome not in SUCCESS_OUTCOMES or trajectory.end_event_id is None or end > ctx.day:
            continue
        if not end <= last_day or run_start > add_months_clamped(end, 12):
            continue
        if any(
            t is not trajectory and t.start is not None and t.start >= end and t.overlaps(run_start, ctx.day)
            for t in state.episodes_of("trajectory")
        ):
            continue
        if lost == "education":
            if state.has_startkwalificatie(ctx.day):
                continue
            weeks = lesweken_not_enrolled(run_start, ctx)
            if weeks is None or len(weeks) < 2:
                continue
            facts: dict[str, object] = {"notEnrolledSince": run_start.isoformat(), "lesweken": len(weeks)}
        else:
            if (ctx.day - run_start).days + 1 < WORK_GAP_DAYS:
                continue
            facts = {"notEmployedSince": run_start.isoformat(), "days": (ctx.day - run_start).days + 1}
        found.append(
            Candidate(
                type="relapse",
                dedupe_key=trajectory.end_event_id,
                reasons=(
                    Reason("trajectory-ended", {"on": end.isoformat(), "outcome": outcome}),
                    Reason(f"no-longer-in-{lost}", facts),
                ),
                route=Route("municipality", partner=trajectory.end_partner_id),
                evidence=frozenset(trajectory.refs),
            )
        )
    return found
