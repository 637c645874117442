# SPDX-License-Identifier: EUPL-1.2
"""ASGI entry points: one service alone, or all three mounted in one process (the embedded default)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI

from services.core.dispatch import EmbeddedSchedule
from services.core.http import ServiceApi, create_app
from services.core.settings import get_settings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

ServiceName = Literal["all", "intake", "signals", "reporting"]
SERVICE_NAMES: tuple[str, ...] = ("intake", "signals", "reporting")


def _service(name: str) -> ServiceApi:
    module = importlib.import_module(f"services.{name}.api")
    service: ServiceApi = module.SERVICE
    return service


def build_app(which: ServiceName = "all") -> FastAPI:
    names = SERVICE_NAMES if which == "all" else (which,)
    if which == "all":
        # Embedded mode runs the worker's tasks in-process: register them with the Celery app.
        importlib.import_module("services.core.celery_app").celery_app.loader.import_default_modules()
    return create_app([_service(name) for name in names])


def all_services() -> FastAPI:
    """`uvicorn --factory services.app:all_services` (`glansrijk serve all`). In the embedded default there is
    no beat: this process sends the periodic tasks to its own in-process thread while it serves."""
    app = build_app("all")
    if get_settings().embedded:
        app.router.lifespan_context = _with_schedule(app.router.lifespan_context)
    return app


def _with_schedule(lifespan: Lifespan) -> Lifespan:
    from services.core.celery_app import EMBEDDED_SCHEDULE

    @asynccontextmanager
    async def scheduled(app: FastAPI) -> AsyncIterator[Any]:
        schedule = EmbeddedSchedule(EMBEDDED_SCHEDULE)
        schedule.start()
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            schedule.stop()

    return scheduled


def intake() -> FastAPI:
    return build_app("intake")


def signals() -> FastAPI:
    return build_app("signals")


def reporting() -> FastAPI:
    return build_app("reporting")
