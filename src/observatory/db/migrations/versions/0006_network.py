"""Internet infrastructure (observatory.network): dated snapshots and indicators

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "net_as_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("asn1", sa.BigInteger(), nullable=False),
        sa.Column("asn2", sa.BigInteger(), nullable=False),
        sa.Column("relationship", sa.SmallInteger(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_as_link_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_as_link")),
    )
    op.create_index(op.f("ix_net_as_link_load_id"), "net_as_link", ["load_id"], unique=False)
    op.create_table(
        "net_delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("rir", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("is_country", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("start", sa.String(length=45), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("delegated", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_delegation_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_delegation")),
    )
    op.create_index(op.f("ix_net_delegation_load_id"), "net_delegation", ["load_id"], unique=False)
    op.create_table(
        "net_eyeballs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("users", sa.BigInteger(), nullable=False),
        sa.Column("country_share", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_eyeballs_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_eyeballs")),
    )
    op.create_index(op.f("ix_net_eyeballs_load_id"), "net_eyeballs", ["load_id"], unique=False)
    op.create_table(
        "net_facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("facility_key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("is_country", sa.Boolean(), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_facility_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_facility")),
    )
    op.create_index(op.f("ix_net_facility_load_id"), "net_facility", ["load_id"], unique=False)
    op.create_table(
        "net_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_indicator_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_indicator")),
    )
    op.create_index("ix_net_indicator_country_code_date", "net_indicator", ["country", "code", "date"], unique=False)
    op.create_index(op.f("ix_net_indicator_load_id"), "net_indicator", ["load_id"], unique=False)
    op.create_table(
        "net_ixp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("ixp_key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("is_country", sa.Boolean(), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_ixp_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_ixp")),
    )
    op.create_index(op.f("ix_net_ixp_load_id"), "net_ixp", ["load_id"], unique=False)
    op.create_table(
        "net_ixp_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("ixp_key", sa.String(length=40), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_ixp_member_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_ixp_member")),
    )
    op.create_index(op.f("ix_net_ixp_member_load_id"), "net_ixp_member", ["load_id"], unique=False)
    op.create_table(
        "net_ixp_prefix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("ixp_key", sa.String(length=40), nullable=False),
        sa.Column("prefix", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_ixp_prefix_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_ixp_prefix")),
    )
    op.create_index(op.f("ix_net_ixp_prefix_load_id"), "net_ixp_prefix", ["load_id"], unique=False)
    op.create_table(
        "net_prefix_origin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=50), nullable=False),
        sa.Column("origins", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f("fk_net_prefix_origin_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_prefix_origin")),
    )
    op.create_index(op.f("ix_net_prefix_origin_load_id"), "net_prefix_origin", ["load_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_net_prefix_origin_load_id"), table_name="net_prefix_origin")
    op.drop_table("net_prefix_origin")
    op.drop_index(op.f("ix_net_ixp_prefix_load_id"), table_name="net_ixp_prefix")
    op.drop_table("net_ixp_prefix")
    op.drop_index(op.f("ix_net_ixp_member_load_id"), table_name="net_ixp_member")
    op.drop_table("net_ixp_member")
    op.drop_index(op.f("ix_net_ixp_load_id"), table_name="net_ixp")
    op.drop_table("net_ixp")
    op.drop_index(op.f("ix_net_indicator_load_id"), table_name="net_indicator")
    op.drop_index("ix_net_indicator_country_code_date", table_name="net_indicator")
    op.drop_table("net_indicator")
    op.drop_index(op.f("ix_net_facility_load_id"), table_name="net_facility")
    op.drop_table("net_facility")
    op.drop_index(op.f("ix_net_eyeballs_load_id"), table_name="net_eyeballs")
    op.drop_table("net_eyeballs")
    op.drop_index(op.f("ix_net_delegation_load_id"), table_name="net_delegation")
    op.drop_table("net_delegation")
    op.drop_index(op.f("ix_net_as_link_load_id"), table_name="net_as_link")
    op.drop_table("net_as_link")
