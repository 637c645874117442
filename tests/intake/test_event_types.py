# SPDX-License-Identifier: EUPL-1.2
"""Every event type of the catalogue: one valid event lands in the projection; invalid ones name the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from services.intake.catalogue import CATALOGUE, EVENT_TYPES
from tests.factories import bsn, event, post
from tests.intake.support import SCHOOL_BRIN, VALID, Partners, count, names, person_for, rows


def test_the_table_covers_the_whole_catalogue() -> None:
    assert set(VALID) == set(CATALOGUE)
    assert len(EVENT_TYPES) == 21


def _one(table: str) -> dict[str, Any]:
    found = rows(table)
    assert len(found) == 1, (table, found)
    return found[0]


def _check_effect(type_: str, partners: Partners) -> None:
    poster = partners.by_role(VALID[type_][0])
    if type_ == "person.registered":
        registration = _one("registrations")
        assert (registration["kind"], str(registration["date"]), registration["district_code"]) == (
            "registered",
            "2010-05-01",
            "WK050501",
        )
        profile = _one("youth_profiles")
        assert (str(profile["birth_date"]), profile["birth_date_rank"]) == ("2010-04-02", 2)
    elif type_ == "person.deregistered":
        registration = _one("registrations")
        assert (registration["kind"], str(registration["date"]), registration["reason"]) == (
            "deregistered",
            "2026-01-31",
            "moved-out",
        )
    elif type_ == "education.enrolled":
        period = _one("enrolment_periods")
        assert {k: period[k] for k in ("episode_id", "brin", "sector", "track", "pathway", "grade", "final_year")} == {
            "episode_id": "enr-1",
            "brin": SCHOOL_BRIN,
            "sector": "vo",
            "track": "havo",
            "pathway": None,
            "grade": 3,
            "final_year": False,
        }
        assert str(period["start_date"]) == "2025-08-18"
        assert str(period["partner_id"]) == poster.id
        assert period["source"] == poster.source
    elif type_ == "education.unenrolled":
        end = _one("enrolment_ends")
        assert (end["episode_id"], end["brin"], str(end["end_date"]), end["reason"]) == (
            "enr-1",
            SCHOOL_BRIN,
            "2026-01-16",
            "transfer",
        )
    elif type_ == "education.absence-reported":
        week = _one("absence_weeks")
        assert (str(week["week_start"]), week["brin"]) == ("2026-01-12", SCHOOL_BRIN)
        assert (week["scheduled_hours"], week["unauthorized_hours"], week["authorized_hours"]) == (26.0, 6.0, 2.5)
    elif type_ in _EPISODES:
        kind, side, day, category = _EPISODES[type_]
        episode = _one("episodes")
        assert (episode["kind"], episode["category"], str(episode[f"{side}_date"])) == (kind, category, day)
        other = "end" if side == "start" else "start"
        assert episode[f"{other}_date"] is None
        assert str(episode[f"{side}_partner_id"]) == poster.id
    elif type_ in _FACTS:
        kind, day, code, attrs = _FACTS[type_]
        fact = _one("facts")
        assert (fact["kind"], str(fact["date"]), fact["code"], fact["attrs"]) == (kind, day, code, attrs)
        assert str(fact["partner_id"]) == poster.id
    else:
        assert type_ == "event.retracted"
        retraction = _one("retractions")
        assert (retraction["source"], retraction["retracted_id"]) == (poster.source, "never-posted")
    touched = {
        "person.registered": {"registrations", "youth_profiles"},
        "person.deregistered": {"registrations"},
        "education.enrolled": {"enrolment_periods"},
        "education.unenrolled": {"enrolment_ends"},
        "education.absence-reported": {"absence_weeks"},
        "event.retracted": set(),
    }.get(type_, {"episodes"} if type_ in _EPISODES else {"facts"})
    for table in ("registrations", "youth_profiles", "enrolment_periods", "enrolment_ends", "absence_weeks"):
        if table not in touched:
            assert count(table) == 0, table
    for table in ("episodes", "facts"):
        if table not in touched:
            assert count(table) == 0, table


_EPISODES = {
    "education.exemption-granted": ("exemption", "start", "2025-09-01", None),
    "education.exemption-ended": ("exemption", "end", "2026-01-31", None),
    "work.employment-started": ("employment", "start", "2026-01-05", None),
    "work.employment-ended": ("employment", "end", "2026-03-31", None),
    "income.benefit-started": ("benefit", "start", "2026-01-01", "participatiewet"),
    "income.benefit-ended": ("benefit", "end", "2026-06-30", "participatiewet"),
    "care.started": ("care", "start", "2025-10-01", "jeugdwet"),
    "care.ended": ("care", "end", "2026-02-28", "jeugdwet"),
    "support.trajectory-started": ("trajectory", "start", "2026-01-21", None),
    "support.trajectory-ended": ("trajectory", "end", "2026-05-01", None),
}
_FACTS = {
    "education.qualified": ("qualification", "2025-07-01", "havo", {}),
    "education.mbo-applied": ("mbo-application", "2026-03-01", None, {"brin": "99ZZ"}),
    "support.contact": ("contact", "2026-01-20", "outreach", {}),
    "support.transition-plan": ("transition-plan", "2026-02-01", None, {}),
    "support.life-domains-assessed": (
        "life-domains",
        "2026-02-02",
        None,
        {"scores": {"finances": 2, "daytime-activity": 3, "mental-health": 4}},
    ),
}


@pytest.mark.parametrize("type_", sorted(VALID))
def test_a_valid_event_of_each_type_is_accepted_and_projected(client: Any, partners: Partners, type_: str) -> None:
    role, data = VALID[type_]
    poster = partners.by_role(role)
    sent = event(poster, type_, data, person=person_for(type_, bsn()))

    response = post(client, poster, sent)

    assert response.status_code == 202, response.text
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "results": [{"index": 0, "id": sent["id"], "status": "accepted"}],
    }
    stored = _one("events")
    assert (stored["type"], stored["event_id"], stored["source"]) == (type_, sent["id"], poster.source)
    assert "person" not in stored["data"]
    assert count("youths") == 1
    _check_effect(type_, partners)


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set a value at a slash path below the event, e.g. `data/person/bsn`."""

    def mutate(sent: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = sent
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(sent: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = sent
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


def _mbo_without_pathway(sent: dict[str, Any]) -> None:
    sent["data"].update(sector="mbo", track="mbo-2")


BAD_BSN = "123456789"  # 9*1+8*2+...+2*8 - 9 = 231 - 9 = 222, not divisible by 11

# (type, mutation, pointer, a fragment of the reason)
INVALID: list[tuple[str, Mutation, str, str]] = [
    ("person.registered", _drop("data/person/birthDate"), "/data/person/birthDate", "required"),
    ("person.registered", _set("data/districtCode", "0505"), "/data/districtCode", "pattern"),
    ("person.registered", _set("data/postcode4", "3311AB"), "/data/postcode4", "pattern"),
    ("person.deregistered", _set("data/reason", "emigrated"), "/data/reason", "moved-out"),
    ("person.deregistered", _set("data/person/bsn", BAD_BSN), "/data/person/bsn", "elfproef"),
    ("education.enrolled", _set("data/track", "mbo-2"), "/data/track", "does not belong to sector vo"),
    ("education.enrolled", _mbo_without_pathway, "/data/pathway", "required for mbo"),
    ("education.enrolled", _set("data/pathway", "bol"), "/data/pathway", "mbo only"),
    ("education.enrolled", _set("data/outflowProfile", "arbeidsmarkt"), "/data/outflowProfile", "pro and vso"),
    ("education.enrolled", _set("data/grade", 7), "/data/grade", "less than or equal to 6"),
    ("education.enrolled", _set("data/finalYear", "yes"), "/data/finalYear", "boolean"),
    ("education.unenrolled", _set("data/reason", "expelled"), "/data/reason", "dropout"),
    ("education.unenrolled", _set("data/endDate", "16-01-2026"), "/data/endDate", "YYYY-MM-DD"),
    ("education.qualified", _set("data/qualification", "mbo-5"), "/data/qualification", "mbo-4"),
    ("education.absence-reported", _set("data/weekStart", "2026-01-13"), "/data/weekStart", "must be a Monday"),
    ("education.absence-reported", _set("data/scheduledHours", "26"), "/data/scheduledHours", "valid number"),
    ("education.absence-reported", _set("data/unauthorizedHours", 61), "/data/unauthorizedHours", "60"),
    ("education.absence-reported", _set("data/brin", 1234), "/data/brin", "valid string"),
    ("education.mbo-applied", _set("data/brin", "12A"), "/data/brin", "pattern"),
    ("education.exemption-granted", _drop("data/article"), "/data/article", "required"),
    ("education.exemption-ended", _set("data/to", "2026-02-30"), "/data/to", "not an existing calendar date"),
    ("education.mbo-applied", _set("data/college", "Da Vinci"), "/data/college", "not a known property"),
    ("work.employment-started", _set("data/hoursPerWeek", -1), "/data/hoursPerWeek", "greater than or equal to 0"),
    ("work.employment-ended", _set("data/hoursPerWeek", 24), "/data/hoursPerWeek", "not a known property"),
    ("income.benefit-started", _set("data/kind", "bijstand"), "/data/kind", "participatiewet"),
    ("income.benefit-ended", _drop("data/kind"), "/data/kind", "required"),
    ("care.started", _set("data/framework", "jeugdzorg"), "/data/framework", "jeugdwet"),
    ("care.ended", _drop("data/episodeId"), "/data/episodeId", "required"),
    ("support.contact", _set("data/channel", "letter"), "/data/channel", "outreach"),
    ("support.trajectory-started", _set("data/episodeId", 17), "/data/episodeId", "valid string"),
    ("support.trajectory-ended", _set("data/outcome", "success"), "/data/outcome", "education"),
    ("support.transition-plan", _set("data/date", 20260201), "/data/date", "YYYY-MM-DD"),
    ("support.life-domains-assessed", _set("data/scores/housing", 6), "/data/scores/housing", "less than or equal"),
    ("support.life-domains-assessed", _set("data/scores/income", 3), "/data/scores/income", "not a known property"),
    ("event.retracted", _set("data/retractedId", ""), "/data/retractedId", "at least 1 character"),
    # The envelope and the person, whatever the type.
    ("support.contact", _drop("time"), "/time", "required"),
    ("support.contact", _set("time", "2026-01-19 08:15:00"), "/time", "RFC 3339"),
    ("support.contact", _set("subject", "123456782"), "/subject", "personal data"),
    ("support.contact", _set("specversion", "0.3"), "/specversion", "1.0"),
    ("support.contact", _set("id", ""), "/id", "non-empty"),
    ("support.contact", _set("type", "nl.glansrijk.support.visit"), "/type", "catalogue"),
    ("support.contact", _set("datacontenttype", "text/xml"), "/datacontenttype", "application/json"),
    ("support.contact", _set("source", "urn:nld:oin:123:systeem:x"), "/source", "urn:nld:oin"),
    ("support.contact", _drop("data"), "/data", "required"),
    ("support.contact", _set("data/person", {}), "/data/person", "exactly one of bsn or onderwijsnummer"),
    ("support.contact", _set("data/person/onderwijsnummer", "100000009"), "/data/person", "exactly one"),
    ("support.contact", _set("data/person/bsn", 123456782), "/data/person/bsn", "valid string"),
    ("support.contact", _set("data/person/bsn", "12345678"), "/data/person/bsn", "elfproef"),
    ("support.contact", _set("data/person/birthDate", "2010-13-01"), "/data/person/birthDate", "existing calendar"),
    ("person.registered", _set("data/person/birthDate", "2026-06-01"), "/data/person/birthDate", "after the event"),
    ("support.contact", _set("data/person/name", "Jan"), "/data/person/name", "not a known property"),
]


@pytest.mark.parametrize(
    ("type_", "mutate", "name", "reason"),
    INVALID,
    ids=[f"{t}-{p}" for t, _, p, _ in INVALID],
)
def test_an_invalid_event_names_the_failing_field(
    client: Any, partners: Partners, type_: str, mutate: Mutation, name: str, reason: str
) -> None:
    role, data = VALID[type_]
    poster = partners.by_role(role)
    sent = event(poster, type_, copy.deepcopy(data), person=person_for(type_, bsn()))
    mutate(sent)

    response = post(client, poster, sent)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/invalid-input")
    assert (body["title"], body["status"]) == ("Bad Request", 400)
    assert body["detail"]
    assert names(response) == [name], body
    assert reason in body["invalidParams"][0]["reason"], body
    assert count("events") == 0
    assert count("youths") == 0


def test_every_type_has_an_invalid_variant() -> None:
    assert {t for t, *_ in INVALID} == set(CATALOGUE)


def test_every_failing_field_of_one_event_is_listed(client: Any, partners: Partners) -> None:
    sent = event(
        partners.school,
        "education.absence-reported",
        {
            "brin": SCHOOL_BRIN,
            "weekStart": "2026-01-14",
            "scheduledHours": "26",
            "unauthorizedHours": -1,
            "authorizedHours": 0,
            "remark": "ziek",
        },
        person={"bsn": BAD_BSN},
    )
    sent["subject"] = "x"
    del sent["time"]

    response = post(client, partners.school, sent)

    assert response.status_code == 400
    assert sorted(names(response)) == sorted(
        [
            "/time",
            "/subject",
            "/data/person/bsn",
            "/data/weekStart",
            "/data/scheduledHours",
            "/data/unauthorizedHours",
            "/data/remark",
        ]
    )


VALID_BSN = "111222333"

# (type, changes to its valid data, person, {pointer: a fragment of the reason})
BESIDE: list[tuple[str, dict[str, Any], dict[str, str], dict[str, str]]] = [
    (
        "education.enrolled",
        {"sector": "mbo", "track": "havo", "grade": 7},
        {"bsn": VALID_BSN, "birthDate": "2099-01-01"},
        {
            "/data/grade": "less than or equal to 6",
            "/data/pathway": "required for mbo",
            "/data/person/birthDate": "after the event",
            "/data/track": "does not belong to sector mbo",
        },
    ),
    (
        "education.enrolled",
        {"outflowProfile": "arbeidsmarkt", "grade": 0},
        {"bsn": BAD_BSN, "birthDate": "2099-01-01"},
        {
            "/data/grade": "greater than or equal to 1",
            "/data/outflowProfile": "pro and vso only",
            "/data/person/birthDate": "after the event",
            "/data/person/bsn": "elfproef",
        },
    ),
    (
        "support.contact",
        {},
        {"birthDate": "2010-13-01"},
        {"/data/person": "exactly one of bsn or onderwijsnummer", "/data/person/birthDate": "existing calendar"},
    ),
    (
        "support.contact",
        {},
        {"bsn": BAD_BSN, "onderwijsnummer": "100000009"},
        {"/data/person": "exactly one of bsn or onderwijsnummer", "/data/person/bsn": "elfproef"},
    ),
    (
        "support.life-domains-assessed",
        {"scores": {"income": 3}},
        {"bsn": VALID_BSN},
        {"/data/scores": "at least one domain score", "/data/scores/income": "not a known property"},
    ),
]


@pytest.mark.parametrize(("type_", "changes", "person", "expected"), BESIDE)
def test_checks_across_fields_are_listed_beside_the_other_failing_fields(
    client: Any,
    partners: Partners,
    type_: str,
    changes: dict[str, Any],
    person: dict[str, str],
    expected: dict[str, str],
) -> None:
    # A check across fields (a track of another sector, mbo without a pathway, a birth date after the event's
    # time, exactly one identifier, at least one score) used to run only once every single field passed: a wrong
    # grade or BSN hid it, and the partner had to post again to learn of it.
    role, data = VALID[type_]
    sent = event(partners.by_role(role), type_, {**data, **changes}, person=person)

    response = post(client, partners.by_role(role), sent)

    assert response.status_code == 400
    reasons = {p["name"]: p["reason"] for p in response.json()["invalidParams"]}
    assert sorted(reasons) == sorted(expected), reasons
    for name, fragment in expected.items():
        assert fragment in reasons[name], reasons


@pytest.mark.parametrize(
    ("type_", "changes"),
    [
        # The spec bounds each of the hours (0..60), not their sum: the school's report is taken as it is.
        ("education.absence-reported", {"scheduledHours": 0, "unauthorizedHours": 8, "authorizedHours": 60}),
        # A nulurencontract: employment without guaranteed hours.
        ("work.employment-started", {"hoursPerWeek": 0}),
    ],
)
def test_values_within_the_spec_are_accepted(
    client: Any, partners: Partners, type_: str, changes: dict[str, Any]
) -> None:
    role, data = VALID[type_]
    sent = event(partners.by_role(role), type_, {**data, **changes}, person=person_for(type_, bsn()))

    response = post(client, partners.by_role(role), sent)

    assert response.status_code == 202, response.text
    assert count("events") == 1


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        ("Application/JSON; charset=utf-8", 202),
        ('application/json;charset="UTF8"', 202),
        ("application/json; charset=iso-8859-1", 400),
    ],
)
def test_datacontenttype_may_carry_parameters_but_only_utf8(
    client: Any, partners: Partners, declared: str, status: int
) -> None:
    role, data = VALID["support.contact"]
    sent = event(partners.by_role(role), "support.contact", data, person={"bsn": bsn()})
    sent["datacontenttype"] = declared

    response = post(client, partners.by_role(role), sent)

    assert response.status_code == status, response.text


def test_pointers_escape_slash_and_tilde(client: Any, partners: Partners) -> None:
    role, data = VALID["support.contact"]
    sent = event(partners.by_role(role), "support.contact", {**data, "a/b~c": 1}, person={"bsn": bsn()})

    response = post(client, partners.by_role(role), sent)

    assert response.status_code == 400
    assert names(response) == ["/data/a~1b~0c"]


def test_an_onderwijsnummer_identifies_a_pupil_without_bsn(client: Any, partners: Partners) -> None:
    role, data = VALID["support.contact"]
    sent = event(partners.by_role(role), "support.contact", data, person={"onderwijsnummer": bsn()})

    response = post(client, partners.by_role(role), sent)

    assert response.status_code == 202
    assert [y["identifier_kind"] for y in rows("youths")] == ["onderwijsnummer"]


def test_a_bsn_with_leading_zeros_is_kept_as_a_string(client: Any, partners: Partners) -> None:
    number = bsn(1)  # "000000019"-like: leading zeros
    assert number.startswith("0000")
    role, data = VALID["support.contact"]

    response = post(
        client, partners.by_role(role), event(partners.by_role(role), "support.contact", data, person={"bsn": number})
    )

    assert response.status_code == 202
    assert count("facts") == 1


def test_time_with_an_offset_is_stored_in_utc(client: Any, partners: Partners) -> None:
    role, data = VALID["support.contact"]
    poster = partners.by_role(role)
    sent = event(poster, "support.contact", data, person={"bsn": bsn()}, time="2026-01-19T09:15:00+01:00")

    assert post(client, poster, sent).status_code == 202
    stored = _one("events")
    assert stored["time"].isoformat() == "2026-01-19T08:15:00+00:00"
