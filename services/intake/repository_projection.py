# SPDX-License-Identifier: EUPL-1.2
"""The SQL of the projection writes (part of the intake repository, split off to keep modules small).

On Postgres every table gets one set-based statement whose rows travel as a single JSON parameter, unpacked
by `json_to_recordset`: psycopg has one placeholder to split and Postgres one value to parse, where a multi-row
VALUES list carries one bind parameter per column and row (measured in bench/intake.py: the largest part of
the batched request before). SQLite (the embedded default) runs the same ON CONFLICT clause row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Table, Text, and_, bindparam, case, column, func, literal, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.core.models import (
    AbsenceWeek,
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Fact,
    Registration,
    YouthLocalId,
    YouthProfile,
)
from services.intake.projection import ProjectionRows


def table_of(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _json_default(value: Any) -> Any:
    # orjson writes str, numbers, bool, None, dicts, lists, uuids (valid uuid input), dates and datetimes (with
    # their offset, read back as timestamptz) itself; bytes go as hex (decoded in SQL).
    if type(value) is bytes:
        return value.hex()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def as_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON array of objects, for `json_to_recordset` (bytes as hex)."""
    return orjson.dumps(rows, default=_json_default).decode()


Clause = Callable[[Table, Any], Any]  # (the target table, `excluded`) -> SET mapping or WHERE condition


@dataclass(frozen=True)
class _Write:
    table: Table
    columns: tuple[str, ...]
    key: tuple[str, ...] = ()  # empty: a plain insert (rows keyed by their own event)
    set_: Clause | None = None
    where: Clause | None = None


def _newest(version: str, columns: tuple[str, ...]) -> tuple[Clause, Clause]:
    """Replace the stored row only with a higher version (so arrival order does not matter)."""

    def set_(_table: Table, excluded: Any) -> dict[str, Any]:
        return {c: excluded[c] for c in columns}

    def where(table: Table, excluded: Any) -> Any:
        return or_(table.c[version].is_(None), excluded[version] > table.c[version])

    return set_, where


def _profile_where(table: Table, excluded: Any) -> Any:
    return or_(
        excluded.birth_date_rank > table.c.birth_date_rank,
        and_(
            excluded.birth_date_rank == table.c.birth_date_rank,
            excluded.birth_date_version > table.c.birth_date_version,
        ),
    )


def _episode_end_set(table: Table, excluded: Any) -> dict[str, Any]:
    set_: dict[str, Any] = {c: excluded[c] for c in _END_COLUMNS}
    # The start's category wins; while no start has arrived, the newest end's (not the first end's, which would
    # make the category depend on arrival order).
    set_["category"] = case((table.c.start_version.is_(None), excluded.category), else_=table.c.category)
    return set_


_PERIOD_COLUMNS = ("partner_id", "brin", "sector", "track", "pathway", "grade", "final_year", "outflow_profile")
_START_COLUMNS = ("category", "start_date", "start_attrs", "start_partner_id", "start_version")
_END_COLUMNS = ("end_date", "end_attrs", "end_partner_id", "end_event_id", "end_version")
_EPISODE_KEY = ("youth_id", "kind", "source", "episode_id")
_PROFILE_COLUMNS = ("birth_date", "birth_date_rank", "birth_date_version")
_EPISODE_START_SET, _EPISODE_START_WHERE = _newest("start_version", _START_COLUMNS)
_, _EPISODE_END_WHERE = _newest("end_version", _END_COLUMNS)

WRITES: dict[str, _Write] = {
    "profiles": _Write(
        table_of(YouthProfile),
        ("youth_id", *_PROFILE_COLUMNS),
        ("youth_id",),
        lambda _t, excluded: {c: excluded[c] for c in _PROFILE_COLUMNS},
        _profile_where,
    ),
    "registrations": _Write(
        table_of(Registration),
        ("event_seq", "youth_id", "kind", "date", "district_code", "reason", "version"),
    ),
    "facts": _Write(table_of(Fact), ("event_seq", "youth_id", "kind", "date", "partner_id", "code", "attrs")),
    "enrolment_periods": _Write(
        table_of(EnrolmentPeriod),
        ("youth_id", "source", "episode_id", "start_date", *_PERIOD_COLUMNS, "version"),
        ("youth_id", "source", "episode_id", "start_date"),
        *_newest("version", (*_PERIOD_COLUMNS, "version")),
    ),
    "enrolment_ends": _Write(
        table_of(EnrolmentEnd),
        ("youth_id", "source", "episode_id", "brin", "end_date", "reason", "version"),
        ("youth_id", "source", "episode_id"),
        *_newest("version", ("brin", "end_date", "reason", "version")),
    ),
    "absence_weeks": _Write(
        table_of(AbsenceWeek),
        ("youth_id", "brin", "week_start", "scheduled_hours", "unauthorized_hours", "authorized_hours", "version"),
        ("youth_id", "brin", "week_start"),
        *_newest("version", ("scheduled_hours", "unauthorized_hours", "authorized_hours", "version")),
    ),
    "episode_starts": _Write(
        table_of(Episode), (*_EPISODE_KEY, *_START_COLUMNS), _EPISODE_KEY, _EPISODE_START_SET, _EPISODE_START_WHERE
    ),
    "episode_ends": _Write(
        table_of(Episode),
        (*_EPISODE_KEY, "category", *_END_COLUMNS),
        _EPISODE_KEY,
        _episode_end_set,
        _EPISODE_END_WHERE,
    ),
    "local_ids": _Write(
        table_of(YouthLocalId),
        ("partner_id", "youth_id", "local_id", "version"),
        ("partner_id", "youth_id"),
        lambda _t, excluded: {"local_id": excluded.local_id, "version": excluded.version},
        lambda table, excluded: excluded.version > table.c.version,
    ),
}


# The rows of youths created in the same transaction need no conflict check: no row can exist yet for a youth no
# other transaction can see, and a request's rows are already reduced to one per key. A plain INSERT spares the
# speculative insertion of ON CONFLICT (about a sixth of these upserts on a batch of mostly new youths). Not for
# episode ends: the starts of the same request may have just inserted their row.
NEW = "_new"
WRITES.update(
    {name + NEW: _Write(w.table, w.columns) for name, w in list(WRITES.items()) if w.key and name != "episode_ends"}
)


def recordset(table: Table, columns: Sequence[str], param: str, name: str = "r", as_text: Collection[str] = ()) -> Any:
    """The rows of the JSON parameter `param` (an array of objects), as columns of `table`'s types; those in
    `as_text` as text (bytes travel as hex, see `as_json`)."""
    return (
        func.json_to_recordset(sql_cast(bindparam(param, type_=Text), JSON))
        .table_valued(*(column(c, Text() if c in as_text else table.c[c].type) for c in columns))
        .render_derived(name=name, with_types=True)
    )


def _build(write: _Write, postgres: bool, param: str = "rows") -> Any:
    if postgres:
        rows = recordset(write.table, write.columns, param)
        stmt: Any = postgresql.insert(write.table).from_select(
            list(write.columns), select(*(rows.c[c] for c in write.columns))
        )
    else:
        stmt = sqlite.insert(write.table)
    if write.key:
        assert write.set_ is not None and write.where is not None
        stmt = stmt.on_conflict_do_update(
            index_elements=list(write.key),
            set_=write.set_(write.table, stmt.excluded),
            where=write.where(write.table, stmt.excluded),
        )
    return stmt


# Built once: SQLAlchemy then only looks up the compiled form in its cache.
_SQLITE = {name: _build(write, postgres=False) for name, write in WRITES.items()}


def ctes_of(names: tuple[str, ...]) -> list[Any]:
    """These writes, each an INSERT in a CTE of its own (`write_<name>`, its rows the parameter
    `rows_<name>`), to be added to a statement: Postgres runs every data-modifying CTE, referenced or not."""
    return [_build(WRITES[name], True, f"rows_{name}").cte(f"write_{name}") for name in names]


@cache  # built once per combination, so that the pipeline compiles it once too
def statement_of(names: tuple[str, ...]) -> Any:
    """One statement writing these tables (`ctes_of`): one round trip for the lot."""
    return select(literal(len(names))).add_cte(*ctes_of(names))


Writes = list[tuple[str, Sequence[dict[str, Any]]]]


def _split(writes: Writes, created: Collection[Any]) -> Writes:
    """The rows of youths in `created` moved to the plain-insert variant of their write (see NEW)."""
    if not created:
        return writes
    split: Writes = []
    for name, rows in writes:
        if name + NEW not in WRITES:
            split.append((name, rows))
            continue
        new: list[dict[str, Any]] = []
        known: list[dict[str, Any]] = []
        for row in rows:
            (new if row["youth_id"] in created else known).append(row)
        split.extend(((name + NEW, new), (name, known)))
    return split


def _statements(rows: ProjectionRows, local_ids: Sequence[dict[str, Any]], created: Collection[Any]) -> list[Writes]:
    """The writes of each statement, in order (one statement may not touch a row twice)."""
    first: Writes = [
        ("profiles", list(rows.profiles.values())),
        ("registrations", rows.registrations),
        ("facts", rows.facts),
        ("enrolment_periods", list(rows.enrolment_periods.values())),
        ("enrolment_ends", list(rows.enrolment_ends.values())),
        ("absence_weeks", list(rows.absence_weeks.values())),
        ("episode_starts", list(rows.episode_starts.values())),
        ("local_ids", local_ids),
    ]
    ends: Writes = [("episode_ends", list(rows.episode_ends.values()))]
    # Where the request holds an episode's start and its end, the end goes after the start, in a statement of its
    # own: both write that episode's row, which one statement may not touch twice, and an end's category only
    # counts while no start is stored. Otherwise they write different rows, and one statement does.
    statements: list[Writes] = (
        [_split(first, created), ends]
        if rows.episode_starts.keys() & rows.episode_ends.keys()
        else [_split(first, created) + ends]
    )
    return [[(name, part) for name, part in writes if part] for writes in statements]


def projection_writes(
    rows: ProjectionRows, local_ids: Sequence[dict[str, Any]] = (), created: Collection[Any] = ()
) -> list[tuple[tuple[str, ...], dict[str, str]]]:
    """The Postgres statements of the projection (named by their writes, see `statement_of`) and their
    parameters: each write's rows as one JSON value."""
    return [
        (tuple(name for name, _ in writes), {f"rows_{name}": as_json(part) for name, part in writes})
        for writes in _statements(rows, local_ids, created)
        if writes
    ]


def apply_projection(
    session: Session,
    rows: ProjectionRows,
    local_ids: Sequence[dict[str, Any]] = (),
    created: Collection[Any] = (),
) -> None:
    """The projection rows, and the partner's local ids of the youths (the newest per youth). `created`: the
    ids of youths this transaction created (their rows are inserted without a conflict check)."""
    if session.get_bind().dialect.name == "postgresql":
        for names, values in projection_writes(rows, local_ids, created):
            session.execute(statement_of(names), values)
        return
    for writes in _statements(rows, local_ids, created):
        for name, part in writes:
            session.execute(_SQLITE[name], list(part))
