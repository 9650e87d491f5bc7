"""Live-day events through the job queue: an event is stored at once, queued, and a worker
works out its proposals; the row carries the state a runner needs (as solve jobs do since 0005).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``state`` is queued / running / ready / failed, ``attempt`` the attempt a worker owns it by,
``heartbeat_at`` its lease, ``error`` why it failed, ``inputs`` what the request took (the
form, the visits reported arrived or done, the import a re-plan carries over to) so a worker
on another machine answers exactly the event that was taken. Events from before this
migration were answered in the request: they are ``ready``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("day_events") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="ready")
        )
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("stop_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))
    op.create_index("ix_day_events_state", "day_events", ["state"])


def downgrade() -> None:
    op.drop_index("ix_day_events_state", table_name="day_events")
    with op.batch_alter_table("day_events") as batch:
        for name in ("inputs", "error", "finished_at", "heartbeat_at", "started_at",
                     "stop_requested", "attempt", "state"):  # fmt: skip
            batch.drop_column(name)
