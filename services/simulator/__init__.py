# SPDX-License-Identifier: EUPL-1.2
"""A synthetic population of youths 12 to 26 in Dordrecht, emitted as the catalogue's CloudEvents.

`Simulation(Config(...)).events()` streams the events in order of arrival; `glansrijk simulate` writes them as
JSON Lines; `glansrijk demo` posts them through the intake API. Deterministic for a seed.
"""

from services.simulator.emit import SimEvent
from services.simulator.stream import Config, Simulation

__all__ = ["Config", "SimEvent", "Simulation"]
