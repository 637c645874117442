# SPDX-License-Identifier: EUPL-1.2
"""Routing a signal to one partner (spec/interface.md, "Partners, keys and access"; domain.md, "Signal types").

Where several partners hold a role the first registered one (creation time, then id) is chosen; a BRIN goes
to the school that administers it; when no partner fits, the `municipality` partner gets the signal with
reason code `no-partner-for-role`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.models import Partner, PartnerBrin, PartnerRole
from services.core.scopes import ACCOUNTABLE_ROLES
from services.signals.rules.candidate import Reason, Route

NO_PARTNER_FOR_ROLE = "no-partner-for-role"


@dataclass(frozen=True)
class Directory:
    """Partners, their roles and BRINs, loaded once per evaluation."""

    roles: dict[uuid.UUID, frozenset[str]]
    first_by_role: dict[str, uuid.UUID]
    brin_owner: dict[str, uuid.UUID]

    @classmethod
    def load(cls, session: Session) -> Directory:
        rows = session.execute(
            select(Partner.id, PartnerRole.role)
            .join(PartnerRole, PartnerRole.partner_id == Partner.id)
            .order_by(Partner.created_at, Partner.id)
        ).all()
        roles: dict[uuid.UUID, set[str]] = {}
        first_by_role: dict[str, uuid.UUID] = {}
        for partner_id, role in rows:
            roles.setdefault(partner_id, set()).add(role)
            first_by_role.setdefault(role, partner_id)
        owners = {row.brin: row.partner_id for row in session.execute(select(PartnerBrin)).scalars()}
        return cls({k: frozenset(v) for k, v in roles.items()}, first_by_role, owners)

    @property
    def municipality(self) -> uuid.UUID | None:
        return self.first_by_role.get("municipality")

    def can_be_accountable(self, partner_id: uuid.UUID) -> bool:
        return bool(self.roles.get(partner_id, frozenset()) & ACCOUNTABLE_ROLES)

    def route(self, route: Route) -> tuple[uuid.UUID | None, tuple[Reason, ...]]:
        """The partner for `route`, and the extra reasons to add (`no-partner-for-role` on a fallback)."""
        if route.partner is not None and route.partner in self.roles:
            return route.partner, ()
        if route.brin is not None:
            owner = self.brin_owner.get(route.brin)
            if owner is not None:
                return owner, ()
        partner = self.first_by_role.get(route.role)
        if partner is not None and route.brin is None:
            return partner, ()
        fallback = Reason(NO_PARTNER_FOR_ROLE, {"role": route.role, **({"brin": route.brin} if route.brin else {})})
        return self.municipality, (fallback,)
