# SPDX-License-Identifier: EUPL-1.2
"""Free text Postgres cannot store (NUL, an unpaired surrogate) is refused by every API's input models, naming
the field, instead of failing the insert with a 500."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.core.text import STORABLE_REASON, storable_text
from services.privacy.schemas import ObjectionCreate
from services.reporting.schemas import MeasurementCreate
from services.signals.schemas import CloseReasonCreate, HandoverCreate, HandoverUpdate
from services.signals.schemas_subscriptions import SubscriptionCreate, SubscriptionUpdate

PARTNER = "6f1c2b1e-0a4e-4c6b-9a53-2f5e3d0f7c11"
URL = "https://93.184.215.14/hooks/glansrijk"
TYPES = ["nl.glansrijk.signal.raised"]
UNSTORABLE = ["a\x00b", "a\ud800b"]


@pytest.mark.parametrize("value", ["", "gewoon", "één ✓", "\U0001f600", "a\tb\nc"])
def test_text_postgres_stores_is_storable(value: str) -> None:
    assert storable_text(value)


@pytest.mark.parametrize("value", UNSTORABLE)
def test_nul_and_an_unpaired_surrogate_are_not(value: str) -> None:
    assert not storable_text(value)


# (model, a valid body, the free-text field's JSON name)
FREE_TEXT: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (CloseReasonCreate, {"code": "other"}, "note"),
    (HandoverCreate, {"toPartnerId": PARTNER}, "reason"),
    (HandoverUpdate, {"status": "declined"}, "reason"),
    (SubscriptionCreate, {"url": URL, "types": TYPES}, "description"),
    (SubscriptionCreate, {"types": TYPES}, "url"),
    (SubscriptionUpdate, {}, "description"),
    (MeasurementCreate, {"date": "2026-01-31"}, "label"),
    (ObjectionCreate, {}, "reason"),
]


@pytest.mark.parametrize(("model", "body", "field"), FREE_TEXT, ids=lambda v: getattr(v, "__name__", None))
def test_every_free_text_input_accepts_text_and_refuses_what_postgres_cannot_store(
    model: type[BaseModel], body: dict[str, Any], field: str
) -> None:
    model.model_validate({**body, field: "één ✓" if field != "url" else URL})
    for value in UNSTORABLE:
        with pytest.raises(ValidationError) as refused:
            model.model_validate({**body, field: value})
        [error] = refused.value.errors()
        assert error["loc"] == (field,)
        if "\x00" in value:  # an unpaired surrogate some str types refuse before our check
            assert STORABLE_REASON in error["msg"]
