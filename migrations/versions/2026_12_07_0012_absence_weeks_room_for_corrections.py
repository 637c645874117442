# SPDX-License-Identifier: EUPL-1.2
"""absence_weeks keeps a tenth of each page free: corrections stay on their page, new weeks go to the end (ADR 0040)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Takes effect for the rows written from now on; the pages already full are not rewritten (that would lock the
# table for as long as copying it takes). New weeks stop filling the single-row gaps older corrections left.
def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no storage parameters
        op.execute("ALTER TABLE absence_weeks SET (fillfactor = 90)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE absence_weeks RESET (fillfactor)")
