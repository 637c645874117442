# SPDX-License-Identifier: EUPL-1.2
"""RFC 9457 problem details: every 4xx/5xx of every service goes through here."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://glansrijk.nl/problems/"
DATABASE_RETRY_AFTER_SECONDS = 5

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class InvalidParam(dict[str, str]):
    """One failing field: `name` is a JSON pointer into the body or a query parameter's name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name=name, reason=reason)


class Problem(Exception):
    """Raise anywhere in a request to answer with problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        invalid_params: Iterable[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _default_kind(status)
        self.title = title or _TITLES.get(status, "Error")
        self.invalid_params = [dict(p) for p in invalid_params] if invalid_params is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.invalid_params is not None:
            body["invalidParams"] = self.invalid_params
        body.update(self.extra)
        return body


def _default_kind(status: int) -> str:
    return {
        400: "invalid-input",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "too-large",
        415: "unsupported-media-type",
        429: "rate-limited",
        503: "unavailable",
    }.get(status, "error")


def problem_response(problem: Problem) -> JSONResponse:
    headers = dict(problem.headers)
    if problem.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(problem.body(), status_code=problem.status, headers=headers, media_type=PROBLEM_JSON)


def bad_request(invalid_params: list[InvalidParam], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(400, detail, invalid_params=invalid_params)


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _validation_params(exc: RequestValidationError) -> list[InvalidParam]:
    params = []
    for error in exc.errors():
        location = list(error.get("loc", ()))
        where = location[0] if location else "body"
        path = location[1:]
        if where == "body":
            name = pointer(*path)
        else:
            name = str(path[0]) if path else str(where)
        params.append(InvalidParam(name, str(error.get("msg", "invalid"))))
    return params


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's 422 is replaced by the contract's 400 with every failing field.
        return problem_response(bad_request(_validation_params(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        return problem_response(Problem(exc.status_code, detail, headers=exc.headers))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", type(exc).__name__)
        return problem_response(_unavailable())

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            log.error("database connection lost")
            return problem_response(_unavailable())
        log.exception("database error")
        return problem_response(Problem(500, "An unexpected error occurred."))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(exc).__name__)
        return problem_response(Problem(500, "An unexpected error occurred."))


def _unavailable() -> Problem:
    return Problem(
        503,
        "The database is not available; try again shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )
