# SPDX-License-Identifier: EUPL-1.2
"""`/indicators` (the catalogue), `/indicators/{code}/observations` and `/groups`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.core.clock import today
from services.core.dependencies import ReadSession
from services.core.problems import InvalidParam, Problem
from services.core.settings import get_settings
from services.reporting import service
from services.reporting.catalogue import BY_CODE, INDICATORS, Indicator, target_of
from services.reporting.dependencies import (
    Reader,
    parse_by,
    parse_date,
    parse_month_end,
    parse_period_kind,
    raise_if,
)
from services.reporting.periods import period_containing
from services.reporting.schemas import IndicatorList, IndicatorRead, TextRead
from services.reporting.tables import table_response

router = APIRouter(tags=["indicators"])
OptionalText = Annotated[str | None, Query()]


def indicator_read(indicator: Indicator) -> IndicatorRead:
    return IndicatorRead(
        code=indicator.code,
        title=TextRead(nl=indicator.title.nl, en=indicator.title.en),
        description=TextRead(nl=indicator.description.nl, en=indicator.description.en),
        level=indicator.level,
        unit=indicator.unit,
        numerator=TextRead(nl=indicator.numerator.nl, en=indicator.numerator.en),
        denominator=TextRead(nl=indicator.denominator.nl, en=indicator.denominator.en)
        if indicator.denominator
        else None,
        dimensions=list(indicator.dimensions),
        target=target_of(indicator, get_settings().reporting_targets),
        periods=list(indicator.period_kinds),
    )


@router.get("/indicators", summary="The indicator catalogue", response_model=IndicatorList)
def list_indicators(_caller: Reader) -> JSONResponse:
    body = IndicatorList(items=[indicator_read(i) for i in INDICATORS])
    return JSONResponse(body.model_dump(mode="json", by_alias=True))


def observation_columns(by: list[str]) -> list[str]:
    return ["period", "periodStart", *by, "value", "numerator", "denominator", "suppressed"]


@router.get(
    "/indicators/{code}/observations",
    summary="Observations of one indicator per whole period, by fixed dimension bands (JSON or CSV)",
)
def observations(
    code: str,
    request: Request,
    session: ReadSession,
    _caller: Reader,
    period: OptionalText = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: OptionalText = None,
    by: OptionalText = None,
) -> Response:
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise Problem(404, f"No indicator {code!r}.")
    errors: list[InvalidParam] = []
    kind = parse_period_kind(period, indicator, errors)
    first, last = parse_date("from", from_, errors), parse_date("to", to, errors)
    dims = parse_by(by, indicator.dimensions, errors)
    if first and last and first > last:
        errors.append(InvalidParam("from", "Must not be after `to`."))
    raise_if(errors)
    assert kind is not None
    day = today()
    last = last or day
    first = first or period_containing(kind, date(last.year - 3, last.month, 1)).start
    rows = service.observations(session, indicator, kind, first, last, dims, day)
    items: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {"period": row.period.code, "periodStart": row.period.start.isoformat()}
        item.update(zip(dims, row.key, strict=True))
        item.update(value=row.value, numerator=row.numerator, denominator=row.denominator, suppressed=row.suppressed)
        items.append(item)
    return table_response(request, observation_columns(dims), items)


@router.get("/groups", summary="Youths per group on a month-end date (JSON or CSV)", tags=["groups"])
def groups(
    request: Request,
    session: ReadSession,
    _caller: Reader,
    date: OptionalText = None,
    by: OptionalText = None,
) -> Response:
    errors: list[InvalidParam] = []
    day = parse_month_end("date", date, errors)
    dims = parse_by(by, ("district", "ageBand", "sector"), errors)
    raise_if(errors)
    assert day is not None
    if day >= today() or day not in service.queries.computed_month_ends(session, [day]):
        raise_if([InvalidParam("date", "No groups for this date yet: a month-end that has passed and is computed.")])
    items = []
    for key, cell in service.groups(session, day, dims):
        item: dict[str, Any] = {"date": day.isoformat(), "group": key[0]}
        item.update(zip(dims, key[1:], strict=True))
        item.update(value=cell.value, suppressed=cell.suppressed)
        items.append(item)
    return table_response(request, ["date", "group", *dims, "value", "suppressed"], items)
