"""Provenance of every external dataset load (observatory.sources.SourceLoad)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_load",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("organisation", sa.String(length=120), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("info_url", sa.Text(), nullable=False),
        sa.Column("edition", sa.String(length=60), nullable=False),
        sa.Column("data_date", sa.Date(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_load")),
    )
    op.create_index(op.f("ix_source_load_source"), "source_load", ["source"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_source_load_source"), table_name="source_load")
    op.drop_table("source_load")
