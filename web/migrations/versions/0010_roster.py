"""The roster: the staff on shift per planning day, from the e-roster's export or entered.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

A day planned from the caseload needed a clinicians.csv uploaded for that day, every day. The
trust's e-roster exports weeks ahead; ``web.services.roster`` stores it here, one duty per
clinician and planning day (``roster_duties``, unique), each import's period and counts in
``roster_imports``. A re-import replaces its period's duties in one transaction; a duty
entered on the web says so (``source``); retention minimises a past day's duties as it does
a day's uploads (``purged_at``). Nothing existing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("duties_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("replaced_count", sa.Integer(), nullable=False),
        sa.Column("replaced_entered", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "roster_duties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clinician_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("break_min", sa.Integer(), nullable=False),
        sa.Column("break_earliest", sa.DateTime(), nullable=True),
        sa.Column("break_latest", sa.DateTime(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("base", sa.String(length=200), nullable=False),
        sa.Column("duty_code", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["roster_imports.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "clinician_id", name="uq_roster_duties_day_clinician"),
    )
    op.create_index("ix_roster_duties_day", "roster_duties", ["day"])
    op.create_index("ix_roster_duties_import_id", "roster_duties", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_roster_duties_import_id", table_name="roster_duties")
    op.drop_index("ix_roster_duties_day", table_name="roster_duties")
    op.drop_table("roster_duties")
    op.drop_table("roster_imports")
