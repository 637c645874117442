# SPDX-License-Identifier: EUPL-1.2
"""Disclosure control: small counts suppressed, and every attempt to recover one from totals or from other
breakdowns fails. Defaults: k = 10, rounding base 5."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from services.reporting.disclosure import Cell, Policy, control, with_totals
from tests.factories import TestPartner
from tests.reporting.support import BASE, ReportWorld, cell

JAN = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}


def _population(world: ReportWorld) -> None:
    """Thuiszitters (14, never enrolled: absolute absence): 12 in WK050501, 3 in WK050502, 11 in WK050503;
    and 4 working 20-year-olds in WK050504."""
    for district, count in (("WK050501", 12), ("WK050502", 3), ("WK050503", 11)):
        for _ in range(count):
            world.resident(date(2011, 6, 1), district=district)
    for _ in range(4):
        world.resident(date(2005, 6, 1), district="WK050504").job(date(2025, 1, 1))
    world.refresh(date(2026, 2, 1), date(2026, 1, 31))


def test_a_small_count_cannot_be_recovered(world: ReportWorld, reader: TestPartner) -> None:
    _population(world)
    by_district = world.observations(reader, "thuiszitters", **JAN, by="district")
    published = {r["district"]: r["value"] for r in by_district}
    # 3 is below k: suppressed. Alone it would follow from the total, so the cell with the smallest unrounded
    # count goes too: WK050504 with 0 (interface.md takes the smallest count, zero included). The rest is
    # rounded to 5: 26 -> 25, 12 -> 10, 11 -> 10. The districts are every district the cube knows, and
    # `unknown`, in every request, so the choice never depends on the question asked.
    assert published == {
        "T001": 25,
        "WK050501": 10,
        "WK050502": None,
        "WK050503": 10,
        "WK050504": None,  # 0, like `unknown`; the lower code of the two is chosen
        "unknown": 0,
    }
    assert cell(by_district, district="WK050502")["suppressed"] is True
    # From the total: 25 - 10 - 10 leaves two unknown cells, not one; and with the rounding (26 in 23..27, each
    # 10 in 8..12) the hidden pair sums to anything from -1 to 11.
    hidden = [d for d, v in published.items() if v is None]
    assert len(hidden) == 2
    # From other breakdowns: all of them are 14 and not enrolled, so those give the total again, nothing more.
    for by, codes in (("ageBand", {"12-15": 25}), ("sector", {"none": 25})):
        rows = world.observations(reader, "thuiszitters", **JAN, by=by)
        shown = {r[by]: r["value"] for r in rows if r["value"]}
        assert shown == {"T001": 25, **codes}
    # Crossed with the age band the district totals are the same cells with the same values.
    crossed = world.observations(reader, "thuiszitters", **JAN, by="district,ageBand")
    for row in crossed:
        if row["ageBand"] == "T001":
            assert row["value"] == published[row["district"]]
    inner = {r["district"]: r["value"] for r in crossed if r["ageBand"] == "12-15"}
    assert inner["WK050502"] is None  # and its column (the 12-15 line) hides a second cell too
    assert sum(1 for r in crossed if r["ageBand"] == "12-15" and r["district"] != "T001" and r["suppressed"]) >= 2
    # Asked again, the same cell has the same value; and so in the OData feed and in a measurement.
    assert world.observations(reader, "thuiszitters", **JAN, by="district") == by_district
    feed = world.client.get(
        f"{BASE}/odata/Observations",
        params={"$filter": "Measure eq 'thuiszitters' and Period eq '2026MM01' and AgeBand eq 'T001' and "
                "Sector eq 'T001' and Group eq 'T001'"},
        headers=reader.headers,
    ).json()["value"]  # fmt: skip
    assert {r["District"]: r["Value"] for r in feed} == {
        k: None if v is None else float(v) for k, v in published.items()
    }
    taken = world.client.post(
        f"{BASE}/measurements", json={"label": "0-meting", "date": "2026-01-31"}, headers=reader.headers
    )
    frozen = world.client.get(taken.headers["location"], headers=reader.headers).json()["items"]
    stored = {
        v["dimensionValue"]: v["value"]
        for v in frozen
        if v["measure"] == "thuiszitters" and v["dimension"] in ("total", "district")
    }
    assert stored == published


def test_a_ratio_with_a_small_denominator_is_suppressed_with_its_parts(world: ReportWorld, reader: TestPartner) -> None:
    _population(world)
    rows = world.observations(reader, "participation-rate", **JAN, by="district")
    # Only the four 20-year-olds (all in WK050504) are aged 16 to 26: a denominator of 4 is below k, there and
    # in the total. The other districts have nobody aged 16 to 26: no value, and nothing to hide.
    shown = {r["district"]: (r["value"], r["numerator"], r["denominator"], r["suppressed"]) for r in rows}
    assert shown == {
        "T001": (None, None, None, True),
        "WK050501": (None, 0, 0, False),
        "WK050502": (None, 0, 0, False),
        "WK050503": (None, 0, 0, False),
        "WK050504": (None, None, None, True),
        "unknown": (None, 0, 0, False),
    }


def _lines(keys: list[tuple[str, ...]], width: int) -> list[list[tuple[str, ...]]]:
    lines: dict[tuple[int, tuple[str, ...]], list[tuple[str, ...]]] = {}
    for key in keys:
        for i in range(width):
            lines.setdefault((i, key[:i] + key[i + 1 :]), []).append(key)
    return list(lines.values())


def test_no_line_of_any_breakdown_has_exactly_one_hidden_cell() -> None:
    """Random two-dimensional breakdowns with small counts: after control, every row and column (with its
    total) hides either nothing or at least two cells, so no hidden cell is its total minus the others."""
    rng = random.Random(20261201)
    for _ in range(300):
        rows, columns = rng.randint(1, 5), rng.randint(1, 5)
        fine = {
            (f"r{r}", f"c{c}"): Cell(rng.choice([0, 1, 2, 5, 9, 10, 11, 30, 100]))
            for r in range(rows)
            for c in range(columns)
        }
        cells = with_totals(fine, 2)
        published: dict[Any, Any] = control(cells, Policy(10, 5, "count"))
        for line in _lines(list(cells), 2):
            hidden = [key for key in line if published[key].suppressed]
            assert len(hidden) != 1, (fine, line)
        for key, value in published.items():
            count = cells[key].numerator
            if 1 <= count <= 9:
                assert value.suppressed
            if not value.suppressed:
                assert value.value % 5 == 0


def test_no_line_of_a_ratio_breakdown_has_exactly_one_hidden_cell() -> None:
    """The same for percentages (populations from 3 to 200); and a ratio over nobody has no value and is not
    hidden (ADR 0021)."""
    rng = random.Random(20261202)
    for _ in range(300):
        rows, columns = rng.randint(1, 5), rng.randint(1, 5)
        fine = {}
        for r in range(rows):
            for c in range(columns):
                population = rng.choice([3, 9, 10, 12, 40, 200])
                fine[(f"r{r}", f"c{c}")] = Cell(rng.randint(0, population), population)
        cells = with_totals(fine, 2)
        published: dict[Any, Any] = control(cells, Policy(10, 5, "percentage"))
        for line in _lines(list(cells), 2):
            hidden = [key for key in line if published[key].suppressed]
            assert len(hidden) != 1, (fine, line)
        for key, value in published.items():
            cell = cells[key]
            if 0 < (cell.denominator or 0) < 10 or 1 <= cell.numerator <= 9:
                assert value.suppressed and value.numerator is None and value.denominator is None
    nobody = control(with_totals({("a",): Cell(0, 0), ("b",): Cell(30, 40)}, 1), Policy(10, 5, "percentage"))
    assert (nobody[("a",)].value, nobody[("a",)].denominator, nobody[("a",)].suppressed) == (None, 0, False)
    assert nobody[("b",)].value == 75.0 and nobody[("T001",)].value == 75.0
    # Signals of youths outside the denominator (a rate's numerator without a population) are still counted.
    stray = control(with_totals({("a",): Cell(3, 0), ("b",): Cell(30, 400)}, 1), Policy(10, 5, "per-1000"))
    assert stray[("a",)].suppressed and stray[("a",)].numerator is None
