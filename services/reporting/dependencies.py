# SPDX-License-Identifier: EUPL-1.2
"""Reporting request dependencies: the caller checked through the read-only session, and query parsing.

The whole service reads through `ReadSession` (a transaction the database keeps read-only); only taking a
measurement writes, and only its own tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, Request

from services.core.auth import Caller, authenticate, require_scope
from services.core.dependencies import ReadSession
from services.core.problems import InvalidParam, bad_request
from services.core.scopes import Scope
from services.reporting.catalogue import Indicator
from services.reporting.periods import PERIOD_KINDS, PeriodKind, month_end


def reporting_caller(request: Request, session: ReadSession) -> Caller:
    return authenticate(request, session, touch=False)


def _caller_with(scope: Scope) -> Callable[[Caller], Caller]:
    def dependency(caller: Caller = Depends(reporting_caller)) -> Caller:
        require_scope(caller, scope)
        return caller

    dependency.__name__ = f"reporting_caller_with_{scope.name.lower()}"
    return dependency


Reader = Annotated[Caller, Depends(_caller_with(Scope.REPORTING_READ))]
Manager = Annotated[Caller, Depends(_caller_with(Scope.REPORTING_MANAGE))]


def parse_date(name: str, raw: str | None, errors: list[InvalidParam]) -> date | None:
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(InvalidParam(name, "A date YYYY-MM-DD."))
        return None


def parse_month_end(name: str, raw: str | None, errors: list[InvalidParam]) -> date | None:
    if raw is None:
        errors.append(InvalidParam(name, "Required: a month-end date YYYY-MM-DD."))
        return None
    day = parse_date(name, raw, errors)
    if day is not None and day != month_end(day.year, day.month):
        errors.append(InvalidParam(name, "Must be the last day of a month."))
        return None
    return day


def parse_by(raw: str | None, allowed: tuple[str, ...], errors: list[InvalidParam]) -> list[str]:
    """`by=district,ageBand`: dimension names, each at most once, among the indicator's."""
    if raw is None or raw == "":
        return []
    names = [part.strip() for part in raw.split(",")]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        errors.append(InvalidParam("by", f"Unknown dimension(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}."))
        return []
    if len(set(names)) != len(names):
        errors.append(InvalidParam("by", "A dimension may appear only once."))
        return []
    return names


def parse_period_kind(raw: str | None, indicator: Indicator, errors: list[InvalidParam]) -> PeriodKind | None:
    if raw is None:
        errors.append(InvalidParam("period", f"Required: one of {', '.join(PERIOD_KINDS)}."))
        return None
    if raw not in indicator.period_kinds:
        errors.append(InvalidParam("period", f"One of {', '.join(indicator.period_kinds)} for this indicator."))
        return None
    return raw


def raise_if(errors: list[InvalidParam]) -> None:
    if errors:
        raise bad_request(errors)
