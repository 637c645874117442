# SPDX-License-Identifier: EUPL-1.2
"""The event catalogue (spec/interface.md, "Event types"): one pydantic model per type's `data`.

Fields are strict where the contract is: numbers must be JSON numbers, booleans JSON booleans, dates the
string YYYY-MM-DD, enums closed, and unknown properties refused.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.core.identity import passes_elfproef, valid_onderwijsnummer
from services.core.scopes import Role
from services.core.text import StorableText

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an existing calendar date") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise ValueError("must lie between 1900-01-01 and 2100-12-31")
    return parsed


def _monday(value: date) -> date:
    if value.weekday() != 0:
        raise ValueError("must be a Monday")
    return value


IsoDate = Annotated[date, BeforeValidator(iso_date)]
Monday = Annotated[date, BeforeValidator(iso_date), AfterValidator(_monday)]
Hours = Annotated[float, Strict(), Field(ge=0, le=60, allow_inf_nan=False)]
EpisodeId = Annotated[str, Strict(), Field(min_length=1, max_length=200), StorableText]
Brin = Annotated[str, Strict(), Field(pattern=r"^[0-9]{2}[A-Z0-9]{2}$")]
DistrictCode = Annotated[str, Strict(), Field(pattern=r"^WK\d{6}$")]
Flag = Annotated[bool, Strict()]


class Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


M = TypeVar("M", bound=Data)


def validated_beside(handler: ModelWrapValidatorHandler[M], data: Any, failed_check: str | None) -> M:
    """The model validated by `handler`, with its own check across fields (`failed_check`: the reason, when it
    failed) reported beside its fields' errors. Pydantic runs an after-validator only when every field passed,
    and the spec wants every failing field in one answer."""
    if failed_check is None:
        return handler(data)
    check = InitErrorDetails(type=PydanticCustomError("check_across_fields", failed_check), loc=(), input=data)
    try:
        handler(data)
    except ValidationError as exc:
        raise ValidationError.from_exception_data(
            exc.title, [check, *cast(list[InitErrorDetails], exc.errors())]
        ) from None
    raise ValidationError.from_exception_data("check across fields", [check])


def _bsn(value: str) -> str:
    if not passes_elfproef(value):
        raise ValueError("must be 9 digits passing the BSN elfproef")
    return value


def _onderwijsnummer(value: str) -> str:
    if not valid_onderwijsnummer(value):
        raise ValueError("must be 9 digits passing the elfproef")
    return value


class Person(Data):
    bsn: Annotated[str, Strict(), AfterValidator(_bsn)] | None = None
    onderwijsnummer: Annotated[str, Strict(), AfterValidator(_onderwijsnummer)] | None = None
    birth_date: IsoDate | None = Field(default=None, alias="birthDate")
    local_id: Annotated[str, Strict(), Field(min_length=1, max_length=64), StorableText] | None = Field(
        default=None, alias="localId"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _exactly_one_identifier(cls, data: Any, handler: ModelWrapValidatorHandler[Person]) -> Person:
        # Runs for every event: two look-ups, no generator.
        given = (
            (data.get("bsn") is not None) + (data.get("onderwijsnummer") is not None) if isinstance(data, dict) else 1
        )
        return validated_beside(
            handler, data, None if given == 1 else "exactly one of bsn or onderwijsnummer is required"
        )


class PersonWithBirthDate(Person):
    birth_date: IsoDate = Field(alias="birthDate")


class EventData(Data):
    person: Person


class PersonRegistered(EventData):
    person: PersonWithBirthDate
    district_code: DistrictCode = Field(alias="districtCode")
    # Accepted because the BRP extract carries it; never stored (no rule or report may use it).
    postcode4: Annotated[str, Strict(), Field(pattern=r"^\d{4}$")] | None = None
    since: IsoDate


class PersonDeregistered(EventData):
    date: IsoDate
    reason: Literal["moved-out", "deceased", "other"]


Sector = Literal["vo", "pro", "vso", "vavo", "mbo", "hbo", "wo"]
Track = Literal[
    "vmbo-bb",
    "vmbo-kb",
    "vmbo-gt",
    "havo",
    "vwo",
    "pro",
    "vso",
    "mbo-1",
    "mbo-2",
    "mbo-3",
    "mbo-4",
    "hbo",
    "wo",
]
TRACKS_PER_SECTOR: dict[str, frozenset[str]] = {
    "vo": frozenset({"vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo"}),
    "pro": frozenset({"pro"}),
    "vso": frozenset({"vso"}),
    "vavo": frozenset({"vmbo-gt", "havo", "vwo"}),
    "mbo": frozenset({"mbo-1", "mbo-2", "mbo-3", "mbo-4"}),
    "hbo": frozenset({"hbo"}),
    "wo": frozenset({"wo"}),
}


class EducationEnrolled(EventData):
    """The checks across fields are field validators, not a model validator: pydantic runs a model validator only
    when every field passed, so a wrong `grade` hid a wrong `track` until the partner sent the event again. A field
    validator sees the fields declared before it that passed (`info.data`); `sector` comes first."""

    episode_id: EpisodeId = Field(alias="episodeId")
    brin: Brin
    sector: Sector
    track: Track
    pathway: Literal["bol", "bbl"] | None = Field(default=None, validate_default=True)
    grade: Annotated[int, Strict(), Field(ge=1, le=6)]
    final_year: Flag = Field(alias="finalYear")
    outflow_profile: Literal["vervolgonderwijs", "arbeidsmarkt", "dagbesteding"] | None = Field(
        default=None, alias="outflowProfile"
    )
    start_date: IsoDate = Field(alias="startDate")

    @field_validator("track")
    @classmethod
    def _track_of_sector(cls, track: str, info: ValidationInfo) -> str:
        sector = info.data.get("sector")  # absent when `sector` itself failed (and is reported)
        if sector is not None and track not in TRACKS_PER_SECTOR[sector]:
            raise ValueError(f"track {track} does not belong to sector {sector}")
        return track

    @field_validator("pathway")
    @classmethod
    def _pathway_for_mbo(cls, pathway: str | None, info: ValidationInfo) -> str | None:
        sector = info.data.get("sector")
        if sector == "mbo" and pathway is None:
            raise ValueError("pathway (bol or bbl) is required for mbo")
        if sector not in (None, "mbo") and pathway is not None:
            raise ValueError("pathway is for mbo only")
        return pathway

    @field_validator("outflow_profile")
    @classmethod
    def _outflow_for_pro_and_vso(cls, profile: str | None, info: ValidationInfo) -> str | None:
        sector = info.data.get("sector")
        if profile is not None and sector not in (None, "pro", "vso"):
            raise ValueError("outflowProfile is for pro and vso only")
        return profile


class EducationUnenrolled(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    brin: Brin
    end_date: IsoDate = Field(alias="endDate")
    reason: Literal["diploma", "transfer", "dropout", "moved", "other"]


Qualification = Literal["vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"]


class EducationQualified(EventData):
    qualification: Qualification
    date: IsoDate


class AbsenceReported(EventData):
    brin: Brin
    week_start: Monday = Field(alias="weekStart")
    # Each within 0..60 and nothing across them (spec/interface.md): the hours are taken as the school reports them.
    scheduled_hours: Hours = Field(alias="scheduledHours")
    unauthorized_hours: Hours = Field(alias="unauthorizedHours")
    authorized_hours: Hours = Field(alias="authorizedHours")


Article = Annotated[str, Strict(), Field(min_length=1, max_length=16), StorableText]


class ExemptionGranted(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    from_: IsoDate = Field(alias="from")
    article: Article


class ExemptionEnded(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    to: IsoDate
    article: Article | None = None


class MboApplied(EventData):
    date: IsoDate
    brin: Brin


class EmploymentStarted(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    date: IsoDate
    # 0 is a nulurencontract (an on-call contract without guaranteed hours): employment all the same.
    hours_per_week: Annotated[float, Strict(), Field(ge=0, le=80, allow_inf_nan=False)] = Field(alias="hoursPerWeek")


class EmploymentEnded(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    date: IsoDate


BenefitKind = Literal["participatiewet", "ww", "wajong", "other"]


class BenefitStarted(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    date: IsoDate
    kind: BenefitKind


class BenefitEnded(BenefitStarted):
    """The end of a benefit carries the same fields as its start."""


CareFramework = Literal["jeugdwet", "wmo", "wlz", "zvw"]


class CareStarted(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    date: IsoDate
    framework: CareFramework
    kind: Annotated[str, Strict(), Field(min_length=1, max_length=40), StorableText] | None = None


class CareEnded(CareStarted):
    """The end of a care episode carries the same fields as its start (iJw JW307 beside JW305)."""


class SupportContact(EventData):
    date: IsoDate
    channel: Literal["in-person", "phone", "online", "outreach"]


class TrajectoryStarted(EventData):
    episode_id: EpisodeId = Field(alias="episodeId")
    date: IsoDate


class TrajectoryEnded(TrajectoryStarted):
    outcome: Literal["education", "work", "education-and-work", "care", "moved", "no-contact", "other"]


class TransitionPlan(EventData):
    date: IsoDate


Score = Annotated[int, Strict(), Field(ge=1, le=5)]


class LifeDomainScores(Data):
    finances: Score | None = None
    daytime_activity: Score | None = Field(default=None, alias="daytime-activity")
    housing: Score | None = None
    family: Score | None = None
    mental_health: Score | None = Field(default=None, alias="mental-health")
    physical_health: Score | None = Field(default=None, alias="physical-health")
    addiction: Score | None = None
    daily_living: Score | None = Field(default=None, alias="daily-living")
    social_network: Score | None = Field(default=None, alias="social-network")
    participation: Score | None = None
    justice: Score | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _not_empty(cls, data: Any, handler: ModelWrapValidatorHandler[LifeDomainScores]) -> LifeDomainScores:
        given = any(data.get(name) is not None for name in _DOMAINS) if isinstance(data, dict) else True
        return validated_beside(handler, data, None if given else "at least one domain score is required")


_DOMAINS = tuple(field.alias or name for name, field in LifeDomainScores.model_fields.items())


class LifeDomainsAssessed(EventData):
    date: IsoDate
    scores: LifeDomainScores


class EventRetracted(EventData):
    retracted_id: Annotated[str, Strict(), Field(min_length=1, max_length=200), StorableText] = Field(
        alias="retractedId"
    )


EDUCATION_POSTERS = frozenset({Role.SCHOOL, Role.LEERPLICHT, Role.DOORSTROOMPUNT})
PLAN_POSTERS = frozenset({Role.YOUTH_CARE, Role.YOUTH_COACH, Role.MUNICIPALITY, Role.LEERPLICHT, Role.DOORSTROOMPUNT})
ANY_ROLE = frozenset(Role)

PREFIX = "nl.glansrijk."

# type (without prefix) -> (data model, roles that may post it)
CATALOGUE: dict[str, tuple[type[EventData], frozenset[Role]]] = {
    "person.registered": (PersonRegistered, frozenset({Role.MUNICIPALITY})),
    "person.deregistered": (PersonDeregistered, frozenset({Role.MUNICIPALITY})),
    "education.enrolled": (EducationEnrolled, EDUCATION_POSTERS),
    "education.unenrolled": (EducationUnenrolled, EDUCATION_POSTERS),
    "education.qualified": (EducationQualified, EDUCATION_POSTERS),
    "education.absence-reported": (AbsenceReported, frozenset({Role.SCHOOL})),
    "education.exemption-granted": (ExemptionGranted, frozenset({Role.LEERPLICHT})),
    "education.exemption-ended": (ExemptionEnded, frozenset({Role.LEERPLICHT})),
    "education.mbo-applied": (MboApplied, EDUCATION_POSTERS),
    "work.employment-started": (EmploymentStarted, ANY_ROLE),
    "work.employment-ended": (EmploymentEnded, ANY_ROLE),
    "income.benefit-started": (BenefitStarted, frozenset({Role.SOCIAL_SERVICES})),
    "income.benefit-ended": (BenefitEnded, frozenset({Role.SOCIAL_SERVICES})),
    "care.started": (CareStarted, frozenset({Role.YOUTH_CARE, Role.MUNICIPALITY})),
    "care.ended": (CareEnded, frozenset({Role.YOUTH_CARE, Role.MUNICIPALITY})),
    "support.contact": (SupportContact, ANY_ROLE),
    "support.trajectory-started": (TrajectoryStarted, ANY_ROLE),
    "support.trajectory-ended": (TrajectoryEnded, ANY_ROLE),
    "support.transition-plan": (TransitionPlan, PLAN_POSTERS),
    "support.life-domains-assessed": (LifeDomainsAssessed, PLAN_POSTERS),
    "event.retracted": (EventRetracted, ANY_ROLE),
}
EVENT_TYPES = tuple(PREFIX + name for name in CATALOGUE)

# Event types whose BRIN a school may only post for the BRINs it administers (the mbo application names
# the mbo institution instead).
OWN_BRIN_TYPES = frozenset({"education.enrolled", "education.unenrolled", "education.absence-reported"})
