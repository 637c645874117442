# SPDX-License-Identifier: EUPL-1.2
"""The application factory: each service under its own base path, alone or all three in one process."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import __version__
from services.core.db import dispose_async_engine, get_engine
from services.core.problems import PROBLEM_JSON, Problem, install_problem_handlers, problem_response

log = logging.getLogger(__name__)

API_VERSION = __version__
CONTACT = {
    "name": "Glansrijk maintainers",
    "url": "https://github.com/glansrijk/glansrijk",
    "email": "glansrijk@dordrecht.nl",
}
SECURITY_HEADERS = [
    (b"api-version", API_VERSION.encode()),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
]
# Swagger UI needs its scripts and styles; everything else keeps the strict policy above.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    b"frame-ancestors 'none'"
)


class ResponseHeadersMiddleware:
    """Adds the contract's headers to every response (pure ASGI: no per-request task or body copy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].endswith("/docs")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                for name, value in SECURITY_HEADERS:
                    if name == b"content-security-policy" and is_docs:
                        value = DOCS_CSP
                    headers.append((name, value))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Unexpected errors would otherwise be answered by Starlette's outermost middleware, without the
            # contract's headers. Answer them here: a problem+json 500, never a stack trace.
            if started:
                raise
            log.exception("unexpected error: %s", type(exc).__name__)
            await problem_response(Problem(500, "An unexpected error occurred."))(scope, receive, send_with_headers)


@dataclass
class ServiceApi:
    """One service's public surface: its base path, router and OpenAPI description."""

    name: str
    prefix: str
    title: str
    description: str
    router: APIRouter
    tags: list[dict[str, str]] = field(default_factory=list)
    _openapi: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            schema = get_openapi(
                title=self.title,
                version=API_VERSION,
                description=self.description,
                routes=self.router.routes,
                contact=CONTACT,
                license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
                tags=self.tags or None,
            )
            self._openapi = _document_problems(schema)
        return self._openapi


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
_PROBLEM_DESCRIPTIONS = {
    "400": "Invalid input: every failing field in `invalidParams`.",
    "401": "No, unknown, revoked or expired API key.",
    "403": "The key lacks the scope of this endpoint.",
    "404": "Not found, or not visible to the caller.",
    "429": "The key's requests per minute are used up; retry after `Retry-After` seconds.",
    "503": "The database is unavailable; retry after `Retry-After` seconds.",
}


# Every call but `health` and `openapi.json` takes `Authorization: Bearer <api-key>` (or, in the OAuth2
# resource-server mode, a JWT access token); the OData feed also takes HTTP Basic for BI tools (spec/interface.md).
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API key, or an access token (OAuth2 mode)."},
    "basic": {"type": "http", "scheme": "basic", "description": "OData only: user = key id, password = key."},
}
# The OData feed answers errors in the OData JSON format, not as problems (spec/interface.md).
ODATA_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_ODATA_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"basic": []}]


def _document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's 422 by the contract's 400 and document the problem answers every endpoint has."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    problem_ref = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    odata_error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ODataError"}}}}
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in schema.get("paths", {}).items():
        public = path.endswith(("/health", "/openapi.json"))
        odata = "/odata" in path
        if odata:
            schemas["ODataError"] = ODATA_ERROR_SCHEMA
        error_ref = odata_error_ref if odata else problem_ref
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            codes = ["503"] if public else ["400", "401", "403", "404", "429", "503"]
            for code in codes:
                responses.setdefault(code, {"description": _PROBLEM_DESCRIPTIONS[code], **error_ref})
            for code, response in responses.items():
                if code[0] in "45":  # an endpoint's own 4xx (e.g. intake's 413, 415) has the same body
                    response.setdefault("content", error_ref["content"])
            if not public:
                operation["security"] = _ODATA_SECURITY if odata else _SECURITY
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    return schema


def _add_service_meta_routes(app: FastAPI, service: ServiceApi) -> None:
    @app.get(f"{service.prefix}/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(service.openapi(), headers={"Access-Control-Allow-Origin": "*"})

    @app.get(f"{service.prefix}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=f"{service.prefix}/openapi.json", title=service.title)


def health_router() -> APIRouter:
    """`GET {base}/health`, included by each service's router."""
    router = APIRouter()

    @router.get("/health", tags=["operations"], summary="Whether the service and its database answer")
    def health() -> JSONResponse:
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.error("health check: database unavailable (%s)", type(exc).__name__)
            return problem_response(Problem(503, "The database does not answer.", headers={"Retry-After": "5"}))
        return JSONResponse({"status": "ok"})

    return router


_gc_frozen = False
GC_THRESHOLDS = (10_000, 50, 100)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """At startup, once per process: everything imported and built so far (modules, models, routes) moves out
    of the collector's reach, so a full collection during a request no longer walks it all. At shutdown the
    event loop engine's connections are closed on the loop they belong to."""
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.collect()
        gc.freeze()
        # A request allocates thousands of short-lived objects (a 1000-event batch: parsed JSON, models, rows);
        # with the default threshold of 700 the collector ran many times per batch (about 7 ms of each, measured
        # by bench.intake). A higher first threshold lets it run less often at the cost of a little memory.
        gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])
    yield
    await dispose_async_engine()


def create_app(services: list[ServiceApi]) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="Glansrijk",
        version=API_VERSION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    for service in services:
        _add_service_meta_routes(app, service)
        app.include_router(service.router)
    app.add_middleware(ResponseHeadersMiddleware)
    return app
