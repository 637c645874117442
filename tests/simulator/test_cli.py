# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk simulate` writes JSON Lines that `glansrijk import` loads through the intake checks (real Postgres)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from services.cli.main import app
from services.core.db import get_engine
from services.core.models import Event
from services.simulator.partners import PARTNERS

runner = CliRunner()


def test_simulate_writes_files_per_partner_that_import_without_a_reject(tmp_path: Path) -> None:
    out = tmp_path / "sim.jsonl"
    args = ["simulate", "--youths", "120", "--start", "2025-09-01", "--months", "2", "--seed", "4"]
    result = runner.invoke(app, [*args, "--out", str(out), "--per-partner", "--check"])
    assert result.exit_code == 0, result.output
    assert "calibration target" in result.output and "neet-rate" in result.output
    files = {p.handle: out.with_suffix(f".{p.handle}.jsonl") for p in PARTNERS}
    present = {handle: path for handle, path in files.items() if path.exists()}
    assert {"municipality", "vo", "mbo"} <= set(present)

    total = 0
    for partner in PARTNERS:
        roles = ",".join(r.value for r in partner.roles)
        extra = ["--brin", ",".join(partner.brins)] if partner.brins else []
        added = runner.invoke(
            app, ["partners", "add", "--name", partner.name, "--roles", roles, "--oin", partner.oin, *extra, "--json"]
        )
        assert added.exit_code == 0, added.output
        path = present.get(partner.handle)
        if path is None:
            continue
        lines = path.read_text().count("\n")
        total += lines
        partner_id = json.loads(added.stdout)["id"]
        loaded = runner.invoke(app, ["import", str(path), "--partner", partner_id, "--no-signals", "--json"])
        assert loaded.exit_code == 0, loaded.output
        report = json.loads(loaded.stdout.splitlines()[0])
        assert (report["accepted"], report["duplicates"], report["rejected"]) == (lines, 0, [])
    with get_engine().connect() as connection:
        assert connection.execute(select(func.count()).select_from(Event)).scalar_one() == total


def test_simulate_is_byte_for_byte_the_same_for_a_seed(tmp_path: Path) -> None:
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        args = ["simulate", "--youths", "80", "--start", "2026-01-05", "--months", "1", "--seed", "9"]
        result = runner.invoke(app, [*args, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") > 80
