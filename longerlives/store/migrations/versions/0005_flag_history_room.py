"""Room on each page of flag_history for the nightly extension (issue 16, session 9).

Every night the run extends every open episode (``last_seen``, ``last_run_id``): at
600,000 people about 2.3 million rows. On PostgreSQL a row updated on a full page moves to
another page and every index gets a new entry. With half of each page kept free
(``fillfactor = 50``) the new version stays on the same page as a heap-only (HOT) update:
neither column is indexed, so no index changes. Measured at 100,000 people (379,012
episodes, three nights): extension 8.3–8.9 s → 1.0–1.5 s; the table and its indexes
186 MB → 94 MB (updates no longer bloat the indexes).

Pages written from now on keep the room; an existing store's full pages gain it as their
rows move, or at once with ``VACUUM FULL flag_history`` in a quiet hour. SQLite has no such
setting (its rows are updated in place): nothing changes there.

Revision ID: 0005_flag_history_room
Revises: 0004_web
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005_flag_history_room"
down_revision = "0004_web"
branch_labels = None
depends_on = None

FILLFACTOR = 50  # per cent of each page filled by new rows: room for one more version of each


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE flag_history SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flag_history RESET (fillfactor)")
