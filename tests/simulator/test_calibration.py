# SPDX-License-Identifier: EUPL-1.2
"""The calibrated rates of a few thousand simulated youths land within the stated tolerance of their targets.

How the tolerance is chosen: each target in `services/simulator/data/calibration.json` states a tolerance for a
full-size population (the model's systematic error: how close we claim the model is). A small test population
adds sampling noise, a binomial standard error sqrt(p(1-p)/n) on the target's share p over the n youths behind
the rate (annualised rates scaled alike). The check allows the larger of the stated tolerance and 4 standard
errors at the test's size: a model that is right would fail by chance with a probability under 1 in 10,000 per
rate. At 3,000 youths over 12 months that is, for example, +-1.6 points on a 4% NEET rate (n about 2,300) and
+-3.6 points on 10% youth care (n about 1,100); with 100,000 youths it is the stated tolerance everywhere.
The run is deterministic for its seed, so the test is too.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import date

from services.simulator import Config, Simulation
from services.simulator.calibration import check, table
from services.simulator.params import targets


def test_simulated_rates_land_within_tolerance_of_the_public_figures() -> None:
    simulation = Simulation(Config(youths=3000, start=date(2025, 9, 1), months=12, seed=2026))
    deque(simulation.events(), maxlen=0)  # run the simulation through; the test reads what it counted
    rows = check(simulation.stats)
    assert [row.target.code for row in rows] == [t.code for t in targets()]
    for row in rows:
        assert row.size > 500, row  # enough youths behind every rate
        assert row.allowed >= row.target.tolerance
        assert row.ok, table(rows)


def test_every_target_names_its_source() -> None:
    for target in targets():
        assert target.url.startswith("https://"), target
        assert target.source and target.value > 0 and target.tolerance > 0
        assert target.unit in ("percent", "per-1000")


def test_the_allowance_widens_only_for_small_populations() -> None:
    small = Simulation(Config(youths=300, start=date(2025, 9, 1), months=3, seed=1))
    deque(small.events(), maxlen=0)  # run the simulation through; the test reads what it counted
    rows = check(small.stats)
    neet = next(row for row in rows if row.target.code == "neet-rate")
    p = neet.target.value / 100
    assert math.isclose(neet.standard_error, 100 * math.sqrt(p * (1 - p) / neet.size))
    assert neet.allowed > neet.target.tolerance
