"""The live day's events and the proposals answering them: new table ``day_events``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "day_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("visits_csv", sa.LargeBinary(), nullable=True),
        sa.Column("clinicians_csv", sa.LargeBinary(), nullable=True),
        sa.Column("proposals", sa.JSON(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=True),
        sa.Column("draft_version_id", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["day_id"], ["days.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["base_version_id"], ["rota_versions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["draft_version_id"], ["rota_versions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_day_events_day_id", "day_events", ["day_id"])


def downgrade() -> None:
    op.drop_index("ix_day_events_day_id", table_name="day_events")
    op.drop_table("day_events")
