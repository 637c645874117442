# SPDX-License-Identifier: EUPL-1.2
"""Rotating the encryption key and the pseudonym key (docs/security.md, "Rotating the keys").

Encryption: with `GLANSRIJK_ENCRYPTION_KEY=new,old` every process encrypts with the new key and still decrypts
with the old; `reencrypt` then rewrites every stored ciphertext under the new key, after which the old key can
be dropped. Pseudonyms: `repseudonymise` recomputes every youth's pseudonym under a new key from its encrypted
identifier; intake must be stopped while it runs and until every process has the new key, or an event could
find no youth and create a second one. Both work in chunks, each its own transaction, and can be run again
after an interruption: they only ever write what the current keys produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from services.core import repository_secrets as repository
from services.core.db import transaction
from services.core.identity import decrypt, pseudonym_under
from services.core.identity import reencrypt as rotate
from services.core.settings import Settings

CHUNK = 1000


@dataclass(frozen=True)
class Rotated:
    youths: int
    subscriptions: int = 0


def reencrypt() -> Rotated:
    """Every youth's identifier, and every subscription's secrets and token, under the newest encryption key."""
    youths, after = 0, None
    while True:
        with transaction() as session:
            rows = repository.youths_with_identifier(session, after, CHUNK)
            for youth_id, _kind, token in rows:
                repository.set_youth_ciphertext(session, youth_id, rotate(token))
        if not rows:
            break
        youths += len(rows)
        after = rows[-1][0]
    with transaction() as session:
        subscriptions = repository.subscription_secrets(session)
        for subscription_id, secret, previous, auth_token in subscriptions:
            repository.set_subscription_secrets(
                session,
                subscription_id,
                rotate(secret),
                rotate(previous) if previous is not None else None,
                rotate(auth_token) if auth_token is not None else None,
            )
    return Rotated(youths, len(subscriptions))


def check_pseudonym_key(new_key: str) -> str:
    """The key as the settings would accept it (at least 32 characters), or ValueError."""
    Settings.model_validate({"pseudonym_key": new_key})
    return new_key


def repseudonymise(new_key: str) -> Rotated:
    """Every youth whose identifier is kept gets the pseudonym `new_key` gives it. Erased youths keep their random
    pseudonym: nothing can find them, by design."""
    secret = check_pseudonym_key(new_key)
    youths, after = 0, None
    while True:
        with transaction() as session:
            rows = repository.youths_with_identifier(session, after, CHUNK)
            for youth_id, kind, token in rows:
                pseudonym = pseudonym_under(secret, kind, decrypt(token))
                repository.set_youth_pseudonym(session, youth_id, pseudonym)
        if not rows:
            break
        youths += len(rows)
        after = rows[-1][0]
    return Rotated(youths)


secrets_app = typer.Typer(help="Rotating the encryption and pseudonym keys (docs/security.md).")


@secrets_app.command("reencrypt")
def reencrypt_command() -> None:
    """Rewrite every stored ciphertext under the first key of GLANSRIJK_ENCRYPTION_KEY."""
    rotated = reencrypt()
    typer.echo(f"re-encrypted {rotated.youths} identifiers and {rotated.subscriptions} subscriptions' secrets")


@secrets_app.command("repseudonymise")
def repseudonymise_command(
    new_key_file: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, readable=True, help="a file holding the new key")
    ],
) -> None:
    """Recompute every pseudonym under the new key (intake stopped; then set GLANSRIJK_PSEUDONYM_KEY to it)."""
    # From a file, never an argument: a command line is visible to every user of the machine (ps).
    try:
        rotated = repseudonymise(new_key_file.read_text(encoding="utf-8").strip())
    except ValueError:
        typer.echo("error: the new pseudonym key must be at least 32 characters of secret random data", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"re-pseudonymised {rotated.youths} youths: now set GLANSRIJK_PSEUDONYM_KEY to the new key")
