# SPDX-License-Identifier: EUPL-1.2
"""Rules on not being enrolled: `absolute-absence`, `no-startkwalificatie`, `mbo-not-applied`."""

from __future__ import annotations

from datetime import date, timedelta

from services.core.calendar import lesweken_between, monday_of, school_year_of
from services.signals.rules.absence import obligation_reason
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.state import EventRef, YouthState

# Two consecutive lesweken always fall within this many days, even across the summer holiday.
_SEARCH = timedelta(days=120)
VMBO_TRACKS = frozenset({"vmbo-bb", "vmbo-kb", "vmbo-gt"})


def not_enrolled_since(state: YouthState, day: date) -> tuple[date, frozenset[EventRef]] | None:
    """The first day of the current run without enrolment (the day after the last enrolment ended, or the
    first registered day when never enrolled), with the events that started it (the unenrolment, or the
    registration): retracting those dismisses the signal. None when enrolled on `day` or the start is unknown."""
    if state.enrolled_on(day):
        return None
    ended = [e for e in state.enrolments if e.start <= day and e.end is not None and e.end < day]
    if ended:
        last = max(e.end for e in ended if e.end is not None)
        return last + timedelta(days=1), frozenset(e.refs[-1] for e in ended if e.end == last)
    first = state.first_registered_day(day)
    if first is None:
        return None
    return first, frozenset(r.ref for r in state.registrations if r.registered and r.day == first)


def lesweken_not_enrolled(run_start: date, ctx: RuleContext) -> list[date] | None:
    """The Mondays of the lesweken (default region: the youth is not enrolled) that lie wholly in the run from
    `run_start` up to D, most recent ones only; None when the holiday data cannot decide them."""
    first = max(run_start, ctx.day - _SEARCH)
    first_monday = monday_of(first) if first.weekday() == 0 else monday_of(first) + timedelta(days=7)
    last_monday = monday_of(ctx.day) if ctx.day.weekday() >= 4 else monday_of(ctx.day) - timedelta(days=7)
    if last_monday < first_monday:
        return []
    return lesweken_between(first_monday, last_monday, ctx.default_region)


def _not_enrolled_candidate(
    state: YouthState, ctx: RuleContext, type_: str, reason: Reason, route: Route
) -> list[Candidate]:
    """The signal of a "not enrolled anywhere during 2 consecutive lesweken" rule, keyed by the run's first day."""
    run = not_enrolled_since(state, ctx.day)
    if run is None:
        return []
    run_start, evidence = run
    weeks = lesweken_not_enrolled(run_start, ctx)
    if weeks is None or len(weeks) < 2:
        return []
    facts = {"since": run_start.isoformat(), "lesweken": [w.isoformat() for w in weeks[-2:]]}
    return [
        Candidate(
            type=type_,
            dedupe_key=run_start.isoformat(),
            reasons=(Reason("not-enrolled", facts), reason),
            route=route,
            evidence=evidence,
        )
    ]


def absolute_absence(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Thuiszitter (absoluut verzuim): leerplichtig or kwalificatieplichtig on D, not exempted, and not
    enrolled anywhere during 2 consecutive lesweken. Runs only when the operator declared the education data
    complete (`GLANSRIJK_EDUCATION_DATA_COMPLETE`): without all enrolments, "not enrolled" cannot be known.
    Source: Leerplichtwet 1969 art. 2 and 4a (the duty to be enrolled); spec/domain.md, `absolute-absence`.
    """
    if not ctx.education_data_complete:
        return []
    duty = obligation_reason(state, ctx.day)
    if duty is None or state.exempted_on(ctx.day):
        return []
    return _not_enrolled_candidate(state, ctx, "absolute-absence", duty, Route("leerplicht"))


def no_startkwalificatie(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Aged 18 to 26 on D, no startkwalificatie, not enrolled anywhere during 2 consecutive lesweken; only with
    complete education data. Source: RMC-functie (Wet educatie en beroepsonderwijs art. 8.3.2) with the Wet van
    school naar duurzaam werk (to 27); spec/domain.md, `no-startkwalificatie`.
    """
    if not ctx.education_data_complete:
        return []
    age = state.age_on(ctx.day)
    if age is None or not 18 <= age <= 26 or state.has_startkwalificatie(ctx.day):
        return []
    reason = Reason("no-startkwalificatie", {"age": age})
    return _not_enrolled_candidate(state, ctx, "no-startkwalificatie", reason, Route("doorstroompunt"))


def mbo_not_applied(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """From 2 April: a final-year pupil of vmbo (or of pro or vso with outflow `vervolgonderwijs`) with no
    `education.mbo-applied` dated from 1 August of the school year to D. Source: toelatingsrecht mbo, Wet
    educatie en beroepsonderwijs art. 8.1.7a (admission is guaranteed for an application by 1 April);
    spec/domain.md, `mbo-not-applied`. Routed to the school that administers the enrolment's BRIN.
    """
    year = school_year_of(ctx.day)
    if ctx.day < date(year.end.year, 4, 2):
        return []
    enrolment = state.current_enrolment(ctx.day)
    if enrolment is None or not enrolment.final_year:
        return []
    vmbo = enrolment.sector == "vo" and enrolment.track in VMBO_TRACKS
    towards_mbo = enrolment.sector in ("pro", "vso") and enrolment.outflow_profile == "vervolgonderwijs"
    if not (vmbo or towards_mbo):
        return []
    if any(year.start <= f.day <= ctx.day for f in state.facts_of("mbo-application")):
        return []
    return [
        Candidate(
            type="mbo-not-applied",
            dedupe_key=year.label,
            reasons=(
                Reason(
                    "no-mbo-application",
                    {
                        "schoolYear": year.label,
                        "brin": enrolment.brin,
                        "sector": enrolment.sector,
                        "track": enrolment.track,
                        "applicationsSince": year.start.isoformat(),
                    },
                ),
            ),
            route=Route("school", brin=enrolment.brin),
            evidence=frozenset(enrolment.refs),
        )
    ]
