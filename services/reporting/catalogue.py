# SPDX-License-Identifier: EUPL-1.2
"""The indicator catalogue: the kwaliteitskader's chain indicators of spec/domain.md, "Indicators".

Each indicator is a definition here and one query in `queries*.py`, named by its `source`. Titles and
descriptions are in Dutch and English; targets come from `GLANSRIJK_REPORTING_TARGETS` (a JSON object of code to
number) over the defaults below (domain.md sets only `youths-without-accountable`: 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.reporting.periods import PERIOD_KINDS, PeriodKind

Level = Literal["operational", "policy", "strategic"]
Unit = Literal["count", "percentage", "per-1000", "working-days"]
# cube: the month-end snapshot; signals, handovers, trajectories, cohorts: their own SQL (queries_*.py).
Source = Literal["cube", "signals", "handovers", "trajectories", "cohorts"]

YOUTH_DIMENSIONS = ("district", "ageBand", "sector", "group")
SIGNAL_DIMENSIONS = ("signalType", "partner", "district", "ageBand")
PERSON_DIMENSIONS = ("district", "ageBand")
DIMENSIONS = ("district", "ageBand", "group", "signalType", "partner", "sector")


@dataclass(frozen=True)
class Text:
    nl: str
    en: str


@dataclass(frozen=True)
class Indicator:
    code: str
    level: Level
    unit: Unit
    title: Text
    description: Text
    numerator: Text
    denominator: Text | None
    dimensions: tuple[str, ...]
    source: Source
    signal_based: bool = False
    period_kinds: tuple[PeriodKind, ...] = PERIOD_KINDS
    default_target: float | None = None

    @property
    def is_ratio(self) -> bool:
        return self.unit != "count"


def _i(
    code: str,
    level: Level,
    unit: Unit,
    title: tuple[str, str],
    description: tuple[str, str],
    numerator: tuple[str, str],
    denominator: tuple[str, str] | None,
    dimensions: tuple[str, ...],
    source: Source,
    **extra: object,
) -> Indicator:
    return Indicator(
        code,
        level,
        unit,
        Text(*title),
        Text(*description),
        Text(*numerator),
        Text(*denominator) if denominator else None,
        dimensions,
        source,
        **extra,  # type: ignore[arg-type]
    )


_SCHOOL_YEAR: tuple[PeriodKind, ...] = ("school-year",)
_ACK = ("signalType", "partner")

INDICATORS: tuple[Indicator, ...] = (
    _i(
        "signals-raised", "operational", "count",
        ("Signalen afgegeven", "Signals raised"),
        ("Signalen die in de periode zijn afgegeven.", "Signals raised in the period."),
        ("signalen met afgiftedatum in de periode", "signals whose raisedOn is in the period"), None,
        SIGNAL_DIMENSIONS, "signals", signal_based=True,
    ),
    _i(
        "signals-open", "operational", "count",
        ("Openstaande signalen", "Open signals"),
        ("Signalen die aan het eind van de periode actief zijn (open of in behandeling).",
         "Signals active (open or acknowledged) at the end of the period."),
        ("actieve signalen op de laatste dag", "signals active on the period's last day"), None,
        SIGNAL_DIMENSIONS, "signals", signal_based=True,
    ),
    _i(
        "time-to-acknowledge", "operational", "working-days",
        ("Tijd tot oppakken", "Time to acknowledge"),
        ("Mediaan van het aantal werkdagen van afgifte tot oppakken, over signalen opgepakt in de periode.",
         "Median working days from raised to acknowledged, over signals acknowledged in the period."),
        ("mediaan werkdagen", "median working days"),
        ("signalen opgepakt in de periode", "signals acknowledged in the period"),
        _ACK, "signals", signal_based=True,
    ),
    _i(
        "acknowledged-in-time", "operational", "percentage",
        ("Op tijd opgepakt", "Acknowledged in time"),
        ("Aandeel signalen met termijn in de periode dat uiterlijk op de termijn is opgepakt.",
         "Share of signals whose deadline falls in the period that were acknowledged by it."),
        ("signalen opgepakt uiterlijk op de termijn", "signals acknowledged by their deadline"),
        ("signalen met termijn in de periode", "signals whose deadline falls in the period"),
        _ACK, "signals", signal_based=True,
    ),
    _i(
        "escalations", "operational", "count",
        ("Escalaties", "Escalations"),
        ("Signalen die in de periode zijn geëscaleerd.", "Signals escalated in the period."),
        ("signalen geëscaleerd in de periode", "signals escalated in the period"), None,
        SIGNAL_DIMENSIONS, "signals", signal_based=True,
    ),
    _i(
        "handover-time", "operational", "working-days",
        ("Doorlooptijd overdracht", "Handover time"),
        ("Mediaan van het aantal werkdagen van verzoek tot acceptatie, over overdrachten geaccepteerd in de "
         "periode.", "Median working days from requested to accepted, over handovers accepted in the period."),
        ("mediaan werkdagen", "median working days"),
        ("overdrachten geaccepteerd in de periode", "handovers accepted in the period"),
        ("partner",), "handovers", signal_based=True,
    ),
    _i(
        "youths-without-accountable", "operational", "count",
        ("Jongeren zonder regiehouder", "Youths without an accountable partner"),
        ("Jongeren met een actief signaal (middel of hoog) en geen regiehouder aan het eind van de periode.",
         "Youths with an active medium or high signal and no accountable partner at the end of the period."),
        ("jongeren", "youths"), None, YOUTH_DIMENSIONS, "cube", signal_based=True, default_target=0.0,
    ),
    _i(
        "youths-per-group", "policy", "count",
        ("Jongeren per groep", "Youths per group"),
        ("Jongeren uit de doelgroep per groep (in beeld, uit beeld, risico) aan het eind van de periode.",
         "Youths of the target group per group (in view, out of view, at risk) at the end of the period."),
        ("jongeren in een groep", "youths in a group"), None, YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "thuiszitters", "policy", "count",
        ("Thuiszitters", "Thuiszitters"),
        ("Jongeren die op de laatste dag voldoen aan de voorwaarde van langdurig relatief of absoluut verzuim.",
         "Youths meeting the long-term-absence or absolute-absence condition on the period's last day."),
        ("jongeren", "youths"), None, YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "absence-16h-rate", "policy", "per-1000",
        ("16-uursmeldingen per 1000", "16-hour absence signals per 1000"),
        ("16-uurssignalen afgegeven in de periode per 1000 leerplichtige en kwalificatieplichtige ingeschreven "
         "jongeren op de laatste dag.", "absence-16h signals raised in the period per 1000 leerplichtig and "
         "kwalificatieplichtig youths enrolled on the period's last day."),
        ("absence-16h-signalen in de periode", "absence-16h signals raised in the period"),
        ("leerplichtige en kwalificatieplichtige ingeschreven jongeren", "leerplichtig and kwalificatieplichtig "
         "youths enrolled"),
        ("district", "ageBand", "sector"), "signals", signal_based=True,
    ),
    _i(
        "new-early-leavers", "policy", "percentage",
        ("Nieuwe voortijdig schoolverlaters", "New early leavers"),
        ("Schooljaar t: ingeschreven in vo, pro, vso, vavo of mbo op 1 oktober t en jonger dan 23, en op 1 oktober "
         "t+1 nergens ingeschreven en zonder startkwalificatie; beschikbaar vanaf 2 oktober t+1.",
         "School year t: enrolled in vo, pro, vso, vavo or mbo on 1 October t and under 23, and on 1 October t+1 "
         "not enrolled anywhere and without a startkwalificatie; available from 2 October t+1."),
        ("nieuwe voortijdig schoolverlaters", "new early leavers"),
        ("ingeschreven jongeren op 1 oktober t", "youths so enrolled on 1 October t"),
        PERSON_DIMENSIONS, "cohorts", period_kinds=_SCHOOL_YEAR,
    ),
    _i(
        "transition-plan-coverage", "policy", "percentage",
        ("Dekking transitieplan 18-/18+", "Transition plan coverage"),
        ("Jongeren van 17,5 tot 18 in jeugdhulp (Jeugdwet) met een transitieplan uit de laatste 12 maanden.",
         "Youths aged 17.5 to 18 in jeugdwet care with a transition plan dated in the 12 months before."),
        ("met transitieplan", "with a transition plan"), ("jongeren 17,5-18 in jeugdhulp", "youths 17.5-18 in care"),
        YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "mbo-applied-by-april", "policy", "percentage",
        ("Aangemeld mbo vóór 1 april", "Applied to mbo by 1 April"),
        ("Examenleerlingen (vmbo; pro en vso met uitstroom vervolgonderwijs) ingeschreven op 1 april met een "
         "aanmelding van 1 augustus tot en met 1 april.", "Final-year pupils (vmbo; pro and vso with outflow "
         "vervolgonderwijs) enrolled on 1 April with an application dated 1 August to 1 April."),
        ("aangemeld", "applied"), ("examenleerlingen op 1 april", "final-year pupils on 1 April"),
        PERSON_DIMENSIONS, "cohorts", period_kinds=_SCHOOL_YEAR,
    ),
    _i(
        "out-of-view", "policy", "count",
        ("Uit beeld", "Out of view"),
        ("Jongeren die op de laatste dag voldoen aan de uit-beeldvoorwaarde.",
         "Youths meeting the out-of-view condition on the period's last day."),
        ("jongeren", "youths"), None, YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "participation-rate", "strategic", "percentage",
        ("Participatie", "Participation rate"),
        ("Jongeren van 16 tot en met 26 die op de laatste dag ingeschreven of aan het werk zijn.",
         "Youths aged 16 to 26 enrolled or employed on the period's last day."),
        ("ingeschreven of werkend", "enrolled or employed"), ("jongeren 16-26", "youths 16-26"),
        YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "neet-rate", "strategic", "percentage",
        ("Geen school of werk (NEET)", "NEET rate"),
        ("Jongeren van 16 tot en met 26 die op de laatste dag niet ingeschreven en niet aan het werk zijn.",
         "Youths aged 16 to 26 neither enrolled nor employed on the period's last day."),
        ("niet ingeschreven en niet werkend", "neither enrolled nor employed"), ("jongeren 16-26", "youths 16-26"),
        YOUTH_DIMENSIONS, "cube",
    ),
    _i(
        "trajectory-success", "strategic", "percentage",
        ("Succesvolle trajecten", "Trajectory success"),
        ("Trajecten beëindigd in de periode met uitkomst onderwijs, werk of beide.",
         "Trajectories ended in the period with outcome education, work or both."),
        ("met uitkomst onderwijs en/of werk", "ended with education and/or work"),
        ("trajecten beëindigd in de periode", "trajectories ended in the period"),
        PERSON_DIMENSIONS, "trajectories",
    ),
    _i(
        "sustained-12-months", "strategic", "percentage",
        ("Duurzaam na 12 maanden", "Sustained after 12 months"),
        ("Van de succesvolle trajecten beëindigd in dezelfde periode 12 maanden eerder: ingeschreven of werkend "
         "op de einddatum + 12 maanden.", "Of the successful trajectories ended in the same-length period 12 "
         "months earlier, those enrolled or employed on their end date + 12 months."),
        ("ingeschreven of werkend na 12 maanden", "enrolled or employed 12 months later"),
        ("succesvolle trajecten 12 maanden eerder", "successful trajectories 12 months earlier"),
        PERSON_DIMENSIONS, "trajectories",
    ),
    _i(
        "relapse-rate", "strategic", "percentage",
        ("Terugval", "Relapse rate"),
        ("Van hetzelfde cohort: met een terugvalsignaal binnen 12 maanden na het einde.",
         "Of the same cohort, those with a relapse signal within 12 months after their end."),
        ("met terugvalsignaal", "with a relapse signal"),
        ("succesvolle trajecten 12 maanden eerder", "successful trajectories 12 months earlier"),
        PERSON_DIMENSIONS, "trajectories", signal_based=True,
    ),
)  # fmt: skip

BY_CODE = {indicator.code: indicator for indicator in INDICATORS}


def target_of(indicator: Indicator, configured: dict[str, float]) -> float | None:
    return configured.get(indicator.code, indicator.default_target)
