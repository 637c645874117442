# SPDX-License-Identifier: EUPL-1.2
"""The baseline of the single-event goal: a bare FastAPI endpoint doing one INSERT of a comparable row.

Same driver and pool settings as `services.core.db` (SQLAlchemy 2 + psycopg 3, pool 10 + 20 overflow,
pre-ping), a sync endpoint like ours (run in the threadpool), a JSON body in and a small 202 JSON out.
No auth, no validation, no pseudonymisation, no projection. Served by
`uvicorn --factory bench.bare_app:create_app`; configured through BENCH_BARE_* environment variables.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("source", String(300)),
    Column("event_id", String(200)),
    Column("type", String(80)),
    Column("time", DateTime(timezone=True)),
    Column("partner_id", Uuid),
    Column("youth_id", Uuid),
    Column("batch_id", BigInteger),
    Column("received_at", DateTime(timezone=True)),
    Column("data", JSONB),
    Column("birth_date", Date),
    Column("retracted", Boolean),
)
PREFIX = "nl.glansrijk."


def _engine(url: str) -> Engine:
    return create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 5, "application_name": "glansrijk-bench-bare"},
    )


async def _body(request: Request) -> bytes:
    return await request.body()


def create_app() -> FastAPI:
    engine = _engine(os.environ["BENCH_BARE_DATABASE_URL"])
    partner_id = uuid.UUID(os.environ["BENCH_BARE_PARTNER_ID"])
    youth_id = uuid.UUID(os.environ["BENCH_BARE_YOUTH_ID"])
    batch_id = int(os.environ["BENCH_BARE_BATCH_ID"])
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.post("/events", status_code=202)
    def post_event(raw: bytes = Depends(_body)) -> JSONResponse:
        event: dict[str, Any] = json.loads(raw)
        data = dict(event["data"])
        person = data.pop("person", {})
        birth = person.get("birthDate")
        row = {
            "source": event["source"],
            "event_id": event["id"],
            "type": event["type"].removeprefix(PREFIX),
            "time": datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
            "partner_id": partner_id,
            "youth_id": youth_id,
            "batch_id": batch_id,
            "received_at": datetime.now(UTC),
            "data": data,
            "birth_date": date.fromisoformat(birth) if birth else None,
            "retracted": False,
        }
        with engine.begin() as connection:
            connection.execute(insert(events), row)
        return JSONResponse({"accepted": 1, "duplicates": 0}, status_code=202)

    return app
