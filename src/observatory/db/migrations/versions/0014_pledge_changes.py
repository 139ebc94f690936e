"""Which pledges each registry revision changed (the pledge index updates in place), and the newest
change of each kind of record in one index lookup, and a revision of the loaded data (cached pages)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pledge_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_change")),
    )
    op.create_index(op.f("ix_pledge_change_revision"), "pledge_change", ["revision"], unique=False)
    op.create_index("ix_audit_entry_latest", "audit_entry", ["entity", "id"], unique=False)
    data_revision = op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_revision")),
    )
    op.bulk_insert(data_revision, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("data_revision")
    op.drop_index("ix_audit_entry_latest", table_name="audit_entry")
    op.drop_index(op.f("ix_pledge_change_revision"), table_name="pledge_change")
    op.drop_table("pledge_change")
