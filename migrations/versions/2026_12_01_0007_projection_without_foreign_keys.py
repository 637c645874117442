# SPDX-License-Identifier: EUPL-1.2
"""no foreign keys on the derived projection tables (ADR 0017)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:23:49.093786+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint, referred table, local column, referred column, ON DELETE)
FOREIGN_KEYS = [
    ("absence_weeks", "fk_absence_weeks_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("enrolment_ends", "fk_enrolment_ends_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("enrolment_periods", "fk_enrolment_periods_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("enrolment_periods", "fk_enrolment_periods_partner_id_partners", "partners", "partner_id", "id", None),
    ("episodes", "fk_episodes_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("episodes", "fk_episodes_start_partner_id_partners", "partners", "start_partner_id", "id", None),
    ("episodes", "fk_episodes_end_partner_id_partners", "partners", "end_partner_id", "id", None),
    ("facts", "fk_facts_event_seq_events", "events", "event_seq", "seq", "CASCADE"),
    ("facts", "fk_facts_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("facts", "fk_facts_partner_id_partners", "partners", "partner_id", "id", None),
    ("registrations", "fk_registrations_event_seq_events", "events", "event_seq", "seq", "CASCADE"),
    ("registrations", "fk_registrations_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
    ("youth_profiles", "fk_youth_profiles_youth_id_youths", "youths", "youth_id", "id", "CASCADE"),
]


def _tables() -> list[str]:
    return sorted({table for table, *_ in FOREIGN_KEYS})


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint in place (it copies the table); Postgres drops it directly.
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for _, name, *_rest in (fk for fk in FOREIGN_KEYS if fk[0] == table):
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for _, name, referred, local, remote, ondelete in (fk for fk in FOREIGN_KEYS if fk[0] == table):
                batch.create_foreign_key(name, referred, [local], [remote], ondelete=ondelete)
