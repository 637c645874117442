# SPDX-License-Identifier: EUPL-1.2
"""The privacy guards on the embedded default (SQLite, `glansrijk` processes): the audit log refuses UPDATE and
DELETE there too, and erasure works through the command line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from tests.cli.test_embedded import OIN_MUNICIPALITY, add_partner, cloud_event, embedded_env, glansrijk
from tests.factories import bsn

pytestmark = pytest.mark.embedded


def test_audit_guard_and_erasure_on_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "p.db"
    env = embedded_env(database)
    assert glansrijk(tmp_path, env, "migrate").returncode == 0
    municipality = add_partner(tmp_path, env, "Gemeente", "municipality", OIN_MUNICIPALITY)
    registered = {
        "person": {"bsn": bsn(), "birthDate": "2010-04-02"},
        "districtCode": "WK050501",
        "since": "2010-05-01",
    }
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(cloud_event(OIN_MUNICIPALITY, "person.registered", "r-1", registered)) + "\n")
    imported = glansrijk(tmp_path, env, "import", str(lines), "--partner", municipality, "--no-signals")
    assert imported.returncode == 0, imported.stderr

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        [youth_id] = connection.execute(text("SELECT id FROM youths")).scalars().all()
    # SQLite keeps a UUID as 32 hex digits; the command takes the usual form.
    youth = str(uuid.UUID(youth_id))
    erased = glansrijk(tmp_path, env, "youths", "erase", youth, "--purpose", "Verzoek 2026-9")
    assert erased.returncode == 0, erased.stderr

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM youths")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM events")).scalar() == 0
        rows = connection.execute(text("SELECT action, purpose FROM audit_log")).all()
    assert [tuple(row) for row in rows] == [("erase", "Verzoek 2026-9")]
    for statement in ("UPDATE audit_log SET purpose = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()
