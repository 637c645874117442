# SPDX-License-Identifier: EUPL-1.2
"""Text from a client that Postgres can store: every free-text field of every API's input checks it."""

from __future__ import annotations

from pydantic import AfterValidator

STORABLE_REASON = "must not contain NUL or unpaired surrogate characters"


def storable_text(value: str) -> bool:
    """No NUL (Postgres' text and jsonb refuse it) and no unpaired surrogate (not UTF-8): otherwise the insert
    fails with a 500 where the client deserves a 400 naming the field."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value: str) -> str:
    if not storable_text(value):
        raise ValueError(STORABLE_REASON)
    return value


# In a field's Annotated[str, ...]: a 400 naming the field for text Postgres cannot store.
StorableText = AfterValidator(_storable)
