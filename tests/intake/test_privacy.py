# SPDX-License-Identifier: EUPL-1.2
"""No BSN or onderwijsnummer beyond the door: not in the event store, responses or logs; only a pseudonym and
a ciphertext in `youths`; postcode4 is not kept at all."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from services.core.db import get_engine
from services.core.identity import decrypt, pseudonymise
from services.core.models import Base
from tests.factories import bsn, event, post
from tests.intake.support import VALID, Partners, person_for, rows

POSTCODE = "3311"


def _all_rows_as_text() -> dict[str, str]:
    with get_engine().connect() as connection:
        return {
            table.name: "\n".join(connection.execute(text(f'SELECT t::text FROM "{table.name}" t')).scalars())
            for table in Base.metadata.sorted_tables
        }


def _post_everything(client: Any, partners: Partners, numbers: list[str], pupil: str) -> list[Any]:
    responses = []
    for number in numbers:
        for type_, (role, data) in VALID.items():
            poster = partners.by_role(role)
            person = {**person_for(type_, number), "localId": f"L-{number[:3]}"}
            responses.append(post(client, poster, event(poster, type_, data, person=person)))
    coach = partners.youth_coach
    responses.append(
        post(
            client,
            coach,
            event(coach, "support.contact", VALID["support.contact"][1], person={"onderwijsnummer": pupil}),
        )
    )
    return responses


def test_no_identifier_in_the_event_store_responses_or_logs(
    client: Any, partners: Partners, caplog: pytest.LogCaptureFixture
) -> None:
    numbers, pupil = [bsn(), bsn()], bsn()
    secrets = [*numbers, pupil]
    caplog.set_level(logging.DEBUG)

    responses = _post_everything(client, partners, numbers, pupil)
    # Refused requests must not echo the identifier either: a 400 (bad BSN beside a good one) and a 403.
    coach = partners.youth_coach
    bad_bsn = numbers[0][:8] + str((int(numbers[0][8]) + 1) % 10)
    invalid = [
        event(coach, "support.contact", VALID["support.contact"][1], person={"bsn": numbers[1]}),
        event(coach, "support.contact", {"date": "2026-13-01", "channel": "fax"}, person={"bsn": bad_bsn}),
    ]
    refused = post(client, coach, invalid)
    foreign = event(coach, "support.contact", VALID["support.contact"][1], person={"bsn": numbers[0]})
    foreign["source"] = partners.school.source
    forbidden = post(client, coach, foreign)

    assert [r.status_code for r in responses] == [202] * len(responses)
    assert refused.status_code == 400
    assert "/1/data/person/bsn" in [p["name"] for p in refused.json()["invalidParams"]]
    assert forbidden.status_code == 403
    for response in [*responses, refused, forbidden]:
        for secret in [*secrets, bad_bsn]:
            assert secret not in response.text
            assert secret not in str(response.headers)
    assert caplog.records, "the requests were logged at DEBUG"
    for secret in [*secrets, bad_bsn]:
        assert secret not in caplog.text
        assert all(secret not in str(record.args) for record in caplog.records)

    stored = _all_rows_as_text()
    assert stored["events"].count("\n") + 1 == len(responses)
    for table, dump in stored.items():
        for secret in secrets:
            assert secret not in dump, table
        assert '"postcode4"' not in dump, table
        assert "birthDate" not in dump or table != "events", table
    assert "localId" not in stored["events"]
    assert f"L-{numbers[0][:3]}" not in stored["events"]


def test_youths_hold_only_a_pseudonym_and_a_ciphertext(client: Any, partners: Partners) -> None:
    numbers, pupil = [bsn(), bsn()], bsn()

    _post_everything(client, partners, numbers, pupil)

    youths = rows("youths")
    assert set(youths[0]) == {"id", "pseudonym", "identifier_kind", "identifier_ciphertext", "created_at"}
    by_identifier = {decrypt(y["identifier_ciphertext"]): y for y in youths}
    assert set(by_identifier) == {*numbers, pupil}
    for number in numbers:
        youth = by_identifier[number]
        assert youth["identifier_kind"] == "bsn"
        assert youth["pseudonym"] == pseudonymise("bsn", number)
        assert len(youth["pseudonym"]) == 32
        assert number.encode() not in youth["identifier_ciphertext"]
        assert number.encode() not in youth["pseudonym"]
    assert by_identifier[pupil]["identifier_kind"] == "onderwijsnummer"
    assert by_identifier[pupil]["pseudonym"] == pseudonymise("onderwijsnummer", pupil)
    # Every event of one person points at one youth; no event row carries any identifier column.
    event_columns = set(rows("events")[0])
    assert not event_columns & {"bsn", "onderwijsnummer", "pseudonym", "person"}
    youth_of = {}
    for row in rows("events"):
        youth_of.setdefault(row["youth_id"], 0)
        youth_of[row["youth_id"]] += 1
    assert sorted(youth_of.values()) == [1, len(VALID), len(VALID)]


def test_postcode4_is_accepted_but_not_stored(client: Any, partners: Partners) -> None:
    town = partners.municipality
    type_, data = "person.registered", {**VALID["person.registered"][1], "postcode4": POSTCODE}
    sent = event(town, type_, data, person=person_for(type_, bsn()))

    assert post(client, town, sent).status_code == 202

    [stored] = rows("events")
    assert stored["data"] == {"districtCode": "WK050501", "since": "2010-05-01"}
    [registration] = rows("registrations")
    assert POSTCODE not in {str(v) for v in registration.values()}
    for table, dump in _all_rows_as_text().items():
        assert "postcode" not in dump.lower(), table
