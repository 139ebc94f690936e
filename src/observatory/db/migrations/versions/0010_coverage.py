"""Coverage of infrastructure figures, AS names, and IHR's IXP dependency results

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _load(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["load_id"], ["source_load.id"], name=op.f(f"fk_{table}_load_id_source_load")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    with op.batch_alter_table("net_indicator") as batch:
        batch.add_column(sa.Column("missing", sa.String(length=200), nullable=False, server_default=""))
    op.create_table(
        "net_as_name",
        *_load("net_as_name"),
        sa.Column("asn", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
    )
    op.create_index(op.f("ix_net_as_name_load_id"), "net_as_name", ["load_id"], unique=False)
    op.create_index(op.f("ix_net_as_name_asn"), "net_as_name", ["asn"], unique=False)
    op.create_table(
        "net_ixp_dependency",
        *_load("net_ixp_dependency"),
        sa.Column("measurement", sa.String(length=10), nullable=False),
        sa.Column("ixp_key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        *(
            sa.Column(c, sa.BigInteger(), nullable=True)
            for c in (
                "peers",
                "peers_national",
                "peers_international",
                "peers_seen",
                "traceroutes",
                "dependencies",
                "dependencies_national",
                "dependencies_international",
                "dependent_peers",
                "dependent_peers_national",
            )
        ),
        sa.Column("regionality", sa.Float(), nullable=True),
    )
    op.create_index(op.f("ix_net_ixp_dependency_load_id"), "net_ixp_dependency", ["load_id"], unique=False)
    op.create_table(
        "net_ixp_dependency_scope",
        *_load("net_ixp_dependency_scope"),
        sa.Column("measurement", sa.String(length=10), nullable=False),
        sa.Column("ixp_key", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("asn", sa.BigInteger(), nullable=True),
        sa.Column("scopes", sa.BigInteger(), nullable=False),
        sa.Column("asn_count", sa.BigInteger(), nullable=False),
    )
    op.create_index(op.f("ix_net_ixp_dependency_scope_load_id"), "net_ixp_dependency_scope", ["load_id"], unique=False)


def downgrade() -> None:
    op.drop_table("net_ixp_dependency_scope")
    op.drop_table("net_ixp_dependency")
    op.drop_table("net_as_name")
    with op.batch_alter_table("net_indicator") as batch:
        batch.drop_column("missing")
