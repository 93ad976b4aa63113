"""Outreach outcomes, the export/delivery audit trail, and trend columns on runs.

Additive only: existing runs keep every value; the new trend columns are empty for
runs made before this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _new_run_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("config_hash", sa.String(64), nullable=True),
        sa.Column("health_check_cohort", sa.Integer(), nullable=True),
        sa.Column("phc_six_complete", sa.Integer(), nullable=True),
        sa.Column("flags_opened", sa.Integer(), nullable=True),
        sa.Column("flags_closed", sa.Integer(), nullable=True),
        sa.Column("letters_issued", sa.Integer(), nullable=True),
        sa.Column("outcomes_applied", sa.Integer(), nullable=True),
        sa.Column("summary_json", sa.Text(), nullable=True),
    )


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        for col in _new_run_columns():
            batch.add_column(col)
    op.create_table(
        "outreach_outcomes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_outreach_outcomes_nhs_number", "outreach_outcomes", ["nhs_number"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("practice_code", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_events_run_id", "audit_events", ["run_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("outreach_outcomes")
    with op.batch_alter_table("runs") as batch:
        for col in reversed(_new_run_columns()):
            batch.drop_column(col.name)
