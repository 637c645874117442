# SPDX-License-Identifier: EUPL-1.2
"""From an HTTP request to validated events: content modes, size limits, authority, then every field.

The order of checks is the contract's: 415, 413, then per event the partner's authority (403 naming the
indexes), then validation (400 listing every failing field of every event as a JSON pointer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from services.core.problems import InvalidParam, Problem, bad_request, pointer
from services.core.repository import PartnerProfile
from services.core.scopes import Role
from services.core.text import STORABLE_REASON, storable_text
from services.intake.catalogue import CATALOGUE, OWN_BRIN_TYPES, PREFIX, EventData, iso_date

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
BINARY = "application/json"

SOURCE_PATTERN = re.compile(r"^urn:nld:(oin|kvk):(\d+):systeem:([A-Za-z0-9._~-]{1,100})$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
CORE_ATTRIBUTES = ("specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "data")
MAX_ID_LENGTH = 200
# An event's size is its compact JSON as the standard library writes it (ASCII, non-ASCII escaped); one encoder
# for all (json.dumps with options builds one per call).
_COMPACT = json.JSONEncoder(separators=(",", ":"))
# orjson writes the same compact JSON in UTF-8 and floats without "e+" or a two-digit exponent: never more than 3
# times shorter than _COMPACT's (a non-ASCII character is 2 to 4 bytes of UTF-8 against 6 or 12 escaped; a
# float loses at most 2 characters of at least 3). An event within a third of the limit in orjson's bytes is
# within the limit; only a larger one is measured exactly.
_SIZE_FACTOR = 3
_CORE_AND_SUBJECT = frozenset((*CORE_ATTRIBUTES, "subject"))


@dataclass(frozen=True)
class ValidEvent:
    index: int
    id: str
    source: str
    type: str  # without the nl.glansrijk. prefix
    time: datetime
    data: EventData


@dataclass(frozen=True)
class RawEvents:
    """The events of one request, with how to name a field of event i in an error.

    `exact`, when set, gives the same events parsed by the standard library's `json`. The body is parsed with
    orjson, which reads the same JSON into the same values but for integers beyond 64 bits (a float there, an
    int in `json`): no valid event holds one (no numeric field accepts such a value), but an invalid one must be
    reported as before, so `validate_events` reports its errors from `exact` (the failing requests only).
    """

    events: list[Any]
    name_of: Callable[[int, str], str]
    exact: Callable[[], list[Any]] | None = None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(content_type: str | None) -> str:
    kind = media_type(content_type)
    if kind not in (STRUCTURED, BATCH, BINARY):
        raise Problem(
            415,
            f"Content-Type must be {STRUCTURED}, {BATCH} or {BINARY} (binary mode).",
        )
    return kind


def _too_large(detail: str) -> Problem:
    return Problem(413, detail)


def _parse_json_exact(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise bad_request([InvalidParam("", "the body is not valid JSON")], "The body is not valid JSON.") from None


def _parse_json(body: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether it was parsed by `json` itself. orjson accepts no text that `json` refuses;
    what it refuses (NaN, a BOM, lone surrogates, numbers beyond a double, another encoding) goes to `json`,
    which answers as before."""
    try:
        return orjson.loads(body), False
    except orjson.JSONDecodeError:
        return _parse_json_exact(body), True


def _within(event: Any, max_event: int) -> bool:
    # An integer beyond 64 bits or a lone surrogate (parsed by `json`) makes orjson refuse: measured exactly.
    with suppress(TypeError):
        if len(orjson.dumps(event)) * _SIZE_FACTOR <= max_event:
            return True
    return len(_COMPACT.encode(event)) <= max_event


def read_events(kind: str, body: bytes, headers: Mapping[str, str], max_batch: int, max_event: int) -> RawEvents:
    """Split a request body into raw events (413 for too many or too large ones)."""
    if kind == BATCH:
        parsed, exact = _parse_json(body)
        if not isinstance(parsed, list):
            raise bad_request([InvalidParam("", "a batch must be a JSON array of events")])
        if len(parsed) > max_batch:
            raise _too_large(f"A batch holds at most {max_batch} events; this one has {len(parsed)}.")
        if not exact and not all(_within(e, max_event) for e in parsed):
            # Near the limit, measured on what `json` reads (an integer beyond 64 bits is a float in orjson).
            parsed, exact = _parse_json_exact(body), True
        if exact:
            too_big = [i for i, e in enumerate(parsed) if len(_COMPACT.encode(e)) > max_event]
            if too_big:
                raise _too_large(f"Events over {max_event} bytes at indexes {too_big[:20]}.")
        return RawEvents(parsed, lambda i, path: pointer(i) + path, None if exact else lambda: _parse_json_exact(body))
    if kind == STRUCTURED:
        if _structured_too_large(body, max_event):
            raise _too_large(f"An event may be at most {max_event} bytes.")
        parsed, exact = _parse_json(body)
        return RawEvents([parsed], lambda _i, path: path, None if exact else lambda: [_parse_json_exact(body)])
    # Binary mode: attributes in ce-* headers, the body is `data`.
    if len(body) > max_event:
        raise _too_large(f"An event may be at most {max_event} bytes.")
    event: dict[str, Any] = {name[3:]: value for name, value in headers.items() if name.lower().startswith("ce-")}
    event["datacontenttype"] = BINARY
    event["data"], exact = _parse_json(body)

    def exact_events() -> list[Any]:
        return [{**event, "data": _parse_json_exact(body)}]

    return RawEvents([event], _binary_name, None if exact else exact_events)


def _structured_too_large(body: bytes, max_event: int) -> bool:
    """Whether the one event is over the limit, measured as in a batch (its compact JSON), so that a pretty-printed
    event is judged as the same event posted in a batch. A body that is no JSON is judged by its own length."""
    if len(body) <= max_event:
        return False
    try:
        return not _within(orjson.loads(body), max_event)
    except orjson.JSONDecodeError:
        return True


def _binary_name(_index: int, path: str) -> str:
    if path.startswith("/data"):
        return path[len("/data") :] or ""
    return "ce-" + path.lstrip("/") if path else ""


# The longest source SOURCE_PATTERN accepts with a 20-digit OIN: a longer one never names a holder.
_MAX_SOURCE_LENGTH = len("urn:nld:oin:") + 20 + len(":systeem:") + 100
# The roles that may post each type, as the role names a partner profile holds.
_POSTERS = {name: frozenset(role.value for role in roles) for name, (_model, roles) in CATALOGUE.items()}


def _source_holder(source: str) -> tuple[str, str] | None:
    # A request's events mostly share one source: parsed once (only sources short enough to be valid are kept).
    return None if len(source) > _MAX_SOURCE_LENGTH else _short_source_holder(source)


@lru_cache(maxsize=256)
def _short_source_holder(source: str) -> tuple[str, str] | None:
    match = SOURCE_PATTERN.match(source)
    if match is None:
        return None
    scheme, number, _ = match.groups()
    if (scheme == "oin" and len(number) != 20) or (scheme == "kvk" and len(number) != 8):
        return None
    return scheme, number


def authority_problem(events: list[Any], partner: PartnerProfile) -> Problem | None:
    """403 when an event's source is not the partner's, or its type or BRIN is not the partner's to post."""
    refused: list[dict[str, Any]] = []
    school_only = Role.SCHOOL in partner.roles and not partner.roles & {
        Role.LEERPLICHT.value,
        Role.DOORSTROOMPUNT.value,
    }
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        reason = _refusal(event, partner, school_only)
        if reason:
            refused.append({"index": index, "reason": reason})
    if not refused:
        return None
    indexes = ", ".join(str(r["index"]) for r in refused[:50])
    return Problem(
        403,
        f"This partner may not post the events at index {indexes}.",
        kind="forbidden-event",
        extra={"forbiddenEvents": refused},
    )


def _refusal(event: dict[str, Any], partner: PartnerProfile, school_only: bool) -> str | None:
    source, event_type = event.get("source"), event.get("type")
    if isinstance(source, str):
        holder = _source_holder(source)
        if holder is not None and holder != ("oin", partner.oin) and holder != ("kvk", partner.kvk):
            return "the source belongs to another partner"
    if isinstance(event_type, str) and event_type.startswith(PREFIX):
        name = event_type[len(PREFIX) :]
        posters = _POSTERS.get(name)
        if posters is not None:
            if not partner.roles & posters:
                return f"the partner's roles may not post {event_type}"
            data = event.get("data")
            if name in OWN_BRIN_TYPES and school_only and isinstance(data, dict):
                brin = data.get("brin")
                if isinstance(brin, str) and brin not in partner.brins:
                    return f"BRIN {brin} is not administered by this partner"
    return None


def validate_events(raw: RawEvents) -> list[ValidEvent]:
    """Every event checked in full; one 400 listing every failing field of every event."""
    valid, problems = _validate_all(raw.events, raw.name_of)
    if problems and raw.exact is not None:
        # Reported from the events as `json` reads them (see RawEvents).
        valid, problems = _validate_all(raw.exact(), raw.name_of)
    if problems:
        raise bad_request(problems, f"{len(problems)} invalid field(s); nothing was stored.")
    return valid


def valid_range(raw: RawEvents, start: int, stop: int) -> list[ValidEvent] | None:
    """The events from `start` to `stop` checked in full, or None when one is invalid (`validate_events` then
    reports every problem of every event)."""
    valid, problems = _validate_all(raw.events[start:stop], raw.name_of, start)
    return None if problems else valid


def _validate_all(
    events: list[Any], name_of: Callable[[int, str], str], start: int = 0
) -> tuple[list[ValidEvent], list[InvalidParam]]:
    valid: list[ValidEvent] = []
    problems: list[InvalidParam] = []
    for index, event in enumerate(events, start):
        errors: list[tuple[str, str]] = []
        result = _validate_one(index, event, errors)
        if errors:
            problems.extend(InvalidParam(name_of(index, path), reason) for path, reason in errors)
        if result is not None:
            valid.append(result)
    return valid, problems


def _validate_one(index: int, event: Any, errors: list[tuple[str, str]]) -> ValidEvent | None:
    if not isinstance(event, dict):
        errors.append(("", "an event must be a JSON object"))
        return None
    if event.get("specversion") != "1.0":
        errors.append(("/specversion", 'must be "1.0"'))
    event_id = _required_string(event, "id", errors)
    if event_id is not None and len(event_id) > MAX_ID_LENGTH:
        errors.append(("/id", f"must be at most {MAX_ID_LENGTH} characters"))
    elif event_id is not None and not storable_text(event_id):
        errors.append(("/id", STORABLE_REASON))
    source = _required_string(event, "source", errors)
    if source is not None and _source_holder(source) is None:
        errors.append(
            (
                "/source",
                "must be urn:nld:oin:<20 digits>:systeem:<name> or urn:nld:kvk:<8 digits>:systeem:<name>",
            )
        )
    event_type = _required_string(event, "type", errors)
    entry = None
    if event_type is not None:
        entry = CATALOGUE.get(event_type[len(PREFIX) :]) if event_type.startswith(PREFIX) else None
        if entry is None:
            errors.append(("/type", "is not an event type of the catalogue"))
    moment = _time(event, errors)
    declared = event.get("datacontenttype", BINARY)
    if declared != BINARY and not _json_in_utf8(declared):
        errors.append(("/datacontenttype", "must be application/json (in UTF-8)"))
    if "subject" in event:
        errors.append(("/subject", "must not be present: it would carry personal data"))
    if not event.keys() <= _CORE_AND_SUBJECT:  # extension attributes (most events carry none)
        _check_extensions(event, errors)
    data_model = None
    if "data" not in event:
        errors.append(("/data", "is required"))
    elif entry is not None:
        data_model = _data(entry[0], event["data"], errors)
    if moment is not None and entry is not None and "data" in event:
        birth = _birth_date(event["data"], data_model)
        # A birth date after the moment the partner registered the fact is a typing error, not a youth.
        if birth is not None and birth > moment.date():
            errors.append(("/data/person/birthDate", "must not be after the event's time"))
    if errors or event_id is None or source is None or event_type is None or moment is None or data_model is None:
        return None
    return ValidEvent(index, event_id, source, event_type[len(PREFIX) :], moment, data_model)


def _json_in_utf8(declared: Any) -> bool:
    """`application/json`, with parameters too (RFC 9110: "application/json; charset=utf-8" is JSON all the same),
    but no other charset: the data is part of a UTF-8 envelope (RFC 8259)."""
    if not isinstance(declared, str) or media_type(declared) != BINARY:
        return False
    header = Message()
    header["Content-Type"] = declared  # the standard library's parser of media type parameters (quotes included)
    return header.get_content_charset("utf-8") in ("utf-8", "utf8")


def _birth_date(data: Any, valid: EventData | None) -> date | None:
    """The person's birth date; when the data failed elsewhere, the `birthDate` read on its own (so that a 400
    lists it too: every failing field of every event). An unreadable one is reported with the data's errors."""
    if valid is not None:
        return valid.person.birth_date
    person = data.get("person") if isinstance(data, dict) else None
    if not isinstance(person, dict) or "birthDate" not in person:
        return None
    try:
        birth: date = iso_date(person["birthDate"])
    except ValueError:
        return None
    return birth


def _check_extensions(event: dict[str, Any], errors: list[tuple[str, str]]) -> None:
    for name, value in event.items():
        if name in _CORE_AND_SUBJECT:
            continue
        if not EXTENSION_NAME.match(name):
            errors.append((pointer(name), "is not a valid CloudEvents attribute name"))
        elif not isinstance(value, str | int | bool):
            errors.append((pointer(name), "an extension attribute must be a string, integer or boolean"))


def _required_string(event: dict[str, Any], name: str, errors: list[tuple[str, str]]) -> str | None:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        errors.append((f"/{name}", "is required and must be a non-empty string"))
        return None
    return value


def _time(event: dict[str, Any], errors: list[tuple[str, str]]) -> datetime | None:
    value = event.get("time")
    if not isinstance(value, str) or not RFC3339.match(value):
        errors.append(("/time", "is required as an RFC 3339 date-time with T and an offset"))
        return None
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        errors.append(("/time", "is not an existing date-time"))
        return None
    if not 1900 <= moment.year <= 2100:
        errors.append(("/time", "must lie between the years 1900 and 2100"))
        return None
    return moment.astimezone(UTC)


def _data(model: type[EventData], data: Any, errors: list[tuple[str, str]]) -> EventData | None:
    try:
        return model.__pydantic_validator__.validate_python(data)  # what model_validate runs, without its wrapper
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            errors.append((pointer("data", *error["loc"]), _reason(error)))
        return None


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    if error.get("type") == "extra_forbidden":
        return "is not a known property"
    if error.get("type") == "missing":
        return "is required"
    return message.removeprefix("Value error, ")
