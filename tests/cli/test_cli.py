# SPDX-License-Identifier: EUPL-1.2
"""The command line through typer's runner, against the migrated test database (no mocks)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from services.cli.main import app
from services.core.db import get_engine
from services.core.models import ApiKey, Base, Event
from services.intake.repository import PROJECTION_TABLES
from tests.factories import TestPartner, bsn, event, post

runner = CliRunner()
OIN_MUNICIPALITY = "00000001001111111000"
OIN_SCHOOL = "00000001002222222000"
OIN_LEERPLICHT = "00000001003333333000"


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def add_partner(*args: str) -> str:
    result = cli("partners", "add", *args, "--json")
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["id"])


def create_key(partner_id: str, scopes: str) -> dict[str, str]:
    result = cli("keys", "create", "--partner", partner_id, "--scopes", scopes, "--json")
    assert result.exit_code == 0, result.output
    payload: dict[str, str] = json.loads(result.stdout)
    return payload


def cli_partner(roles: str, oin: str, *extra: str, scopes: str = "events:write") -> TestPartner:
    """A partner and key made through the CLI, usable with the factories' `event` and `post`."""
    partner_id = add_partner("--name", f"partner {roles}", "--roles", roles, "--oin", oin, *extra)
    key = create_key(partner_id, scopes)
    return TestPartner(partner_id, key["key"], key["id"], oin, roles.split(","))


def listed() -> list[dict[str, Any]]:
    result = cli("partners", "list", "--json")
    assert result.exit_code == 0, result.output
    partners: list[dict[str, Any]] = json.loads(result.stdout)
    return partners


def registered(partner: TestPartner, person_bsn: str) -> dict[str, Any]:
    data = {"districtCode": "WK050501", "since": "2010-05-01"}
    return event(partner, "person.registered", data, person={"bsn": person_bsn, "birthDate": "2010-04-30"})


def test_partners_add_prints_the_id_and_list_shows_partners_in_creation_order() -> None:
    result = cli(
        "partners", "add", "--name", "Gemeente Dordrecht", "--roles", "municipality", "--oin", OIN_MUNICIPALITY
    )
    assert result.exit_code == 0, result.output
    assert "added" in result.stdout
    school = add_partner("--name", "Da Vinci", "--roles", "school", "--oin", OIN_SCHOOL, "--brin", "25XY,12ab:zuid")
    both = add_partner("--name", "Leerplicht en RMC", "--roles", "leerplicht,doorstroompunt", "--kvk", "12345678")
    assert uuid.UUID(school) and uuid.UUID(both)

    partners = listed()
    assert [p["name"] for p in partners] == ["Gemeente Dordrecht", "Da Vinci", "Leerplicht en RMC"]
    assert [p["id"] for p in partners][1:] == [school, both]
    assert partners[0]["roles"] == ["municipality"] and partners[0]["oin"] == OIN_MUNICIPALITY
    assert partners[1]["roles"] == ["school"] and partners[1]["brins"] == ["12AB", "25XY"]
    assert partners[2]["roles"] == ["doorstroompunt", "leerplicht"] and partners[2]["brins"] == []
    assert partners[2]["kvk"] == "12345678" and partners[2]["oin"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--roles", "teacher"], "--roles takes one or more of"),
        (["--roles", "school", "--oin", "12345"], "--oin must be 20 digits"),
        (["--roles", "school", "--kvk", "1234567x"], "--kvk must be 8 digits"),
        (["--roles", "school", "--brin", "1AB"], "a BRIN is 4 characters"),
        (["--roles", "school", "--brin", "12AB:west"], "a BRIN is 4 characters"),
        (["--roles", "leerplicht", "--brin", "12AB"], "--brin is for partners with the school role"),
    ],
)
def test_partners_add_refuses_invalid_input_with_exit_code_2(args: list[str], message: str) -> None:
    result = cli("partners", "add", "--name", "Some partner", *args, "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert listed() == []


def test_a_second_municipality_is_refused() -> None:
    add_partner("--name", "Gemeente Dordrecht", "--roles", "municipality", "--oin", OIN_MUNICIPALITY)
    result = cli("partners", "add", "--name", "Gemeente Zwijndrecht", "--roles", "municipality,youth-care", "--json")
    assert result.exit_code == 2
    assert "exactly one partner holds the municipality role" in result.stderr
    assert [p["name"] for p in listed()] == ["Gemeente Dordrecht"]


def test_a_created_key_works_against_the_api_and_only_its_sha256_is_stored(client: TestClient) -> None:
    school = cli_partner("school", OIN_SCHOOL, "--brin", "12AB", scopes="events:write,signals:read")
    assert school.key.startswith("glk_") and uuid.UUID(school.key_id)

    data = {"brin": "12AB", "weekStart": "2026-01-12", "scheduledHours": 26, "unauthorizedHours": 6}
    absence = event(school, "education.absence-reported", {**data, "authorizedHours": 0}, person={"bsn": bsn()})
    response = post(client, school, absence)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1

    with get_engine().connect() as connection:
        stored = connection.execute(select(ApiKey.id, ApiKey.key_hash, ApiKey.scopes)).all()
        assert [(str(i), h, s) for i, h, s in stored] == [
            (school.key_id, hashlib.sha256(school.key.encode()).hexdigest(), ["events:write", "signals:read"])
        ]
        secret = school.key.removeprefix("glk_")
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    assert secret not in text, f"the plain key is stored in {table.name}"


def test_chain_manage_is_only_for_the_municipality() -> None:
    school_id = add_partner("--name", "School", "--roles", "school", "--oin", OIN_SCHOOL)
    result = cli("keys", "create", "--partner", school_id, "--scopes", "events:write,chain:manage", "--json")
    assert result.exit_code == 2
    assert "only keys of the municipality partner may hold chain:manage" in result.stderr
    assert result.stdout == ""

    municipality_id = add_partner("--name", "Gemeente", "--roles", "municipality", "--oin", OIN_MUNICIPALITY)
    key = create_key(municipality_id, "chain:manage")
    with get_engine().connect() as connection:
        assert connection.execute(select(ApiKey.id, ApiKey.scopes)).all() == [(uuid.UUID(key["id"]), ["chain:manage"])]


def test_keys_create_refuses_unknown_scopes_and_partners() -> None:
    school_id = add_partner("--name", "School", "--roles", "school", "--oin", OIN_SCHOOL)
    unknown_scope = cli("keys", "create", "--partner", school_id, "--scopes", "events:read", "--json")
    assert unknown_scope.exit_code == 2 and "--scopes takes one or more of" in unknown_scope.stderr
    unknown_partner = cli("keys", "create", "--partner", str(uuid.uuid4()), "--scopes", "events:write")
    assert unknown_partner.exit_code == 2 and "no partner with id" in unknown_partner.stderr
    not_an_id = cli("keys", "create", "--partner", "school", "--scopes", "events:write")
    assert not_an_id.exit_code == 2 and "is not an id" in not_an_id.stderr


def test_a_revoked_key_answers_401_at_once(client: TestClient) -> None:
    municipality = cli_partner("municipality", OIN_MUNICIPALITY)
    assert post(client, municipality, registered(municipality, bsn())).status_code == 202

    result = cli("keys", "revoke", municipality.key_id)
    assert result.exit_code == 0, result.output
    assert f"key {municipality.key_id} revoked" in result.stdout

    response = post(client, municipality, registered(municipality, bsn()))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/problem+json")

    again = cli("keys", "revoke", municipality.key_id)
    assert again.exit_code == 1 and "no active key" in again.stderr


def _projection() -> dict[str, list[tuple[Any, ...]]]:
    """The projected state, without surrogate ids (a rebuild may number rows differently)."""
    state = {}
    with get_engine().connect() as connection:
        for table in PROJECTION_TABLES:
            columns = [c for c in table.columns if c.name != "id"]
            state[table.name] = sorted(tuple(map(str, row)) for row in connection.execute(select(*columns)))
    return state


def test_rebuild_state_prints_the_count_and_rebuilds_the_same_state(client: TestClient) -> None:
    municipality = cli_partner("municipality", OIN_MUNICIPALITY)
    school = cli_partner("school", OIN_SCHOOL, "--brin", "12AB")
    person = bsn()
    enrolled = {
        "episodeId": "e-1",
        "brin": "12AB",
        "sector": "vo",
        "track": "havo",
        "grade": 3,
        "finalYear": False,
        "startDate": "2025-08-01",
    }
    absence = {"brin": "12AB", "weekStart": "2026-01-12", "scheduledHours": 26, "unauthorizedHours": 4}
    assert post(client, municipality, registered(municipality, person)).status_code == 202
    batch = [
        event(school, "education.enrolled", enrolled, person={"bsn": person}),
        event(school, "education.absence-reported", {**absence, "authorizedHours": 2}, person={"bsn": person}),
    ]
    assert post(client, school, batch).status_code == 202
    before = _projection()
    assert len(before["registrations"]) == 1 and len(before["enrolment_periods"]) == 1
    assert len(before["absence_weeks"]) == 1

    result = cli("rebuild-state")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "state rebuilt from 3 events"
    assert _projection() == before


def _jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_import_reports_rejected_lines_and_is_idempotent(tmp_path: Path) -> None:
    municipality = cli_partner("municipality", OIN_MUNICIPALITY)
    stranger = TestPartner("-", "-", "-", OIN_SCHOOL, ["municipality"])
    contact = {"date": "2026-01-15", "channel": "phone"}
    file = _jsonl(
        tmp_path / "events.jsonl",
        [
            registered(municipality, bsn()),
            registered(municipality, "123456789"),  # fails the elfproef
            "",
            "{not json",
            event(municipality, "support.contact", contact, person={"bsn": bsn()}),
            registered(stranger, bsn()),  # another partner's source
        ],
    )

    first = cli("import", str(file), "--partner", municipality.id)
    assert first.exit_code == 1
    assert first.stdout.splitlines()[0] == "2 accepted, 0 duplicates, 3 rejected"
    assert "line 2: /data/person/bsn: must be 9 digits passing the BSN elfproef" in first.stdout
    assert "line 4: (event): the line is not valid JSON" in first.stdout
    assert "line 6: (event): the source belongs to another partner" in first.stdout

    again = cli("import", str(file), "--partner", municipality.id, "--json")
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert (report["accepted"], report["duplicates"]) == (0, 2)
    assert [r["line"] for r in report["rejected"]] == [2, 4, 6]
    with get_engine().connect() as connection:
        assert len(connection.execute(select(Event.seq)).all()) == 2


def test_import_of_a_clean_file_exits_0(tmp_path: Path) -> None:
    municipality = cli_partner("municipality", OIN_MUNICIPALITY)
    file = _jsonl(tmp_path / "clean.jsonl", [registered(municipality, bsn()) for _ in range(3)])
    result = cli("import", str(file), "--partner", municipality.id, "--no-signals")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "3 accepted, 0 duplicates, 0 rejected"
