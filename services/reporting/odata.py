# SPDX-License-Identifier: EUPL-1.2
"""The OData v4 feed in the shape CBS StatLine uses: `Observations` (one row per indicator, period and value of
one dimension, plus the total with `T001` everywhere) and the code lists, with the CSDL that describes them.

Rows are produced group by group (indicator, period kind, breakdown) from the same observations as the JSON API,
so a cell has the same value in both. A page resumes at a group and an offset within it (the `$skiptoken`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.reporting import queries, service
from services.reporting.catalogue import INDICATORS, Indicator
from services.reporting.odata_query import FeedQuery
from services.reporting.periods import (
    AGE_BANDS,
    GROUPS,
    PERIOD_KINDS,
    SECTORS,
    TOTAL,
    PeriodKind,
    parse_period,
    periods_between,
)
from services.signals.rules.catalogue import SIGNAL_TYPES

NAMESPACE = "Glansrijk.Reporting"
COLUMNS = {
    "district": "District",
    "ageBand": "AgeBand",
    "group": "Group",
    "signalType": "SignalType",
    "partner": "Partner",
    "sector": "Sector",
}
OBSERVATION_TYPES = {
    "Id": "Edm.Int64",
    "Measure": "Edm.String",
    "Period": "Edm.String",
    "PeriodStart": "Edm.Date",
    **{name: "Edm.String" for name in COLUMNS.values()},
    "Value": "Edm.Double",
    "Suppressed": "Edm.Boolean",
}
CODE_LISTS: dict[str, dict[str, str]] = {
    "MeasureCodes": {"Key": "Edm.String", "Title": "Edm.String", "Description": "Edm.String", "Unit": "Edm.String"},
    "PeriodCodes": {"Key": "Edm.String", "Title": "Edm.String", "PeriodStart": "Edm.Date", "PeriodEnd": "Edm.Date"},
    "DistrictCodes": {"Key": "Edm.String", "Title": "Edm.String"},
    "AgeBandCodes": {"Key": "Edm.String", "Title": "Edm.String"},
    "GroupCodes": {"Key": "Edm.String", "Title": "Edm.String"},
    "SignalTypeCodes": {"Key": "Edm.String", "Title": "Edm.String"},
    "SectorCodes": {"Key": "Edm.String", "Title": "Edm.String"},
}
HISTORY_YEARS = 3


@dataclass(frozen=True)
class Group:
    indicator: Indicator
    kind: PeriodKind
    by: tuple[str, ...]


def metadata_xml() -> str:
    """The CSDL (OData v4 XML) of the feed."""

    def entity(name: str, properties: dict[str, str], key: str) -> str:
        fields = "".join(
            f'<Property Name="{p}" Type="{t}" Nullable="{"false" if p == key else "true"}"/>'
            for p, t in properties.items()
        )
        return f'<EntityType Name="{name}"><Key><PropertyRef Name="{key}"/></Key>{fields}</EntityType>'

    types = [entity("Observation", OBSERVATION_TYPES, "Id")]
    types += [entity(name[:-1], properties, "Key") for name, properties in CODE_LISTS.items()]
    sets = [f'<EntitySet Name="Observations" EntityType="{NAMESPACE}.Observation"/>']
    sets += [f'<EntitySet Name="{name}" EntityType="{NAMESPACE}.{name[:-1]}"/>' for name in CODE_LISTS]
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
        "<edmx:DataServices>"
        f'<Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
        + "".join(types)
        + f'<EntityContainer Name="Container">{"".join(sets)}</EntityContainer>'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )


def entity_sets() -> list[str]:
    return ["Observations", *CODE_LISTS]


def row_id(measure: str, period: str, column: str, value: str) -> int:
    """A stable key: the same cell has the same Id in every request (48 bits, exact in any JSON reader)."""
    digest = hashlib.sha256(f"{measure}|{period}|{column}|{value}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def window(query: FeedQuery, today: date) -> tuple[date, date, set[PeriodKind]]:
    """The period range and kinds asked for (PeriodStart and Period filters narrow the work)."""
    first = date(today.year - HISTORY_YEARS, 1, 1)
    low, high = query.bounds("PeriodStart")
    if isinstance(low, date):
        first = low
    last = today - timedelta(days=1)
    if isinstance(high, date):
        last = min(last, high + timedelta(days=366))  # a period starting before `high` may end a year later
    kinds: set[PeriodKind] = set(PERIOD_KINDS)
    codes = query.equals("Period")
    if codes is not None:
        try:
            periods = [parse_period(str(code)) for code in codes]
        except ValueError:
            return first, first - timedelta(days=1), set()
        kinds = {p.kind for p in periods}
        first, last = max(first, min(p.start for p in periods)), min(last, max(p.end for p in periods))
    return first, last, kinds


def plan(query: FeedQuery, kinds: set[PeriodKind]) -> list[Group]:
    measures = query.equals("Measure")
    groups = []
    for indicator in INDICATORS:
        if measures is not None and indicator.code not in measures:
            continue
        for kind in indicator.period_kinds:
            if kind in kinds:
                groups.append(Group(indicator, kind, ()))
                groups += [Group(indicator, kind, (d,)) for d in indicator.dimensions]
    return groups


def group_rows(session: Session, group: Group, first: date, last: date, today: date) -> list[dict[str, Any]]:
    rows = []
    for row in service.observations(session, group.indicator, group.kind, first, last, list(group.by), today):
        if group.by and row.key[0] == TOTAL:
            continue  # the total comes once, from the group without a breakdown
        item: dict[str, Any] = {
            "Id": 0,
            "Measure": group.indicator.code,
            "Period": row.period.code,
            "PeriodStart": row.period.start.isoformat(),
            **{column: TOTAL for column in COLUMNS.values()},
            "Value": None if row.value is None else float(row.value),
            "Suppressed": row.suppressed,
        }
        column, value = (COLUMNS[group.by[0]], row.key[0]) if group.by else ("", TOTAL)
        if column:
            item[column] = value
        item["Id"] = row_id(group.indicator.code, row.period.code, column, value)
        rows.append(item)
    return rows


def page(
    session: Session, query: FeedQuery, today: date, size: int
) -> tuple[list[dict[str, Any]], tuple[int, int] | None, int | None]:
    """One page of observations; the position of the next row (None at the end), and the total when asked."""
    first, last, kinds = window(query, today)
    groups = plan(query, kinds)
    limit = size if query.top is None else min(size, query.top)
    found: list[tuple[dict[str, Any], int, int]] = []
    skip = query.skip
    start_group, start_offset = query.resume
    for index in range(start_group, len(groups)):
        rows = [r for r in group_rows(session, groups[index], first, last, today) if query.matches(r)]
        for offset in range(start_offset if index == start_group else 0, len(rows)):
            if skip:
                skip -= 1
                continue
            found.append((rows[offset], index, offset))
            if len(found) > limit:
                break
        if len(found) > limit:
            break
    more = len(found) > limit and (query.top is None or query.top > limit)
    position = (found[limit][1], found[limit][2]) if more else None
    total = count(session, query, groups, first, last, today) if query.count else None
    return [row for row, _, _ in found[:limit]], position, total


def count(session: Session, query: FeedQuery, groups: list[Group], first: date, last: date, today: date) -> int:
    matching = sum(
        1 for group in groups for row in group_rows(session, group, first, last, today) if query.matches(row)
    )
    return max(0, matching - query.skip)


def select(rows: list[dict[str, Any]], names: list[str] | None) -> list[dict[str, Any]]:
    return rows if names is None else [{n: row[n] for n in names} for row in rows]


def code_list(session: Session, name: str, today: date) -> Iterator[dict[str, Any]]:
    if name == "MeasureCodes":
        for i in INDICATORS:
            yield {"Key": i.code, "Title": i.title.nl, "Description": i.description.nl, "Unit": i.unit}
    elif name == "PeriodCodes":
        first = date(today.year - HISTORY_YEARS, 1, 1)
        for kind in PERIOD_KINDS:
            for p in periods_between(kind, first, today - timedelta(days=1)):
                yield {
                    "Key": p.code,
                    "Title": p.code,
                    "PeriodStart": p.start.isoformat(),
                    "PeriodEnd": p.end.isoformat(),
                }
    else:
        codes = {
            "AgeBandCodes": AGE_BANDS,
            "GroupCodes": GROUPS,
            "SignalTypeCodes": tuple(sorted(SIGNAL_TYPES)),
            "SectorCodes": SECTORS,
        }.get(name)
        if codes is None:
            codes = tuple(queries.districts(session))
        yield {"Key": TOTAL, "Title": "Totaal"}
        for code in codes:
            yield {"Key": code, "Title": code}
