# SPDX-License-Identifier: EUPL-1.2
"""The logic of the signals API (interface.md, "Signals"; domain.md, "Evaluation" and "Accountability").

Visibility is decided here, in one place per resource; anything the caller may not see is a 404. Every read
or change of a youth's data is written to the audit log in the request's transaction. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from services.core import audit
from services.core.auth import Caller
from services.core.calendar import age_on
from services.core.clock import utcnow
from services.core.identity import IdentifierKind, decrypt, passes_elfproef, pseudonymise, valid_onderwijsnummer
from services.core.models import Handover, Signal, SignalChange
from services.core.problems import InvalidParam, Problem, bad_request
from services.core.scopes import Role, Scope
from services.signals import repository
from services.signals.rules.handovers import is_stalled as handover_stalled
from services.signals.rules.state import HIGHER_EDUCATION
from services.signals.schemas import (
    AccountabilityPeriodRead,
    AgeBand,
    ChangeReasonRead,
    IdentityRead,
    ReasonRead,
    SignalChangeRead,
    SignalRead,
    SignalUpdate,
    TimelineEntryRead,
    YouthIdRead,
    YouthRead,
    YouthSearchCreate,
    YouthSummaryRead,
)
from services.signals.webhooks import events

ACTIVE = frozenset(repository.ACTIVE)
# interface.md, "Signals": every other change, including to the current status, is a 409.
TRANSITIONS = frozenset(
    {("open", "acknowledged"), ("open", "dismissed"), ("acknowledged", "resolved"), ("acknowledged", "dismissed")}
)
CLOSING = frozenset({"resolved", "dismissed"})
# domain.md, "Evaluation": only these roles see the facts of reasons drawn from care, plans or life domains.
DOMAIN_FACT_ROLES = frozenset({Role.YOUTH_CARE, Role.YOUTH_COACH, Role.MUNICIPALITY})
AGE_BANDS: tuple[tuple[int, int, AgeBand], ...] = (
    (12, 15, "12-15"),
    (16, 17, "16-17"),
    (18, 22, "18-22"),
    (23, 26, "23-26"),
)
Relation = Literal["routed", "accountable"]
# The (time, id) of the last row of a page: where the next page starts.
Keyset = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class Viewer:
    """The caller of one request, the date it is evaluated on, and what the audit log records about it."""

    caller: Caller
    endpoint: str
    purpose: str | None
    today: date

    @property
    def partner_id(self) -> uuid.UUID:
        return self.caller.partner_id

    @property
    def chain(self) -> bool:
        return self.caller.has(Scope.CHAIN_MANAGE)

    @property
    def sees_domain_facts(self) -> bool:
        return bool(self.caller.partner.roles & DOMAIN_FACT_ROLES)

    def audit(self, session: Session, youth_ids: Iterable[uuid.UUID], action: audit.AuditAction) -> None:
        audit.record(session, self.caller, youth_ids, action, self.endpoint, self.purpose)


def not_found(what: str) -> Problem:
    return Problem(404, f"No {what} with this id is visible to this key.")


def parse_id(value: str, what: str) -> uuid.UUID:
    """A malformed id names nothing the caller may see: 404, like any unknown id."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise not_found(what) from None


# --- youth summaries and signal bodies ------------------------------------------------------------------------


def _age_band(age: int | None) -> AgeBand:
    for low, high, band in AGE_BANDS:
        if age is not None and low <= age <= high:
            return band
    return "unknown"


def youth_summaries(session: Session, youth_ids: Iterable[uuid.UUID], today: date) -> dict[uuid.UUID, YouthSummaryRead]:
    """interface.md, "Signals" (`youth`): summaries of existing youths as of `today`, batched."""
    summaries = {}
    for youth_id, state in repository.youth_states(session, youth_ids, today).items():
        born = state.birth_date
        age = age_on(born, today) if born is not None and born <= today else None
        # The active period with the latest start decides the sector (ties: the greater sector name, stably).
        latest = max(state.active_enrolments, default=None)
        summaries[youth_id] = YouthSummaryRead(
            id=youth_id,
            age=age,
            age_band=_age_band(age),
            district=state.district,
            enrolled=latest is not None,
            sector=latest[1] if latest is not None else "none",
            startkwalificatie=state.qualified or any(s in HIGHER_EDUCATION for _, s in state.active_enrolments),
            accountable_partner_id=state.accountable,
        )
    return summaries


def relation_of(viewer: Viewer, signal: Signal, accountable: uuid.UUID | None) -> Relation | None:
    """interface.md, "Partners, keys and access": None when the caller may not see the signal.

    `routed` only for the partner the signal is routed to. A `chain:manage` key that sees an escalated signal
    without being routed or accountable gets `accountable`: the interface knows only these two relations, and
    `accountable` carries the same meaning for the caller (it may read the signal, not change it: 403).
    """
    if signal.routed_to == viewer.partner_id:
        return "routed"
    if accountable is not None and accountable == viewer.partner_id:
        return "accountable"
    if viewer.chain and signal.escalated and signal.status in ACTIVE:
        return "accountable"
    return None


def _reasons(reasons: list[dict[str, Any]], sees_domain_facts: bool) -> list[ReasonRead]:
    """domain.md, "Evaluation": other roles see `other-domain` without facts; `domain` itself is never shown."""
    return [
        ReasonRead(code=r["code"], facts=r.get("facts"))
        if r.get("domain") is None or sees_domain_facts
        else ReasonRead(code="other-domain", facts=None)
        for r in reasons
    ]


def _history(changes: list[SignalChange]) -> list[SignalChangeRead]:
    return [
        SignalChangeRead(
            at=c.at,
            kind=c.kind,
            status=c.status,
            partner_id=c.partner_id,
            reason=ChangeReasonRead(code=c.reason_code, note=c.note) if c.reason_code is not None else None,
        )
        for c in changes
    ]


def signal_reads(
    session: Session,
    viewer: Viewer,
    signals: list[Signal],
    summaries: dict[uuid.UUID, YouthSummaryRead] | None = None,
) -> list[SignalRead]:
    """The signal bodies of a page: one query for the summaries (unless given), one for every history."""
    if summaries is None:
        summaries = youth_summaries(session, {s.youth_id for s in signals}, viewer.today)
    changes = repository.signal_changes(session, [s.id for s in signals])
    reads = []
    for signal in signals:
        youth = summaries[signal.youth_id]
        reads.append(
            SignalRead(
                id=signal.id,
                type=signal.type,
                severity=signal.severity,
                status=signal.status,
                dedupe_key=signal.dedupe_key,
                raised_on=signal.raised_on,
                deadline=signal.deadline,
                escalated=signal.escalated,
                escalated_at=signal.escalated_at,
                routed_to=signal.routed_to,
                relation=relation_of(viewer, signal, youth.accountable_partner_id) or "accountable",
                reasons=_reasons(signal.reasons or [], viewer.sees_domain_facts),
                youth=youth,
                history=_history(changes.get(signal.id, [])),
            )
        )
    return reads


# --- signals ------------------------------------------------------------------------------------------------


def list_signals(
    session: Session,
    viewer: Viewer,
    *,
    status: str | None,
    type_: str | None,
    escalated: bool | None,
    after: Keyset | None,
    limit: int,
) -> tuple[list[SignalRead], Keyset | None]:
    """`GET /signals`: newest first (created_at, id desc), keyset pages; the items and where the next starts."""
    rows = repository.list_signals(
        session,
        partner_id=viewer.partner_id,
        chain=viewer.chain,
        status=status,
        type_=type_,
        escalated=escalated,
        after=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    viewer.audit(session, [s.youth_id for s in page], "read")
    following = (page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return signal_reads(session, viewer, page), following


def _visible_signal(
    session: Session, viewer: Viewer, signal_id: str, *, lock: bool = False
) -> tuple[Signal, YouthSummaryRead, Relation]:
    signal = repository.get_signal(session, parse_id(signal_id, "signal"), lock=lock)
    if signal is not None:
        youth = youth_summaries(session, [signal.youth_id], viewer.today)[signal.youth_id]
        relation = relation_of(viewer, signal, youth.accountable_partner_id)
        if relation is not None:
            return signal, youth, relation
    raise not_found("signal")


def get_signal(session: Session, viewer: Viewer, signal_id: str) -> SignalRead:
    signal, youth, _ = _visible_signal(session, viewer, signal_id)
    viewer.audit(session, [signal.youth_id], "read")
    return signal_reads(session, viewer, [signal], {youth.id: youth})[0]


def change_signal(session: Session, viewer: Viewer, signal_id: str, change: SignalUpdate) -> SignalRead:
    """`PATCH /signals/{id}`: 400 (reason) before 404 (visibility), 403 (not routed), 409 (transition)."""
    if change.status in CLOSING and change.reason is None:
        raise bad_request([InvalidParam("/reason", f"A signal that becomes {change.status} needs {{code, note}}.")])
    signal, youth, relation = _visible_signal(session, viewer, signal_id, lock=True)
    if relation != "routed":
        raise Problem(403, "Only the partner the signal is routed to may change its status.")
    if (signal.status, change.status) not in TRANSITIONS:
        raise Problem(409, f"A signal that is {signal.status} cannot become {change.status}.")
    reason = change.reason
    now = utcnow()
    repository.record_status_change(
        session,
        signal,
        status=change.status,
        partner_id=viewer.partner_id,
        now=now,
        reason_code=reason.code if reason is not None else None,
        note=reason.note if reason is not None else None,
    )
    events.signals_status_changed(session, [signal.id], now)
    viewer.audit(session, [signal.youth_id], "change")
    return signal_reads(session, viewer, [signal], {youth.id: youth})[0]


# --- youths and identity --------------------------------------------------------------------------------------


def _identifier(body: YouthSearchCreate) -> tuple[IdentifierKind, str]:
    # The messages never repeat the value: a BSN must not reach a response, a log line or an error detail.
    if (body.bsn is None) == (body.onderwijsnummer is None):
        reason = "Give exactly one of bsn and onderwijsnummer."
        raise bad_request([InvalidParam("/bsn", reason), InvalidParam("/onderwijsnummer", reason)])
    if body.bsn is not None:
        if not passes_elfproef(body.bsn):
            raise bad_request([InvalidParam("/bsn", "Must be 9 digits that pass the elfproef.")])
        return "bsn", body.bsn
    assert body.onderwijsnummer is not None
    if not valid_onderwijsnummer(body.onderwijsnummer):
        raise bad_request([InvalidParam("/onderwijsnummer", "Must be 9 digits that pass the elfproef.")])
    return "onderwijsnummer", body.onderwijsnummer


def _involved(session: Session, viewer: Viewer, youth_id: uuid.UUID) -> bool:
    """Identity: the youth's accountable partner, or a partner a signal about the youth was routed to."""
    current = repository.current_accountability(session, youth_id)
    if current is not None and current.partner_id == viewer.partner_id:
        return True
    return repository.has_routed_signal(session, youth_id, viewer.partner_id)


def search_youth(session: Session, viewer: Viewer, body: YouthSearchCreate) -> YouthIdRead:
    kind, value = _identifier(body)
    youth_id = repository.youth_by_pseudonym(session, pseudonymise(kind, value))
    if youth_id is None or not _involved(session, viewer, youth_id):
        raise Problem(404, "No youth with this identifier is visible to this key.")
    viewer.audit(session, [youth_id], "read")
    return YouthIdRead(id=youth_id)


def read_identity(session: Session, viewer: Viewer, youth_id: str) -> IdentityRead:
    found = parse_id(youth_id, "youth")
    kind, token = repository.youth_identity(session, found) or ("", None)
    if token is None or not _involved(session, viewer, found):
        raise not_found("youth")
    viewer.audit(session, [found], "read")
    value = decrypt(token)
    return IdentityRead(bsn=value) if kind == "bsn" else IdentityRead(onderwijsnummer=value)


def is_stalled(handover: Handover, today: date) -> bool:
    """domain.md, `handover-stalled`: the same test as the rule that raises the signal."""
    return handover_stalled(handover.requested_at, today)


def _listed_under_escalations(session: Session, youth_id: uuid.UUID, summary: YouthSummaryRead, today: date) -> bool:
    if repository.escalated_signals(session, youth_id):
        return True
    if summary.accountable_partner_id is None and repository.serious_signals_without_accountable(session, youth_id):
        return True
    return any(is_stalled(h, today) for h in repository.pending_handovers(session, youth_id))


def visible_youth(session: Session, viewer: Viewer, youth_id: str) -> YouthSummaryRead:
    """interface.md, `GET /youths/{id}`: the accountable partner, or `chain:manage` for a youth under escalations."""
    found = parse_id(youth_id, "youth")
    summary = youth_summaries(session, [found], viewer.today).get(found)
    if summary is not None and (
        summary.accountable_partner_id == viewer.partner_id
        or (viewer.chain and _listed_under_escalations(session, found, summary, viewer.today))
    ):
        return summary
    raise not_found("youth")


# Events whose content is care, a transition plan or life-domain scores: domain.md shows those facts only to
# youth-care, youth-coach and municipality; others see that such an event happened, not what it says.
OTHER_DOMAIN_EVENTS = ("care.started", "care.ended", "support.transition-plan", "support.life-domains-assessed")


def _timeline_data(event_type: str, data: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    if event_type in OTHER_DOMAIN_EVENTS and not viewer.sees_domain_facts:
        return {}
    # Intake strips `person` before storing; dropping it here too keeps an identifier out even if that changes.
    return {k: v for k, v in data.items() if k != "person"}


def get_youth(session: Session, viewer: Viewer, youth_id: str) -> YouthRead:
    summary = visible_youth(session, viewer, youth_id)
    # Intake strips `person` before storing; dropping it here too keeps an identifier out even if that changes.
    timeline = [
        TimelineEntryRead(type=row.type, time=row.time, data=_timeline_data(row.type, row.data, viewer))
        for row in repository.timeline(session, summary.id)
    ]
    periods = [
        AccountabilityPeriodRead(partner_id=a.partner_id, since=a.since, until=a.until, cause=a.cause)
        for a in repository.accountability_history(session, summary.id)
    ]
    signals = signal_reads(session, viewer, repository.active_signals(session, summary.id), {summary.id: summary})
    viewer.audit(session, [summary.id], "read")
    return YouthRead(**summary.model_dump(), timeline=timeline, active_signals=signals, accountability=periods)


# --- handovers and accountability -----------------------------------------------------------------------------
