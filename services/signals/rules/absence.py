# SPDX-License-Identifier: EUPL-1.2
"""Absence rules: `absence-16h`, `absence-18plus` and `long-term-absence` (spec/domain.md, "Signal types").

Each works on the weekly hours a school reports, per school (BRIN), over consecutive lesweken.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from services.core.calendar import is_kwalificatieplichtig, is_leerplichtig, monday_of
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.context import RuleContext
from services.signals.rules.state import YouthState
from services.signals.rules.weeks import HORIZON, WEEK, Lesweek, lesweek_runs, week_facts

WINDOW = 4
THRESHOLD_HOURS = 16.0
# The Wet van school naar duurzaam werk extends the RMC age limit for 18+ absence from 23 to 27.
EXTENDED_AGE_FROM = date(2026, 1, 1)


def obligation_reason(state: YouthState, day: date) -> Reason | None:
    """`leerplichtig` or `kwalificatieplichtig` on `day` (Leerplichtwet 1969 art. 3 and 4a), else None.

    Without a birth date no age-based rule fires (domain.md, "Who and when").
    """
    birth = state.birth_date
    if birth is None:
        return None
    if is_leerplichtig(birth, day):
        return Reason("leerplichtig", {"on": day.isoformat()})
    if is_kwalificatieplichtig(birth, day, state.startkwalificatie_date):
        return Reason("kwalificatieplichtig", {"on": day.isoformat()})
    return None


def _blocked_until(state: YouthState, weeks: list[Lesweek]) -> date | None:
    """The last week of the latest earlier `absence-16h` window: the next window starts after it."""
    index = {w.monday: i for i, w in enumerate(weeks)}
    last: date | None = None
    for existing in state.signals:
        if existing.type != "absence-16h":
            continue
        first = date.fromisoformat(existing.dedupe_key)
        position = index.get(first)
        # A window at another school: its last week is at least three calendar weeks after its first.
        end = (
            weeks[position + WINDOW - 1].monday
            if position is not None and position + WINDOW <= len(weeks)
            else (first + timedelta(weeks=WINDOW - 1))
        )
        # No window ends after the week it was raised in: one of fewer than 4 lesweken (`_windows`) ended there.
        end = min(end, monday_of(existing.raised_on))
        last = end if last is None or end > last else last
    return last


def _windows(weeks: list[Lesweek]) -> list[list[Lesweek]]:
    """The windows of 4 consecutive lesweken in a sequence; a sequence of fewer (mostly a school's first
    reports of a youth, up to this week; else the edge of the holiday data) is one window of its own.

    Its hours are part of every window of 4 lesweken that holds it, so 16 of them are already a window of 16:
    they are reported now, not when a fourth lesweek has passed (ADR 0035).
    """
    if len(weeks) < WINDOW:
        return [weeks]
    return [weeks[i : i + WINDOW] for i in range(len(weeks) - WINDOW + 1)]


def absence_16h(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """16 or more unauthorised hours in 4 consecutive lesweken.

    Source: Leerplichtwet 1969 art. 21a (the school reports 16 hours of unauthorised absence in 4 consecutive
    lesweken to the leerplichtambtenaar), approximated with weekly totals; spec/domain.md, `absence-16h`. The
    youth must be leerplichtig or kwalificatieplichtig on the Monday of the window's last week, and not
    exempted (Leerplichtwet art. 5, 5a, 15: an exempted youth has no duty to attend, so no verzuim). The next
    window starts after the last week of the previous signal's window, at whichever school. Fewer than 4
    lesweken since a school's first report are a window too (`_windows`).
    """
    found: list[Candidate] = []
    raised_until: date | None = None  # the last week of the window raised last in this run
    for brin, window, stored_until in _windows_in_order(state, ctx.day):
        if any(until is not None and window[0].monday <= until for until in (stored_until, raised_until)):
            continue
        total = sum(w.unauthorized for w in window)
        # Rounded: hours with decimals (2.8 + 5.6 + 7.6) must reach 16 exactly, not 15.999999999999998.
        if round(total, 6) < THRESHOLD_HOURS or not ctx.within_lookback(window[-1].last_day):
            continue
        last_monday = window[-1].monday
        duty = obligation_reason(state, last_monday)
        if duty is None or state.exempted_on(last_monday):
            continue
        found.append(
            Candidate(
                type="absence-16h",
                dedupe_key=window[0].monday.isoformat(),
                reasons=(
                    Reason(
                        "unauthorized-hours-16",
                        {"brin": brin, "totalUnauthorizedHours": total, "weeks": week_facts(window)},
                    ),
                    duty,
                ),
                route=Route("leerplicht"),
                evidence=frozenset(w.report.ref for w in window if w.report),
            )
        )
        raised_until = last_monday
    return found


def _windows_in_order(state: YouthState, day: date) -> list[tuple[str, list[Lesweek], date | None]]:
    """Every school's windows (brin, window, the end of the stored signals' windows there) in order of their
    first week: a window raised at one school then blocks those that overlap it at another (a youth changing
    schools), as a stored signal does, whichever school comes first."""
    windows: list[tuple[str, list[Lesweek], date | None]] = []
    for brin, sequences in lesweek_runs(state, day).items():
        for weeks in sequences:
            stored_until = _blocked_until(state, weeks)
            windows += [(brin, window, stored_until) for window in _windows(weeks)]
    return sorted(windows, key=lambda item: (item[1][0].monday, item[0]))


def _absent_runs(weeks: list[Lesweek], share: float) -> list[tuple[list[Lesweek], bool]]:
    """Runs of fully absent lesweken (unauthorised hours >= share of scheduled hours, as reported), each with
    whether it is still going on (it reaches the last lesweek known)."""
    runs: list[tuple[list[Lesweek], bool]] = []
    current: list[Lesweek] = []
    for week in weeks:
        report = week.report
        # Rounded: 0.9 x 26 is 23.400000000000002 in binary floating point, and 23.4 hours must count.
        if report is not None and report.scheduled > 0 and report.unauthorized >= round(share * report.scheduled, 6):
            current.append(week)
            continue
        if current:
            runs.append((current, False))
        current = []
    if current:
        runs.append((current, True))
    return runs


def _long_runs(state: YouthState, ctx: RuleContext, type_: str) -> Iterator[tuple[str, list[Lesweek]]]:
    """Per school, the runs of 4 or more fully absent lesweken that are still going on or ended within the
    look-back, and that are not an old run already signalled under an earlier key."""
    for brin, sequences in lesweek_runs(state, ctx.day).items():
        for weeks in sequences:
            for run, ongoing in _absent_runs(weeks, ctx.long_absence_share):
                if len(run) < WINDOW or not ctx.within_lookback(None if ongoing else run[-1].last_day):
                    continue
                if not _older_than_horizon(state, type_, run, ctx):
                    yield brin, run


def _older_than_horizon(state: YouthState, type_: str, run: list[Lesweek], ctx: RuleContext) -> bool:
    """A run that reaches back to the rules' horizon may have started before it: its first week as seen now
    is not its real first week, and would move every week. When such a run already has a signal with an
    earlier key, it is that run: nothing new."""
    if run[0].monday - WEEK > ctx.day - HORIZON:
        return False
    first = run[0].monday.isoformat()
    return any(s.type == type_ and s.dedupe_key < first for s in state.signals)


def _run_reason(brin: str, run: list[Lesweek], share: float) -> Reason:
    return Reason(
        "fully-absent-4-lesweken",
        {"brin": brin, "share": share, "firstWeek": run[0].monday.isoformat(), "weeks": week_facts(run)},
    )


def long_term_absence(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """Thuiszitter (relatief verzuim): enrolled, leerplichtig or kwalificatieplichtig, not exempted, and
    absent for at least `GLANSRIJK_LONG_ABSENCE_SHARE` of the scheduled hours in each of 4 or more consecutive
    lesweken. Source: the Zuid-Holland Zuid thuiszitter definition (4 weeks or longer) and the
    Thuiszitterspact (escalation 3 months after the first week); spec/domain.md, `long-term-absence`.
    Conditions are taken on the Monday of the run's fourth week, when the rule is first met.
    """
    found: list[Candidate] = []
    for brin, run in _long_runs(state, ctx, "long-term-absence"):
        met_on = run[WINDOW - 1].monday
        duty = obligation_reason(state, met_on)
        if duty is None or state.exempted_on(met_on) or not state.enrolled_on(met_on):
            continue
        found.append(
            Candidate(
                type="long-term-absence",
                dedupe_key=run[0].monday.isoformat(),
                reasons=(_run_reason(brin, run, ctx.long_absence_share), duty),
                route=Route("leerplicht"),
                evidence=frozenset(w.report.ref for w in run if w.report),
            )
        )
    return found


def absence_18plus(state: YouthState, ctx: RuleContext) -> list[Candidate]:
    """18+ absence: enrolled in mbo or vavo, aged 18 to 22 (to 26 from 2026-01-01), no startkwalificatie, and
    fully absent in 4 consecutive lesweken. Source: RMC-functie, Wet educatie en beroepsonderwijs art. 8.3.2 and
    the Wet van school naar duurzaam werk (age limit raised to 27 from 2026-01-01); spec/domain.md,
    `absence-18plus`. Conditions are taken on the Monday of the run's fourth week.
    """
    if state.birth_date is None:
        return []
    found: list[Candidate] = []
    for brin, run in _long_runs(state, ctx, "absence-18plus"):
        met_on = run[WINDOW - 1].monday
        age = state.age_on(met_on)
        upper = 26 if met_on >= EXTENDED_AGE_FROM else 22
        enrolment = next(
            (e for e in state.enrolments_on(met_on) if e.brin == brin and e.sector in ("mbo", "vavo")), None
        )
        if age is None or not 18 <= age <= upper or enrolment is None:
            continue
        if state.has_startkwalificatie(met_on):
            continue
        found.append(
            Candidate(
                type="absence-18plus",
                dedupe_key=run[0].monday.isoformat(),
                reasons=(
                    _run_reason(brin, run, ctx.long_absence_share),
                    Reason("age-18-plus", {"age": age, "upTo": upper, "sector": enrolment.sector}),
                    Reason("no-startkwalificatie", {"on": met_on.isoformat()}),
                ),
                route=Route("doorstroompunt"),
                evidence=frozenset(w.report.ref for w in run if w.report),
            )
        )
    return found
