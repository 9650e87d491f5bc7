"""The job queue: one active job per day and one active capacity run, enforced by the database
(partial unique indexes on PostgreSQL and SQLite), and the attempt a worker owns a job by.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10

Before the unique indexes can be built, any day with more than one active job (the defect
this migration closes: two Generates at once on PostgreSQL) keeps its newest and the others
are marked failed; likewise all but the newest active capacity run.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('queued', 'running')"
DUPLICATE = "failed: a second active job for its day, closed by migration 0005"


def upgrade() -> None:
    with op.batch_alter_table("solve_jobs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("capacity_runs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("lane", sa.String(length=20), nullable=False, server_default="capacity")
        )
    op.execute(
        f"UPDATE solve_jobs SET state = 'failed', error = '{DUPLICATE}' WHERE {ACTIVE} "
        f"AND id NOT IN (SELECT MAX(id) FROM solve_jobs WHERE {ACTIVE} GROUP BY day_id)"
    )
    op.execute(
        f"UPDATE capacity_runs SET state = 'failed', error = '{DUPLICATE}' WHERE {ACTIVE} "
        f"AND id <> (SELECT MAX(id) FROM capacity_runs WHERE {ACTIVE})"
    )
    op.create_index(
        "uq_solve_jobs_active_day", "solve_jobs", ["day_id"], unique=True,
        sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE),
    )  # fmt: skip
    op.create_index(
        "uq_capacity_runs_active_lane", "capacity_runs", ["lane"], unique=True,
        sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_capacity_runs_active_lane", table_name="capacity_runs")
    op.drop_index("uq_solve_jobs_active_day", table_name="solve_jobs")
    with op.batch_alter_table("capacity_runs") as batch:
        batch.drop_column("lane")
        batch.drop_column("attempt")
    with op.batch_alter_table("solve_jobs") as batch:
        batch.drop_column("attempt")
