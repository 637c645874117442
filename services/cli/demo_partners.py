# SPDX-License-Identifier: EUPL-1.2
"""The demo's partner organisations: those of the simulator (invented names, fake OINs, made-up BRINs)."""

from __future__ import annotations

from services.simulator.partners import MBO_BRIN, PARTNER_BY_HANDLE, PARTNERS, VO_BRIN, SimPartner

DemoPartner = SimPartner

__all__ = ["MBO_BRIN", "PARTNERS", "PARTNER_BY_HANDLE", "VO_BRIN", "DemoPartner"]
