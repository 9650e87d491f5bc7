"""Retention: when a day's files and a discharged patient's personal data were purged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

``web.services.retention`` replaces an old import's files by a minimised copy (no addresses,
access notes or names; places coarsened) and keeps the drives its rotas were timed with
(``purged_travel``), so the day still opens and re-checks; it blanks a discharged patient's
personal fields and keeps the stays and the plan history. ``purged_at`` says when, on
imports, live-day events and patients. Nothing existing changes: every row is unpurged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("day_imports") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("purged_travel", sa.JSON(), nullable=True))
    with op.batch_alter_table("day_events") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("purged_at")
    with op.batch_alter_table("day_events") as batch:
        batch.drop_column("purged_at")
    with op.batch_alter_table("day_imports") as batch:
        batch.drop_column("purged_travel")
        batch.drop_column("purged_at")
