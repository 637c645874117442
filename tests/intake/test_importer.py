# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk import FILE --partner ID`: JSON Lines through the API's checks, every reject named, idempotent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.intake.importer import import_file
from tests.factories import bsn, event
from tests.intake.support import SCHOOL_BRIN, Partners, count, rows

WEEKS = ["2025-12-01", "2025-12-08", "2025-12-15", "2026-01-05", "2026-01-12"]


def _absence(partners: Partners, week: str, **data: Any) -> dict[str, Any]:
    body = {
        "brin": SCHOOL_BRIN,
        "weekStart": week,
        "scheduledHours": 26,
        "unauthorizedHours": 3,
        "authorizedHours": 0,
        **data,
    }
    return event(partners.school, "education.absence-reported", body, person={"bsn": bsn()})


def _file(tmp_path: Path, partners: Partners) -> tuple[Path, int]:
    """Five good lines among bad ones; returns the path and the number of good events."""
    foreign = _absence(partners, WEEKS[0])
    foreign["source"] = partners.leerplicht.source
    big = _absence(partners, WEEKS[0], remark="x" * (64 * 1024))
    lines = [
        json.dumps(_absence(partners, WEEKS[0])),  # 1
        json.dumps(_absence(partners, "2025-12-02")),  # 2: not a Monday
        "",  # 3: blank, skipped
        json.dumps(_absence(partners, WEEKS[1])),  # 4
        "{not json",  # 5
        json.dumps(foreign),  # 6: another partner's source
        json.dumps(_absence(partners, WEEKS[2], scheduledHours="26", extra=1)),  # 7: two faults
        json.dumps(_absence(partners, WEEKS[2])),  # 8
        json.dumps(big),  # 9: over 64 KiB
        json.dumps(_absence(partners, WEEKS[3])),  # 10
        json.dumps(_absence(partners, WEEKS[4])),  # 11
    ]
    path = tmp_path / "absence.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, 5


EXPECTED_REJECTS = [
    {"line": 2, "reasons": [{"name": "/data/weekStart", "reason": "must be a Monday"}]},
    {"line": 5, "reasons": [{"name": "", "reason": "the line is not valid JSON"}]},
    {"line": 6, "reasons": [{"name": "", "reason": "the source belongs to another partner"}]},
    {
        "line": 7,
        "reasons": [
            {"name": "/data/scheduledHours", "reason": "Input should be a valid number"},
            {"name": "/data/extra", "reason": "is not a known property"},
        ],
    },
    {"line": 9, "reasons": [{"name": "", "reason": f"the event is over {64 * 1024} bytes"}]},
]


def test_import_reports_every_reject_and_stores_the_good_lines(tmp_path: Path, partners: Partners) -> None:
    path, good = _file(tmp_path, partners)

    report = import_file(path, uuid.UUID(partners.school.id), raise_signals=False)

    assert report.as_dict() == {"accepted": good, "duplicates": 0, "rejected": EXPECTED_REJECTS}
    assert count("events") == count("absence_weeks") == good
    assert [b["raise_signals"] for b in rows("event_batches")] == [False]


def test_a_rerun_accepts_nothing_and_counts_duplicates(tmp_path: Path, partners: Partners) -> None:
    path, good = _file(tmp_path, partners)
    import_file(path, uuid.UUID(partners.school.id), raise_signals=False)
    events_before = rows("events")

    again = import_file(path, uuid.UUID(partners.school.id), raise_signals=False)

    assert again.as_dict() == {"accepted": 0, "duplicates": good, "rejected": EXPECTED_REJECTS}
    assert rows("events") == events_before
    assert count("event_batches") == 1


def test_the_cli_prints_the_report_as_json(tmp_path: Path, partners: Partners) -> None:
    path, good = _file(tmp_path, partners)
    runner = CliRunner()

    first = runner.invoke(app, ["import", str(path), "--partner", partners.school.id, "--no-signals", "--json"])

    assert first.exit_code == 1  # some lines were rejected
    assert json.loads(first.stdout) == {"accepted": good, "duplicates": 0, "rejected": EXPECTED_REJECTS}
    second = runner.invoke(app, ["import", str(path), "--partner", partners.school.id, "--json"])
    assert json.loads(second.stdout) == {"accepted": 0, "duplicates": good, "rejected": EXPECTED_REJECTS}
    assert count("events") == good


def test_a_clean_file_exits_0_and_duplicates_within_the_file_count(tmp_path: Path, partners: Partners) -> None:
    sent = _absence(partners, WEEKS[0])
    path = tmp_path / "clean.jsonl"
    path.write_text(json.dumps(sent) + "\n" + json.dumps(sent) + "\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["import", str(path), "--partner", partners.school.id, "--no-signals"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 accepted, 1 duplicates, 0 rejected"
    assert count("events") == 1


def test_a_byte_order_mark_is_skipped_and_a_line_not_in_utf8_is_refused_alone(
    tmp_path: Path, partners: Partners
) -> None:
    # A spreadsheet export may start with a byte order mark; a line in Latin-1 must not stop the import half-way.
    first, last = _absence(partners, WEEKS[0]), _absence(partners, WEEKS[1])
    path = tmp_path / "export.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(first).encode()
        + b"\n"
        + b'{"remark": "ziek \xe9\xe9n week"}\n'
        + json.dumps(last).encode()
    )

    report = import_file(path, uuid.UUID(partners.school.id), raise_signals=False)

    assert report.as_dict() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [{"line": 2, "reasons": [{"name": "", "reason": "the line is not valid UTF-8"}]}],
    }
    assert count("events") == 2


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_line_ending_splits_lines(tmp_path: Path, partners: Partners, ending: str) -> None:
    sent = [json.dumps(_absence(partners, week)) for week in WEEKS[:2]]
    path = tmp_path / "events.jsonl"
    path.write_bytes(ending.join(sent).encode() + ending.encode())

    report = import_file(path, uuid.UUID(partners.school.id), raise_signals=False)

    assert report.as_dict() == {"accepted": 2, "duplicates": 0, "rejected": []}


def test_an_unknown_partner(tmp_path: Path, partners: Partners) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(_absence(partners, WEEKS[0])) + "\n", encoding="utf-8")
    nobody = uuid.uuid4()

    with pytest.raises(ValueError, match="no partner"):
        import_file(path, nobody)
    result = CliRunner().invoke(app, ["import", str(path), "--partner", str(nobody)])
    assert result.exit_code == 2
    assert count("events") == 0
