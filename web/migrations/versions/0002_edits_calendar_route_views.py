"""Edits, re-optimisation, calendar links and route views: rota_versions gain ``parent_id``
and ``note``; solve_jobs gain ``base_version_id`` and ``keep_plan_min``; new tables
``calendar_tokens`` and ``route_views``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rota_versions") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key(
            "fk_rota_versions_parent", "rota_versions", ["parent_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    with op.batch_alter_table("solve_jobs") as batch:
        batch.add_column(sa.Column("base_version_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("keep_plan_min", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_solve_jobs_base_version", "rota_versions", ["base_version_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_calendar_tokens_user_id", "calendar_tokens", ["user_id"])
    op.create_table(
        "route_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("seen", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["day_id"], ["days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "day_id", name="uq_route_views_user_day"),
    )
    op.create_index("ix_route_views_day_id", "route_views", ["day_id"])


def downgrade() -> None:
    op.drop_index("ix_route_views_day_id", table_name="route_views")
    op.drop_table("route_views")
    op.drop_index("ix_calendar_tokens_user_id", table_name="calendar_tokens")
    op.drop_table("calendar_tokens")
    with op.batch_alter_table("solve_jobs") as batch:
        batch.drop_constraint("fk_solve_jobs_base_version", type_="foreignkey")
        batch.drop_column("keep_plan_min")
        batch.drop_column("base_version_id")
    with op.batch_alter_table("rota_versions") as batch:
        batch.drop_constraint("fk_rota_versions_parent", type_="foreignkey")
        batch.drop_column("note")
        batch.drop_column("parent_id")
