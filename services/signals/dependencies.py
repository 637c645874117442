# SPDX-License-Identifier: EUPL-1.2
"""Signals request dependencies: the caller as a `Viewer` per scope, the opaque page cursor, the JSON answer."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.core.auth import Caller
from services.core.clock import today
from services.core.dependencies import caller_with
from services.core.problems import InvalidParam, bad_request
from services.core.scopes import Scope
from services.signals.service import Keyset, Viewer

PREFIX = "/signals/v1"
PURPOSE_HEADER = "X-Purpose"
MAX_PURPOSE = 200
PURPOSE_REQUIRED = "Required on every read of personal data: why the data is needed (it goes to the audit log)."
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _viewer_with(scope: Scope) -> Callable[[Request, Caller], Viewer]:
    # A default, not an `Annotated` alias: annotations are strings here and could not name the local `checked`.
    def dependency(request: Request, caller: Caller = Depends(caller_with(scope))) -> Viewer:
        # The scope was checked first (403 before anything else); the purpose goes to the audit log.
        purpose = (request.headers.get(PURPOSE_HEADER) or "").strip()
        if len(purpose) > MAX_PURPOSE:
            raise bad_request([InvalidParam(PURPOSE_HEADER, f"At most {MAX_PURPOSE} characters.")])
        # Every read of personal data states why (ADR 0025): the search is a read sent as a POST.
        if not purpose and (request.method == "GET" or scope is Scope.SIGNALS_READ):
            raise bad_request([InvalidParam(PURPOSE_HEADER, PURPOSE_REQUIRED)])
        # The route's template, not the path: the audit log groups by endpoint. An included router's route may
        # carry its path without the service prefix.
        path = getattr(request.scope.get("route"), "path", None) or request.url.path
        endpoint = f"{request.method} {path if path.startswith(PREFIX) else PREFIX + path}"
        return Viewer(caller=caller, endpoint=endpoint, purpose=purpose or None, today=today())

    dependency.__name__ = f"viewer_with_{scope.name.lower()}"
    return dependency


SignalReader = Annotated[Viewer, Depends(_viewer_with(Scope.SIGNALS_READ))]
SignalWriter = Annotated[Viewer, Depends(_viewer_with(Scope.SIGNALS_WRITE))]
ChainManager = Annotated[Viewer, Depends(_viewer_with(Scope.CHAIN_MANAGE))]


def encode_cursor(keyset: Keyset) -> str:
    """Opaque to clients: base64url of the last row's (time, id), without padding."""
    moment, row_id = keyset
    raw = json.dumps([moment.isoformat(), str(row_id)], separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_cursor(
    cursor: Annotated[str | None, Query(description="The opaque cursor of a `next` link.", max_length=200)] = None,
) -> Keyset | None:
    if cursor is None:
        return None
    try:
        moment, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(moment), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error):
        raise bad_request([InvalidParam("cursor", "Not a cursor of this list.")]) from None


PageStart = Annotated[Keyset | None, Depends(read_cursor)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (default 50).")]


def next_url(request: Request, keyset: Keyset | None) -> str | None:
    """The absolute URL of the next page: this request's query with the cursor replaced."""
    return None if keyset is None else str(request.url.include_query_params(cursor=encode_cursor(keyset)))


def answer(body: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    # Serialised once here: returning a Response spares FastAPI a second validation against response_model.
    return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=status_code, headers=headers)
