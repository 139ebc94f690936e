"""The language of a pledge's own text (title and description)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE (not a batch copy): on SQLite a copy would drop the full-text triggers.
    op.add_column("pledge", sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))


def downgrade() -> None:
    op.drop_column("pledge", "language")
