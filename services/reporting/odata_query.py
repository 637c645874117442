# SPDX-License-Identifier: EUPL-1.2
"""The OData query options the feed supports: `$filter` (eq, ne, ge, gt, le, lt joined by `and`, optional
parentheses), `$select`, `$top`, `$skip`, `$count`; and the opaque `$skiptoken` of `@odata.nextLink`."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

PROPERTIES = (
    "Id",
    "Measure",
    "Period",
    "PeriodStart",
    "District",
    "AgeBand",
    "Group",
    "SignalType",
    "Partner",
    "Sector",
    "Value",
    "Suppressed",
)
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
}
UNSUPPORTED = ("$orderby", "$expand", "$apply", "$search", "$compute", "$levels")
_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_]*|-?\d{4}-\d{2}-\d{2}|-?\d+(?:\.\d+)?)")


class ODataQueryError(ValueError):
    """A query the feed cannot answer: 400 (or 501 for an unsupported option) in the OData error format."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Comparison:
    prop: str
    op: str
    value: Any

    def holds(self, row: Mapping[str, Any]) -> bool:
        actual = row[self.prop]
        if self.prop == "PeriodStart" and isinstance(actual, str):
            actual = date.fromisoformat(actual)
        return OPERATORS[self.op](actual, self.value)


def _literal(prop: str, raw: str) -> Any:
    if raw.startswith("'"):
        text = raw[1:-1].replace("''", "'")
        if prop == "PeriodStart":  # lenient: some clients quote a date
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ODataQueryError(f"PeriodStart compares with a date, not {raw}.") from None
        return text
    if re.fullmatch(r"-?\d{4}-\d{2}-\d{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ODataQueryError(f"Not a date: {raw}.") from None
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if re.fullmatch(r"-?\d+(?:\.\d+)?", raw):
        return float(raw) if "." in raw else int(raw)
    raise ODataQueryError(f"Not a literal: {raw}.")


def parse_filter(text: str) -> list[Comparison]:
    """A conjunction of comparisons, `Prop op literal`, each optionally in parentheses."""
    tokens: list[str] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ODataQueryError(f"Cannot read $filter at position {position}.")
        tokens.append(match.group(1))
        position = match.end()
    tokens = [t for t in tokens if t not in ("(", ")")] if tokens.count("(") == tokens.count(")") else tokens
    comparisons: list[Comparison] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise ODataQueryError("$filter: expected `Property operator value`.")
        prop, op, raw = tokens[index : index + 3]
        if prop not in PROPERTIES:
            raise ODataQueryError(f"$filter: unknown property {prop}.")
        if op not in OPERATORS:
            raise ODataQueryError(f"$filter: operator {op} is not supported (eq, ne, ge, gt, le, lt, and).")
        comparisons.append(Comparison(prop, op, _literal(prop, raw)))
        index += 3
        if index == len(tokens):
            return comparisons
        if tokens[index] != "and":
            raise ODataQueryError(f"$filter: expected `and`, found {tokens[index]}.")
        index += 1


@dataclass
class FeedQuery:
    filters: list[Comparison] = field(default_factory=list)
    select: list[str] | None = None
    top: int | None = None
    skip: int = 0
    count: bool = False
    # Where the page starts: (group index, rows of that group already sent), from a `$skiptoken`.
    resume: tuple[int, int] = (0, 0)

    def equals(self, prop: str) -> set[Any] | None:
        found = [c.value for c in self.filters if c.prop == prop and c.op == "eq"]
        return set(found) if found else None

    def bounds(self, prop: str) -> tuple[Any, Any]:
        """The tightest lower (inclusive) and upper (exclusive or inclusive) values asked for."""
        low = [c.value for c in self.filters if c.prop == prop and c.op in ("ge", "gt", "eq")]
        high = [c.value for c in self.filters if c.prop == prop and c.op in ("lt", "le", "eq")]
        return (max(low) if low else None), (min(high) if high else None)

    def matches(self, row: Mapping[str, Any]) -> bool:
        return all(c.holds(row) for c in self.filters)

    def matches_any(self, row: Mapping[str, Any]) -> bool:
        """For the code lists: comparisons on properties a code list does not have are ignored."""
        return all(c.holds(row) for c in self.filters if c.prop in row)


def _integer(name: str, raw: str) -> int:
    if not raw.isdigit():
        raise ODataQueryError(f"{name} must be a whole number.")
    return int(raw)


def parse(params: Mapping[str, str]) -> FeedQuery:
    for option in UNSUPPORTED:
        if option in params:
            raise ODataQueryError(f"{option} is not supported by this feed.", status=501)
    query = FeedQuery()
    if "$filter" in params:
        query.filters = parse_filter(params["$filter"])
    if "$select" in params:
        names = [n.strip() for n in params["$select"].split(",") if n.strip()]
        unknown = [n for n in names if n not in PROPERTIES and n != "*"]
        if unknown:
            raise ODataQueryError(f"$select: unknown property {', '.join(unknown)}.")
        query.select = None if "*" in names else names
    if "$top" in params:
        query.top = _integer("$top", params["$top"])
    if "$skip" in params:
        query.skip = _integer("$skip", params["$skip"])
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise ODataQueryError("$count must be true or false.")
        query.count = params["$count"] == "true"
    if "$skiptoken" in params:
        query.resume, query.top = read_token(params["$skiptoken"])
    return query


def make_token(group: int, offset: int, top: int | None) -> str:
    raw = json.dumps([group, offset, top], separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_token(token: str) -> tuple[tuple[int, int], int | None]:
    try:
        group, offset, top = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not all(isinstance(v, int) and v >= 0 for v in (group, offset)) or not (top is None or top >= 0):
            raise ValueError(token)
        return (group, offset), top
    except (ValueError, TypeError, binascii.Error):
        raise ODataQueryError("$skiptoken is not a token of this feed.") from None
