# SPDX-License-Identifier: EUPL-1.2
"""Admission control: requests beyond the database slots wait their turn, or get 503 with Retry-After once
they have waited too long (ADR 0032). The intake under overload: tests/intake/test_concurrency.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from services.core.dependencies import DbSession, ReadSession
from services.core.http import ServiceApi, create_app
from services.core.settings import reset_settings

HOLD_SECONDS = 0.4


def _probe_app() -> Any:
    router = APIRouter(prefix="/probe/v1")

    @router.get("/hold")
    async def hold(session: DbSession) -> dict[str, int]:
        # Uses its connection, then keeps its slot a while, as a long request does.
        value = await run_in_threadpool(lambda: session.execute(text("SELECT 1")).scalar_one())
        await asyncio.sleep(HOLD_SECONDS)
        return {"value": value}

    @router.get("/both")
    def both(write: DbSession, read: ReadSession) -> dict[str, int]:
        return {"value": write.execute(text("SELECT 1")).scalar_one() + read.execute(text("SELECT 1")).scalar_one()}

    service = ServiceApi(name="probe", prefix="/probe/v1", title="probe", description="probe", router=router)
    return create_app([service])


async def _get_together(app: Any, paths: list[str], stagger: float = 0.05) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:

        async def get(position: int, path: str) -> httpx.Response:
            await asyncio.sleep(position * stagger)
            return await client.get(path)

        return list(await asyncio.gather(*(get(n, path) for n, path in enumerate(paths))))


def test_a_request_beyond_the_slots_waits_for_one(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_API_DATABASE_SESSIONS", "1")
    settings_env.setenv("GLANSRIJK_DATABASE_WAIT_SECONDS", "5")
    reset_settings()
    first, second = asyncio.run(_get_together(_probe_app(), ["/probe/v1/hold", "/probe/v1/hold"]))
    assert [first.status_code, second.status_code] == [200, 200]


def test_a_request_that_waited_too_long_gets_503_with_retry_after(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_API_DATABASE_SESSIONS", "1")
    settings_env.setenv("GLANSRIJK_DATABASE_WAIT_SECONDS", "0.1")
    reset_settings()
    first, second = asyncio.run(_get_together(_probe_app(), ["/probe/v1/hold", "/probe/v1/hold"]))
    assert first.status_code == 200
    assert second.status_code == 503
    assert second.headers["content-type"] == "application/problem+json"
    assert second.headers["retry-after"] == "1"
    assert second.json()["detail"] == "The service is busy; try again shortly."


def test_a_request_with_a_read_and_a_write_session_takes_one_slot(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_API_DATABASE_SESSIONS", "1")
    settings_env.setenv("GLANSRIJK_DATABASE_WAIT_SECONDS", "0.5")
    reset_settings()
    answers = asyncio.run(_get_together(_probe_app(), ["/probe/v1/both"] * 3, stagger=0))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.json()["value"] for a in answers} == {2}
