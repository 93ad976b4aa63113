"""The web worklist (issue 13): a per-run worklist snapshot, users, sessions, an
audit trail of views and changes, allocations, and who recorded each outcome.

Additive only: earlier runs, letters, flag history and outcomes keep every value.
``outreach_outcomes.result`` widens to 32 characters (``wrong_contact_details``).

Revision ID: 0004_web
Revises: 0003_coverage
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0003_coverage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worklist_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("person_key", sa.String(32), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("practice_code", sa.String(16), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("urgency_order", sa.Integer(), nullable=False),
        sa.Column("marginalisation_rank", sa.Integer(), nullable=True),
        sa.Column("outreach", sa.Boolean(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("flag_words", sa.Text(), nullable=True),
        sa.Column("kinds", sa.String(128), nullable=True),
        sa.Column("safety", sa.Text(), nullable=True),
        sa.Column("reasons_json", sa.Text(), nullable=True),
        sa.Column("plan_json", sa.Text(), nullable=True),
        sa.Column("outreach_reasons", sa.Text(), nullable=True),
        sa.Column("lead", sa.Text(), nullable=True),
        sa.Column("communication_needs", sa.Text(), nullable=True),
        sa.Column("reasonable_adjustments", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("last_letter", sa.Date(), nullable=True),
        sa.Column("letter_this_run", sa.Text(), nullable=True),
        sa.Column("letter_note", sa.Text(), nullable=True),
        sa.Column("risk_json", sa.Text(), nullable=True),
    )
    op.create_index("ix_worklist_entries_list", "worklist_entries", ["run_id", "team", "urgency_order", "priority"])
    op.create_index("ix_worklist_entries_person", "worklist_entries", ["run_id", "person_key"])
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("teams", sa.Text(), nullable=True),
        sa.Column("auth_provider", sa.String(32), nullable=False),
        sa.Column("external_subject", sa.String(255), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "web_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("team", sa.String(32), nullable=True),
        sa.Column("person_key", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_web_audit_at", "web_audit", ["at"])
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("allocated_by", sa.String(64), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_allocations_nhs_number", "allocations", ["nhs_number"])
    op.create_table(
        "web_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    with op.batch_alter_table("outreach_outcomes") as batch:
        batch.alter_column("result", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False)
        batch.add_column(sa.Column("recorded_by", sa.String(64), nullable=True))
    op.create_index("ix_outreach_outcomes_date", "outreach_outcomes", ["nhs_number", "outcome_date"])


def downgrade() -> None:
    op.drop_index("ix_outreach_outcomes_date", table_name="outreach_outcomes")
    with op.batch_alter_table("outreach_outcomes") as batch:
        batch.drop_column("recorded_by")
        batch.alter_column("result", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False)
    for table in ("web_keys", "allocations", "web_audit", "web_sessions", "web_users", "worklist_entries"):
        op.drop_table(table)
