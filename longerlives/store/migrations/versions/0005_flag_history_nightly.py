"""flag_history shaped for its nightly updates (issue 16, session 9).

Every night the run extends every open episode (``last_seen``, ``last_run_id``) — at
600,000 people about 2.3 million rows — and resolves the ones no longer raised
(``resolved_on``). Two changes make both cheap:

* The index on a person's episodes of a flag no longer holds ``resolved_on``
  (``ix_flag_history_open`` on nhs_number, flag, resolved_on → ``ix_flag_history_person_flag``
  on nhs_number, flag). Nothing queries by ``resolved_on`` through it (open episodes are read
  in one scan), and with it there, resolving an episode had to change an index entry.
* PostgreSQL only: half of each page is kept free (``fillfactor = 50``). A row updated on a
  full page moves to another page and every index gets a new entry; with room on the page,
  the new version stays beside the old one as a heap-only (HOT) update, as no indexed column
  changes. SQLite updates rows in place and has no such setting.

Measured at 100,000 people (379,012 episodes) on PostgreSQL: a night extending every episode
8.3–8.9 s → 2.6–2.8 s (the extension's UPDATE 6.9 s over ids on full pages → 1.0–1.5 s over a
condition with room on the page); a night resolving half of them 5.7–6.1 s → 3.3–3.5 s (index
without ``resolved_on``); the table and its indexes after three nights 186 MB → 94 MB.

Pages written from now on keep the room; an existing store's full pages gain it as their
rows move, or at once with ``VACUUM FULL flag_history`` in a quiet hour.

Revision ID: 0005_flag_history_nightly
Revises: 0004_web
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005_flag_history_nightly"
down_revision = "0004_web"
branch_labels = None
depends_on = None

FILLFACTOR = 50  # per cent of each page filled by new rows: room for one more version of each


def upgrade() -> None:
    op.drop_index("ix_flag_history_open", table_name="flag_history")
    op.create_index("ix_flag_history_person_flag", "flag_history", ["nhs_number", "flag"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE flag_history SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flag_history RESET (fillfactor)")
    op.drop_index("ix_flag_history_person_flag", table_name="flag_history")
    op.create_index("ix_flag_history_open", "flag_history", ["nhs_number", "flag", "resolved_on"])
