"""Connectivity indicators (observatory.indicators): observations by edition

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("area", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("imputed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["source_load.id"], name=op.f("fk_indicator_observation_load_id_source_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_observation")),
    )
    op.create_index("ix_indicator_observation_lookup", "indicator_observation", ["indicator", "area", "year"])
    op.create_index("ix_indicator_observation_load", "indicator_observation", ["load_id", "indicator"])
    op.create_table(
        "indicator_area_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=24), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["source_load.id"], name=op.f("fk_indicator_area_class_load_id_source_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_area_class")),
    )
    op.create_index("ix_indicator_area_class_load", "indicator_area_class", ["load_id", "scheme"])


def downgrade() -> None:
    op.drop_index("ix_indicator_area_class_load", table_name="indicator_area_class")
    op.drop_table("indicator_area_class")
    op.drop_index("ix_indicator_observation_load", table_name="indicator_observation")
    op.drop_index("ix_indicator_observation_lookup", table_name="indicator_observation")
    op.drop_table("indicator_observation")
