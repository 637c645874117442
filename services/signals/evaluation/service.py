# SPDX-License-Identifier: EUPL-1.2
"""Evaluation as of a date: run the rules over youths' state, raise, route, make accountable, escalate.

Never commits: the task wrapper or the CLI owns the transaction. Safe to run twice: a dedupe key raises at
most one signal, ever (the unique constraint on (youth, type, dedupe key) backs this against races), and
each youth is locked while it is evaluated.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.core.calendar import add_months_clamped, add_working_days, working_days_between
from services.core.clock import AMSTERDAM, local_date, today, utcnow
from services.core.dispatch import SMALL_REQUEST_EVENTS, enqueue_after_commit
from services.core.settings import get_settings
from services.privacy import repository as privacy_repository
from services.signals import rules
from services.signals.evaluation import repository, state_repository
from services.signals.evaluation.routing import Directory
from services.signals.rules.candidate import Candidate, Reason, Route
from services.signals.rules.catalogue import SIGNAL_TYPES
from services.signals.rules.handovers import is_stalled
from services.signals.rules.state import EventRef, ExistingSignal, YouthState
from services.signals.webhooks import events

log = logging.getLogger(__name__)

THUISZITTER_ESCALATION_MONTHS = 3
# Requests of at most this many events are taken along by the evaluation of another (at most this many).
COMPANION_EVENTS = SMALL_REQUEST_EVENTS
COMPANIONS = 100
EVALUATE_WAITING = "signals.evaluate_waiting"


@dataclass
class Outcome:
    """What one evaluation did (the CLI prints it; tests and benchmarks read it)."""

    youths: int = 0
    raised: list[uuid.UUID] = field(default_factory=list)
    escalated: list[uuid.UUID] = field(default_factory=list)
    dismissed: list[uuid.UUID] = field(default_factory=list)
    unrouted: int = 0

    def add(self, other: Outcome) -> None:
        self.youths += other.youths
        self.raised += other.raised
        self.escalated += other.escalated
        self.dismissed += other.dismissed
        self.unrouted += other.unrouted

    def as_json(self) -> dict[str, int]:
        return {
            "youths": self.youths,
            "raised": len(self.raised),
            "escalated": len(self.escalated),
            "dismissed": len(self.dismissed),
            "unrouted": self.unrouted,
        }


def rule_context(day: date) -> rules.RuleContext:
    settings = get_settings()
    return rules.RuleContext(
        day=day,
        education_data_complete=settings.education_data_complete,
        lookback_days=settings.signal_lookback_days,
        risk_threshold=settings.risk_threshold,
        out_of_view_days=settings.out_of_view_days,
        long_absence_share=settings.long_absence_share,
        default_region=settings.holiday_region,
    )


def moment_of(day: date) -> datetime:
    """The time stamp of what an evaluation as of `day` does: now for today, else the start of that day."""
    if day == today():
        return utcnow()
    return datetime.combine(day, time(0, 0), AMSTERDAM).astimezone(UTC)


# ADR 0026: the signals that carry out a legal duty, by type and the role it is routed to; a youth's objection
# stops every other one. Leerplicht: the Leerplichtwet 1969 (absence reports, absolute absence); the
# doorstroompunt: the RMC duty (art. 8.3.2 WEB, extended to 27 by the Wet van school naar duurzaam werk) for
# youths without a startkwalificatie; `out-of-view` only where it goes to the doorstroompunt for that reason.
LEGAL_DUTIES: dict[str, str] = {
    "absence-16h": "leerplicht",
    "long-term-absence": "leerplicht",
    "absolute-absence": "leerplicht",
    "absence-18plus": "doorstroompunt",
    "no-startkwalificatie": "doorstroompunt",
    "out-of-view": "doorstroompunt",
}


def is_legal_duty(candidate: Candidate) -> bool:
    return LEGAL_DUTIES.get(candidate.type) == candidate.route.role


def new_candidates(state: YouthState, ctx: rules.RuleContext, *, objected: bool = False) -> list[Candidate]:
    """The rules' candidates whose dedupe key was never used, in rule order; each one raised is visible to
    the rules after it (the risk score reads this year's `absence-16h`, the handover rule active signals).
    With an objection on record, only the candidates of a legal duty (ADR 0026)."""
    if not state.in_target_group(ctx.day):
        return []
    found: list[Candidate] = []
    for rule in rules.RULES:
        for candidate in rule(state, ctx):
            if state.signal(candidate.type, candidate.dedupe_key) is not None:
                continue
            if objected and not is_legal_duty(candidate):
                continue
            found.append(candidate)
            raised = ExistingSignal(candidate.type, candidate.dedupe_key, "open", ctx.day)
            state = replace(state, signals=(*state.signals, raised))
    return found


@dataclass(frozen=True)
class _Raised:
    row: dict[str, Any]
    evidence: frozenset[EventRef]


def _signal_row(
    youth_id: uuid.UUID, candidate: Candidate, partner: uuid.UUID, extra: tuple[Reason, ...], day: date, at: datetime
) -> dict[str, Any]:
    kind = SIGNAL_TYPES[candidate.type]
    return {
        "id": uuid.uuid4(),
        "youth_id": youth_id,
        "type": candidate.type,
        "severity": kind.severity,
        "status": "open",
        "dedupe_key": candidate.dedupe_key,
        "raised_on": day,
        "deadline": add_working_days(day, kind.deadline_working_days),
        "escalated": False,
        "escalated_at": None,
        "routed_to": partner,
        "reasons": [r.as_json() for r in (*candidate.reasons, *extra)],
        "created_at": at,
    }


def _store(
    session: Session,
    raised: list[_Raised],
    directory: Directory,
    accountable_now: Mapping[uuid.UUID, uuid.UUID | None],
    at: datetime,
) -> list[uuid.UUID]:
    """Write the new signals, their history and evidence, and the accountability their routing gives, in a few
    set-based statements. Returns the ids actually inserted (a concurrent evaluation may have been first)."""
    inserted = repository.insert_signals(session, [r.row for r in raised])
    if not inserted:
        return []
    kept = [r for r in raised if r.row["id"] in inserted]
    repository.insert_changes(
        session,
        [
            {"signal_id": r.row["id"], "at": at, "kind": "raised", "status": "open", "partner_id": r.row["routed_to"]}
            for r in kept
        ],
    )
    seqs = repository.event_seq_map(session, {ref for r in kept for ref in r.evidence})
    repository.insert_evidence(
        session,
        [{"signal_id": r.row["id"], "event_seq": seqs[ref]} for r in kept for ref in r.evidence if ref in seqs],
    )
    # The first signal routed to a partner that can hold regie makes it accountable; schools never do.
    accountable: dict[uuid.UUID, uuid.UUID] = {}
    for r in kept:
        youth_id, partner = r.row["youth_id"], r.row["routed_to"]
        unaccountable = accountable_now.get(youth_id) is None and youth_id not in accountable
        if unaccountable and directory.can_be_accountable(partner):
            accountable[youth_id] = partner
    repository.make_accountable_if_none(session, accountable, at)
    events.signals_raised(session, [r.row for r in kept])
    return [r.row["id"] for r in kept]


def evaluate_youths(session: Session, youth_ids: Collection[uuid.UUID], day: date) -> Outcome:
    """Run every rule for these youths as of `day`, raise what is new, and escalate what is due."""
    outcome = Outcome(youths=len(youth_ids))
    if not youth_ids:
        return outcome
    settings = get_settings()
    ctx = rule_context(day)
    at = moment_of(day)
    repository.lock_youths(session, youth_ids)
    directory = Directory.load(session)
    states = state_repository.load_states(
        session,
        youth_ids,
        day=day,
        long_absence_share=settings.long_absence_share,
        regions=state_repository.brin_regions(session),
        default_region=settings.holiday_region,
        partner_roles=directory.roles,
    )
    objections = privacy_repository.objected(session, list(states))
    raised: list[_Raised] = []
    for state in states.values():
        for candidate in new_candidates(state, ctx, objected=state.youth_id in objections):
            partner, extra = directory.route(candidate.route)
            if partner is None:
                log.warning("no municipality partner: a %s signal cannot be routed", candidate.type)
                outcome.unrouted += 1
                continue
            raised.append(_Raised(_signal_row(state.youth_id, candidate, partner, extra, day, at), candidate.evidence))
    holders = {youth_id: state.accountable_partner for youth_id, state in states.items()}
    outcome.raised += _store(session, raised, directory, holders, at)
    outcome.escalated += escalate_due(session, day, youth_ids)
    return outcome


def escalate_due(session: Session, day: date, youth_ids: Collection[uuid.UUID] | None = None) -> list[uuid.UUID]:
    """Active signals whose deadline passed before `day`, and thuiszitter signals 3 months after the first
    absent week (Thuiszitterspact), are flagged escalated; they stay with their partner."""
    due = []
    for signal_id, type_, dedupe_key, deadline in repository.escalation_candidates(session, day, youth_ids):
        if deadline < day:
            due.append(signal_id)
        elif type_ == "long-term-absence":
            first_week = date.fromisoformat(dedupe_key)
            if day >= add_months_clamped(first_week, THUISZITTER_ESCALATION_MONTHS):
                due.append(signal_id)
    at = moment_of(day)
    escalated = repository.escalate(session, due, at)
    events.signals_escalated(session, escalated, at)
    return escalated


def evaluate_batch(session: Session, batch_id: int, day: date, *, wait: bool = True) -> Outcome | None:
    """The evaluation that follows one accepted request (the outbox row). None when already evaluated.

    Under load the queue holds many small requests, each with its own task (or one task for several: the
    publisher coalesces them). The first to run takes the others along (those no other worker holds) and
    evaluates their youths in one transaction; their own tasks then find them evaluated. So a burst of single
    events costs a few evaluations, not one each. A task does not `wait` for a batch another evaluation holds:
    that one evaluates it (or, if it dies, rolls back and the outbox sweep sends the batch again), and the
    task's worker is free for the next batch meanwhile.
    """
    batch = repository.lock_batch(session, batch_id, wait=wait)
    if batch is None or batch.evaluated:
        return None
    return _evaluate_with_companions(session, batch, day)


def evaluate_waiting(session: Session, day: date) -> Outcome | None:
    """The oldest request not yet evaluated that no other evaluation holds, with its companions."""
    batch = repository.first_free_unevaluated(session)
    return None if batch is None else _evaluate_with_companions(session, batch, day)


def _evaluate_with_companions(session: Session, batch: repository.BatchRow, day: date) -> Outcome:
    companions = repository.small_unevaluated_batches(session, batch.id, COMPANION_EVENTS, COMPANIONS)
    if len(companions) == COMPANIONS:
        # More were waiting than one evaluation takes along, and their tasks may have been coalesced into this
        # one: the next evaluation starts as soon as this one has committed.
        enqueue_after_commit(session, EVALUATE_WAITING)
    batches = [batch, *companions]
    ids = [b.id for b in batches]
    outcome = Outcome()
    youths = repository.batch_youths(session, ids)
    # Lock the youths before dismissing: a concurrent evaluation may be raising a signal on the retracted event.
    repository.lock_youths(session, youths)
    retracted = repository.retracted_by_batches(session, ids)
    dismissed = repository.dismiss_retracted(session, retracted, moment_of(day))
    events.signals_status_changed(session, dismissed, moment_of(day))
    outcome.dismissed += dismissed
    # Youths of requests loaded with `--no-signals` feed state and reporting only.
    raising = [b.id for b in batches if b.raise_signals]
    if raising:
        outcome.add(evaluate_youths(session, repository.batch_youths(session, raising), day))
    repository.mark_evaluated(session, ids, utcnow())
    return outcome


def raise_stalled_handovers(session: Session, day: date) -> Outcome:
    """`handover-stalled`: a handover unanswered for 5 working days goes to the municipality (domain.md). It is
    raised, stored and delivered as every other signal; the sender stays accountable meanwhile."""
    outcome = Outcome()
    directory = Directory.load(session)
    at = moment_of(day)
    # 5 working days take at least 5 calendar days: only handovers requested before D - 4 can qualify.
    horizon = datetime.combine(day - timedelta(days=4), time(0, 0), AMSTERDAM)
    raised: list[_Raised] = []
    accountable: dict[uuid.UUID, uuid.UUID | None] = {}
    for handover in repository.pending_handovers(session, horizon.astimezone(UTC)):
        if not is_stalled(handover.requested_at, day):
            continue
        requested = local_date(handover.requested_at)
        candidate = Candidate(
            type="handover-stalled",
            dedupe_key=str(handover.id),
            reasons=(
                Reason(
                    "handover-unanswered",
                    {
                        "handoverId": str(handover.id),
                        "requestedOn": requested.isoformat(),
                        "fromPartnerId": str(handover.from_partner_id),
                        "toPartnerId": str(handover.to_partner_id),
                        "workingDays": working_days_between(requested, day),
                    },
                ),
            ),
            route=Route("municipality"),
        )
        partner, extra = directory.route(candidate.route)
        if partner is None:
            outcome.unrouted += 1
            continue
        raised.append(_Raised(_signal_row(handover.youth_id, candidate, partner, extra, day, at), candidate.evidence))
        accountable[handover.youth_id] = handover.from_partner_id
    outcome.raised += _store(session, raised, directory, accountable, at)
    return outcome
