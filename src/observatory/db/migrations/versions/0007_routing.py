"""Routing analytics (observatory.routing)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_as_hegemony",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("data_date", sa.Date(), nullable=False),
        sa.Column("af", sa.SmallInteger(), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("hegemony", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["source_load.id"], name=op.f("fk_routing_as_hegemony_load_id_source_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_as_hegemony")),
    )
    op.create_index("ix_routing_as_hegemony_date_asn", "routing_as_hegemony", ["data_date", "asn"], unique=False)
    op.create_index(op.f("ix_routing_as_hegemony_load_id"), "routing_as_hegemony", ["load_id"], unique=False)
    op.create_table(
        "routing_country_dependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("data_date", sa.Date(), nullable=False),
        sa.Column("af", sa.SmallInteger(), nullable=False),
        sa.Column("weighting", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("dependency", sa.Float(), nullable=False),
        sa.Column("transit_dependency", sa.Float(), nullable=False),
        sa.Column("origins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["source_load.id"], name=op.f("fk_routing_country_dependency_load_id_source_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_country_dependency")),
    )
    op.create_index(
        "ix_routing_country_dependency_country_date",
        "routing_country_dependency",
        ["country", "data_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_routing_country_dependency_load_id"), "routing_country_dependency", ["load_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_routing_country_dependency_load_id"), table_name="routing_country_dependency")
    op.drop_index("ix_routing_country_dependency_country_date", table_name="routing_country_dependency")
    op.drop_table("routing_country_dependency")
    op.drop_index(op.f("ix_routing_as_hegemony_load_id"), table_name="routing_as_hegemony")
    op.drop_index("ix_routing_as_hegemony_date_asn", table_name="routing_as_hegemony")
    op.drop_table("routing_as_hegemony")
