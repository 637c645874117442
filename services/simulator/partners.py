# SPDX-License-Identifier: EUPL-1.2
"""The simulated partner organisations: invented names, fake OINs (a range no organisation holds), made-up BRINs.

Each simulated event comes from the partner whose task it is and whose role may post it (the intake's
catalogue): the BRP through the municipality, enrolments and absence from the schools for their own BRINs,
hbo and wo enrolments (facts from DUO) through the doorstroompunt, exemptions from leerplicht, benefits from
social services, care from the youth team.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core.scopes import Role, Scope

FAKE_OIN_PREFIX = "000000019999999"  # + 5 digits = 20: fake, for the demo and the simulator only

_WRITE = (Scope.EVENTS_WRITE, Scope.SIGNALS_READ, Scope.SIGNALS_WRITE, Scope.SUBSCRIPTIONS_MANAGE)


@dataclass(frozen=True)
class SimPartner:
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


# The vo board runs two vo schools, a praktijkschool and a vso school; the ROC runs mbo and vavo.
VO_BRINS = ("99VO", "99VB")
PRO_BRIN, VSO_BRIN, MBO_BRIN = "99PR", "99VS", "99MB"
HBO_BRIN, WO_BRIN = "99HB", "99WO"  # outside the region: posted by the doorstroompunt from DUO
VO_BRIN = VO_BRINS[0]

PARTNERS: tuple[SimPartner, ...] = (
    SimPartner(
        "municipality",
        "Gemeente Dordrecht (demo, ketenregisseur)",
        (Role.MUNICIPALITY,),
        _oin(1),
        "brp",
        (),
        tuple(Scope),
    ),
    SimPartner(
        "vo",
        "Demo Scholengemeenschap Merwede (vo)",
        (Role.SCHOOL,),
        _oin(2),
        "leerlingadministratie",
        (*VO_BRINS, PRO_BRIN, VSO_BRIN),
    ),
    SimPartner("mbo", "Demo ROC Biesbosch (mbo)", (Role.SCHOOL,), _oin(3), "studentadministratie", (MBO_BRIN,)),
    SimPartner("leerplicht", "Demo Leerplicht Zuid-Holland Zuid", (Role.LEERPLICHT,), _oin(4), "leerplicht"),
    SimPartner("doorstroompunt", "Demo Doorstroompunt Drechtsteden", (Role.DOORSTROOMPUNT,), _oin(5), "rmc"),
    SimPartner("social", "Demo Sociale Dienst Drechtsteden", (Role.SOCIAL_SERVICES,), _oin(6), "participatie"),
    SimPartner("youth-care", "Demo Jeugdteam Dordrecht", (Role.YOUTH_CARE,), _oin(7), "jeugdteam"),
)
PARTNER_BY_HANDLE = {p.handle: p for p in PARTNERS}
SOURCE_OF = {p.handle: p.source for p in PARTNERS}
