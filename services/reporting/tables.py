# SPDX-License-Identifier: EUPL-1.2
"""Flat tables as JSON `{"items": [...]}` or CSV (RFC 4180, comma, header = the JSON names, empty for null),
with the same columns when there are no rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

CSV = "text/csv"


def wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == CSV for part in accept.split(","))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def table_response(request: Request, columns: Sequence[str], rows: list[dict[str, Any]]) -> Response:
    if wants_csv(request):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in columns])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": "inline"})
    # orjson: a three-year breakdown is thousands of rows, and the stdlib encoder is the slower half of the answer.
    return Response(orjson.dumps({"columns": list(columns), "items": rows}), media_type="application/json")
