"""The caseload: patients, their admissions, and the care plan items of each stay.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

A day's visits were a file the coordinator prepared each day; from here they can follow from
the caseload held in the app (``web.services.caseload``). Care plan items are kept, not
rewritten: a regimen change ends the old item and adds one that points back at it
(``replaces_id``), so what was planned on any day can be read again. Nothing existing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("access_notes", sa.Text(), nullable=False),
        sa.Column("risk_flags", sa.JSON(), nullable=False),
        sa.Column("excluded_clinicians", sa.JSON(), nullable=False),
        sa.Column("carer_gender", sa.String(length=1), nullable=False),
        sa.Column("preferred_clinician", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id"),
        sa.UniqueConstraint("nhs_number"),
    )
    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("discharge_note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("discharged_by_id", sa.Integer(), nullable=True),
        sa.Column("discharged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["discharged_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admissions_patient_id", "admissions", ["patient_id"])
    op.create_table(
        "care_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("regimen", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("first_time", sa.Time(), nullable=True),
        sa.Column("tolerance_min", sa.Integer(), nullable=True),
        sa.Column("duration_min", sa.Integer(), nullable=True),
        sa.Column("run_hours", sa.Float(), nullable=True),
        sa.Column("line", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("staff", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["replaces_id"], ["care_plan_items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["ended_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_care_plan_items_admission_id", "care_plan_items", ["admission_id"])
    op.create_index("ix_care_plan_items_patient_id", "care_plan_items", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_care_plan_items_patient_id", table_name="care_plan_items")
    op.drop_index("ix_care_plan_items_admission_id", table_name="care_plan_items")
    op.drop_table("care_plan_items")
    op.drop_index("ix_admissions_patient_id", table_name="admissions")
    op.drop_table("admissions")
    op.drop_table("patients")
