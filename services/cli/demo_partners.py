# SPDX-License-Identifier: EUPL-1.2
"""The demo's partner organisations: invented names, fake OINs (a range no organisation holds), made-up BRINs."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.scopes import Role, Scope

FAKE_OIN_PREFIX = "000000019999999"  # + 5 digits = 20: fake, for the demo only

_WRITE = (Scope.EVENTS_WRITE, Scope.SIGNALS_READ, Scope.SIGNALS_WRITE, Scope.SUBSCRIPTIONS_MANAGE)


@dataclass(frozen=True)
class DemoPartner:
    handle: str
    name: str
    roles: tuple[Role, ...]
    oin: str
    system: str
    brins: tuple[str, ...] = ()
    scopes: tuple[Scope, ...] = _WRITE

    @property
    def source(self) -> str:
        return f"urn:nld:oin:{self.oin}:systeem:{self.system}"


def _oin(number: int) -> str:
    return f"{FAKE_OIN_PREFIX}{number:05d}"


VO_BRIN, MBO_BRIN = "99VO", "99MB"
PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "municipality",
        "Gemeente Dordrecht (demo, ketenregisseur)",
        (Role.MUNICIPALITY,),
        _oin(1),
        "brp",
        (),
        tuple(Scope),
    ),
    DemoPartner(
        "vo", "Demo Scholengemeenschap Merwede (vo)", (Role.SCHOOL,), _oin(2), "leerlingadministratie", (VO_BRIN,)
    ),
    DemoPartner("mbo", "Demo ROC Biesbosch (mbo)", (Role.SCHOOL,), _oin(3), "studentadministratie", (MBO_BRIN,)),
    DemoPartner("leerplicht", "Demo Leerplicht Zuid-Holland Zuid", (Role.LEERPLICHT,), _oin(4), "leerplicht"),
    DemoPartner("doorstroompunt", "Demo Doorstroompunt Drechtsteden", (Role.DOORSTROOMPUNT,), _oin(5), "rmc"),
    DemoPartner("social", "Demo Sociale Dienst Drechtsteden", (Role.SOCIAL_SERVICES,), _oin(6), "participatie"),
    DemoPartner("youth-care", "Demo Jeugdteam Dordrecht", (Role.YOUTH_CARE,), _oin(7), "jeugdteam"),
)
PARTNER_BY_HANDLE = {p.handle: p for p in PARTNERS}
