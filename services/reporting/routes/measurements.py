# SPDX-License-Identifier: EUPL-1.2
"""`/measurements`: freeze every indicator at a month-end (the 0-meting), list, read and compare them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from services.core.clock import today
from services.core.dependencies import DbSession, ReadSession
from services.core.problems import InvalidParam, Problem, bad_request, pointer
from services.reporting import measurements, queries, queries_measurements
from services.reporting.dependencies import Manager, Reader
from services.reporting.periods import month_end
from services.reporting.schemas import MeasurementCreate, MeasurementList, MeasurementRead
from services.reporting.tables import table_response, wants_csv

router = APIRouter(tags=["measurements"])
PREFIX = "/reporting/v1"
VALUE_COLUMNS = [
    "measure",
    "period",
    "periodStart",
    "dimension",
    "dimensionValue",
    "value",
    "numerator",
    "denominator",
    "suppressed",
]
COMPARISON_COLUMNS = [
    "measure",
    "periodType",
    "dimension",
    "dimensionValue",
    "period",
    "againstPeriod",
    "value",
    "againstValue",
    "difference",
]


def _read(row: Any) -> MeasurementRead:
    m = row[0]
    return MeasurementRead(id=m.id, label=m.label, date=m.date, created_at=m.created_at, values=row.n)


def _measurement_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Problem(404, "No such measurement.") from None


@router.post("/measurements", status_code=201, summary="Freeze every indicator at a month-end date")
async def take_measurement(request: Request, session: DbSession, caller: Manager) -> JSONResponse:
    try:
        body = MeasurementCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise bad_request([InvalidParam(pointer(*e["loc"]), e["msg"]) for e in exc.errors()]) from None
    day, now = body.date, today()
    if day != month_end(day.year, day.month):
        raise bad_request([InvalidParam("/date", "Must be the last day of a month.")])
    if day >= now or day not in queries.computed_month_ends(session, [day]):
        raise bad_request([InvalidParam("/date", "A month-end that has passed and whose snapshot is computed.")])
    measurement_id = measurements.take(session, body.label, day, caller.partner_id, now)
    read = _read(queries_measurements.listing(session, measurement_id)[0])
    return JSONResponse(
        read.model_dump(mode="json", by_alias=True),
        status_code=201,
        headers={"Location": f"{PREFIX}/measurements/{measurement_id}"},
    )


@router.get("/measurements", summary="The measurements taken", response_model=MeasurementList)
def list_measurements(session: ReadSession, _caller: Reader) -> JSONResponse:
    body = MeasurementList(items=[_read(row) for row in queries_measurements.listing(session)])
    return JSONResponse(body.model_dump(mode="json", by_alias=True))


@router.get("/measurements/{measurement_id}", summary="One measurement with its frozen values (JSON or CSV)")
def read_measurement(measurement_id: str, request: Request, session: ReadSession, _caller: Reader) -> Response:
    found = queries_measurements.listing(session, _measurement_id(measurement_id))
    if not found:
        raise Problem(404, "No such measurement.")
    items = [
        {
            "measure": v["measure"],
            "period": v["period"],
            "periodStart": v["period_start"].isoformat(),
            "dimension": v["dimension"],
            "dimensionValue": v["dimension_value"],
            "value": v["value"],
            "numerator": v["numerator"],
            "denominator": v["denominator"],
            "suppressed": v["suppressed"],
        }
        for v in measurements.stored(session, found[0][0].id)
    ]
    if wants_csv(request):
        return table_response(request, VALUE_COLUMNS, items)
    header = _read(found[0]).model_dump(mode="json", by_alias=True)
    return JSONResponse({**header, "items": items})


@router.get(
    "/measurements/{measurement_id}/comparison",
    summary="Values and differences against another measurement or the data now (JSON or CSV)",
)
def compare(
    measurement_id: str,
    request: Request,
    session: ReadSession,
    _caller: Reader,
    against: Annotated[str | None, Query(description="Another measurement's id, or `current`.")] = None,
) -> Response:
    found = queries_measurements.listing(session, _measurement_id(measurement_id))
    if not found:
        raise Problem(404, "No such measurement.")
    mine = found[0][0]
    if against is None:
        raise bad_request([InvalidParam("against", "Required: a measurement id or `current`.")])
    if against == "current":
        theirs = measurements.frozen_values(session, mine.date, today())
    else:
        try:
            other = queries_measurements.listing(session, uuid.UUID(against))
        except ValueError:
            other = []
        if not other:
            raise bad_request([InvalidParam("against", "No such measurement; an id or `current`.")])
        theirs = measurements.stored(session, other[0][0].id)
    rows = measurements.compare(measurements.stored(session, mine.id), theirs)
    return table_response(request, COMPARISON_COLUMNS, rows)
