"""First run store: runs, flag history, letters issued.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("engine_version", sa.String(32), nullable=True),
        sa.Column("out_dir", sa.Text(), nullable=True),
        sa.Column("people_in_scope", sa.Integer(), nullable=True),
        sa.Column("open_flags", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_runs_as_of", "runs", ["as_of"])
    op.create_table(
        "flag_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("first_run_id", sa.String(64), nullable=False),
        sa.Column("last_run_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_flag_history_open", "flag_history", ["nhs_number", "flag", "resolved_on"])
    op.create_table(
        "letters_issued",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("letter", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("format", sa.String(16), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=True),
        sa.UniqueConstraint("nhs_number", "letter", "issued_on", name="uq_letter_once_a_day"),
    )
    op.create_index("ix_letters_issued_run_id", "letters_issued", ["run_id"])
    op.create_index("ix_letters_issued_nhs_number", "letters_issued", ["nhs_number"])


def downgrade() -> None:
    op.drop_table("letters_issued")
    op.drop_table("flag_history")
    op.drop_table("runs")
