# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk youths ...` and `glansrijk retention`: the privacy officer's requests, carried out by the operator
(ADR 0025). Each command is audited with no key and the stated purpose (e.g. the request's case number)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from services.core.db import transaction
from services.core.problems import Problem
from services.privacy import erasure, service
from services.privacy.schemas import ObjectionCreate

youths_app = typer.Typer(help="A youth's rights (AVG art. 15, 17, 21) on the privacy officer's request; audited.")
Purpose = Annotated[str, typer.Option("--purpose", help="why: the request or decision it carries out (audited)")]


def _actor(command: str, purpose: str) -> service.Actor:
    if not purpose.strip():
        raise typer.BadParameter("must not be empty", param_hint="--purpose")
    return service.Actor(caller=None, endpoint=f"cli youths {command}", purpose=purpose.strip()[:200])


def _fail(problem: Problem) -> NoReturn:
    typer.echo(f"error: {problem.detail}", err=True)
    raise typer.Exit(1)


def _print(carry_out: Callable[[Session], Any]) -> None:
    """Run one request in a transaction and print its answer as JSON (a model in its API form); a refusal
    (no such youth) is one error line and exit code 1."""
    try:
        with transaction() as session:
            body = carry_out(session)
    except Problem as problem:
        _fail(problem)
    typer.echo(json.dumps(body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else body))


@youths_app.command("audit")
def audit(youth_id: Annotated[str, typer.Argument()], purpose: Purpose) -> None:
    """Print who saw or changed the youth's data, when and why (JSON)."""
    actor = _actor("audit", purpose)
    _print(lambda session: service.audit_log(session, actor, youth_id))


@youths_app.command("export")
def export(youth_id: Annotated[str, typer.Argument()], purpose: Purpose) -> None:
    """Print everything held about the youth (JSON), for its right of access."""
    actor = _actor("export", purpose)
    _print(lambda session: service.export(session, actor, youth_id))


@youths_app.command("object")
def object_(
    youth_id: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="the youth's reason, at most 500 characters")],
    purpose: Purpose,
) -> None:
    """Record the youth's objection: only the rules of a legal duty raise signals about it from now on."""
    actor = _actor("object", purpose)
    if not 1 <= len(reason) <= 500:
        raise typer.BadParameter("1 to 500 characters", param_hint="--reason")
    _print(lambda session: service.object_to_rules(session, actor, youth_id, ObjectionCreate(reason=reason)))


@youths_app.command("erase")
def erase(youth_id: Annotated[str, typer.Argument()], purpose: Purpose) -> None:
    """Erase everything held about the youth (AVG art. 17); published numbers and the audit log stay."""
    actor = _actor("erase", purpose)
    _print(lambda session: {"erased": youth_id, "snapshotRowsKept": erasure.erase(session, actor, youth_id)})


def retention() -> None:
    """Erase youths without activity for GLANSRIJK_RETENTION_YEARS and old webhook deliveries (what beat runs daily)."""
    from services.privacy.tasks import retention as run

    outcome = run()
    summary = {
        "erased": len(outcome.erased),
        "keptInTargetGroup": outcome.kept_in_target_group,
        "snapshotRowsKept": outcome.snapshot_rows_kept,
        "deliveriesDeleted": outcome.deliveries_deleted,
    }
    typer.echo(json.dumps(summary))
