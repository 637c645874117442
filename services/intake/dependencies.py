# SPDX-License-Identifier: EUPL-1.2
"""The intake request's body: read before the request takes a database slot, judged after its caller is known."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from services.core.problems import Problem
from services.core.settings import get_settings
from services.intake.envelope import check_content_type


@dataclass(frozen=True)
class PostedBody:
    content: bytes | None  # None: over `max_body_bytes` (declared or read), not kept


async def read_posted_body(request: Request) -> PostedBody:
    """The body as posted, up to `max_body_bytes`.

    Read on the event loop before the request's database slot and session (ADR 0032), so that the caller's key
    look-up and the handling share one threadpool hand-over and an upload never holds a slot. It is judged
    after the key and scope (`checked_body`): a request answers 401, 403, 415 and 413 in that order, as when
    the body was read after the key.
    """
    limit = get_settings().max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return PostedBody(None)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return PostedBody(None)
        chunks.append(chunk)
    return PostedBody(b"".join(chunks))


def checked_body(request: Request, body: PostedBody) -> tuple[str, bytes]:
    """The content mode and the raw body: 415 for another content type, then 413 for size."""
    kind = check_content_type(request.headers.get("content-type"))
    if body.content is None:
        raise Problem(413, f"The body may be at most {get_settings().max_body_bytes} bytes.")
    return kind, body.content
