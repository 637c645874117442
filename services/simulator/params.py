# SPDX-License-Identifier: EUPL-1.2
"""The simulator's data file (`data/calibration.json`): calibration targets with sources, model assumptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast


@dataclass(frozen=True)
class Target:
    code: str
    title: str
    value: float
    unit: str
    tolerance: float
    source: str
    url: str


def _load() -> dict[str, Any]:
    text = resources.files("services.simulator").joinpath("data/calibration.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    return _load()


def assumptions() -> dict[str, Any]:
    return cast(dict[str, Any], data()["assumptions"])


def targets() -> list[Target]:
    return [
        Target(
            code=t["code"],
            title=t["title"],
            value=float(t["value"]),
            unit=t["unit"],
            tolerance=float(t["tolerance"]),
            source=f"{t['source']['publisher']}: {t['source']['title']}",
            url=t["source"]["url"],
        )
        for t in data()["targets"]
    ]


def districts() -> tuple[list[str], list[float]]:
    codes: dict[str, float] = data()["districts"]["codes"]
    return list(codes), [float(w) for w in codes.values()]


@lru_cache(maxsize=256)
def weekly(annual: float) -> float:
    """The weekly hazard of an annual probability (52 weeks)."""
    return 1.0 - (1.0 - annual) ** (1 / 52)
