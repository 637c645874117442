# SPDX-License-Identifier: EUPL-1.2
"""The OData v4 feed: service document, `$metadata` (CSDL), `Observations` and the code lists.

Errors here use the OData JSON error format `{"error": {"code", "message"}}`; every answer carries
`OData-Version: 4.0`. BI tools that cannot send a bearer token use HTTP Basic (user: key id, password: key).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from services.core.auth import authenticate, require_scope
from services.core.clock import today
from services.core.db import session_factory
from services.core.problems import Problem
from services.core.scopes import Scope
from services.reporting import odata
from services.reporting.odata_query import ODataQueryError, make_token, parse

router = APIRouter(prefix="/odata", tags=["odata"])
HEADERS = {"OData-Version": "4.0"}
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true"
MAX_PAGE = 1000
CHALLENGE = 'Bearer, Basic realm="Glansrijk reporting"'


def _error(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> JSONResponse:
    headers = {**HEADERS, **(extra or {})}
    if status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _page_size(request: Request) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("prefer", ""))
    return max(1, min(int(match.group(1)), MAX_PAGE)) if match else MAX_PAGE


def _answer(request: Request, entity_set: str | None) -> Response:
    with session_factory(read_only=True)() as session:
        try:
            caller = authenticate(request, session, touch=False, basic=True)
            require_scope(caller, Scope.REPORTING_READ)
        except Problem as problem:
            code = {401: "Unauthorized", 429: "TooManyRequests"}.get(problem.status, "Forbidden")
            return _error(problem.status, code, problem.detail, problem.headers)
        base = str(request.url_for("odata_service_document"))
        if entity_set is None:
            sets = [{"name": n, "kind": "EntitySet", "url": n} for n in odata.entity_sets()]
            return JSONResponse({"@odata.context": f"{base}/$metadata", "value": sets}, headers=HEADERS)
        if entity_set == "$metadata":
            return Response(odata.metadata_xml(), media_type="application/xml", headers=HEADERS)
        if entity_set not in odata.entity_sets():
            return _error(404, "NotFound", f"No entity set {entity_set}.")
        try:
            query = parse(dict(request.query_params))
        except ODataQueryError as exc:
            return _error(exc.status, "BadRequest" if exc.status == 400 else "NotImplemented", str(exc))
        body: dict[str, Any] = {"@odata.context": f"{base}/$metadata#{entity_set}"}
        day = today()
        if entity_set != "Observations":
            rows = [r for r in odata.code_list(session, entity_set, day) if query.matches_any(r)]
            body["value"] = odata.select(rows, query.select)
            return JSONResponse(body, headers=HEADERS, media_type=JSON_TYPE)
        size = _page_size(request)
        rows, position, total = odata.page(session, query, day, size)
        if total is not None:
            body["@odata.count"] = total
        body["value"] = odata.select(rows, query.select)
        if position is not None:
            remaining = None if query.top is None else query.top - len(rows)
            keep = {k: v for k, v in request.query_params.items() if k in ("$filter", "$select")}
            keep["$skiptoken"] = make_token(position[0], position[1], remaining)
            body["@odata.nextLink"] = str(request.url.replace_query_params(**keep))
        headers = dict(HEADERS)
        if size != MAX_PAGE:
            headers["Preference-Applied"] = f"odata.maxpagesize={size}"
        return JSONResponse(body, headers=headers, media_type=JSON_TYPE)


@router.get("", name="odata_service_document", summary="OData service document")
async def service_document(request: Request) -> Response:
    return await run_in_threadpool(_answer, request, None)


@router.get("/{entity_set}", summary="OData $metadata (CSDL), Observations and code lists")
async def entity_set(entity_set: str, request: Request) -> Response:
    return await run_in_threadpool(_answer, request, entity_set)
