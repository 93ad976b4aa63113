"""No index that another index already begins with (issue 16, session 14).

Two indexes held only a column that a second index of the same table starts with:

* ``ix_letters_issued_nhs_number`` (nhs_number) beside the unique ``uq_letter_once_a_day``
  (nhs_number, letter, issued_on);
* ``ix_outreach_outcomes_nhs_number`` (nhs_number) beside ``ix_outreach_outcomes_date``
  (nhs_number, outcome_date).

A lookup by NHS number uses the longer index just as well (SQLite and PostgreSQL both search
an index by its leading columns), so the short one only cost writes: every letter a night
issues was entered into three indexes instead of two. Measured at 100,000 people (89,158
letters, ``record_letters`` alone, SQLite): 0.82–1.11 s → 0.61–0.83 s.

Revision ID: 0006_no_repeated_indexes
Revises: 0005_flag_history_nightly
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006_no_repeated_indexes"
down_revision = "0005_flag_history_nightly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_letters_issued_nhs_number", table_name="letters_issued")
    op.drop_index("ix_outreach_outcomes_nhs_number", table_name="outreach_outcomes")


def downgrade() -> None:
    op.create_index("ix_outreach_outcomes_nhs_number", "outreach_outcomes", ["nhs_number"])
    op.create_index("ix_letters_issued_nhs_number", "letters_issued", ["nhs_number"])
