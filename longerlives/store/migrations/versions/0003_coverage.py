"""Coverage numbers per run (issue 14): one row per measure x breakdown x group, so the
report can draw trends across nights. Raw counts (the store is private); suppression is
applied when they are shown.

Revision ID: 0003_coverage
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_coverage"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("group_by", sa.String(32), nullable=False),
        sa.Column("group", sa.String(128), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
    )
    op.create_index("ix_coverage_run_id", "coverage", ["run_id"])
    op.create_index("ix_coverage_measure_group", "coverage", ["measure", "group_by", "group"])


def downgrade() -> None:
    op.drop_index("ix_coverage_measure_group", table_name="coverage")
    op.drop_index("ix_coverage_run_id", table_name="coverage")
    op.drop_table("coverage")
