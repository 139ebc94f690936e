"""People reached by a pledge as a 64-bit number (a 32-bit column stops at 2,147,483,647)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite's INTEGER already holds 64 bits; only PostgreSQL's column changes.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("progress_report", "people_reached", type_=sa.BigInteger(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("progress_report", "people_reached", type_=sa.Integer(), existing_nullable=True)
