"""Progress reports with yearly commitments and disbursements, reviewed by the secretariat; deliverables;
reminders; organisations' other names

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLEs (no batch copy: on SQLite a copy of pledge-related tables would drop triggers).
    op.add_column("progress_report", sa.Column("usd_committed", sa.Float(), nullable=True))
    op.add_column("progress_report", sa.Column("completed_on", sa.Date(), nullable=True))
    op.add_column("progress_report", sa.Column("status_reason", sa.Text(), nullable=False, server_default=""))
    op.add_column("progress_report", sa.Column("finance_note", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "progress_report", sa.Column("review_state", sa.String(length=20), nullable=False, server_default="published")
    )
    op.add_column("progress_report", sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
    # usd_disbursed was "disbursed to date" (cumulative); it becomes "disbursed in that year".
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, pledge_id, usd_disbursed FROM progress_report ORDER BY pledge_id, year")
    ).all()
    previous: dict[int, float] = {}
    for report_id, pledge_id, to_date in rows:
        if to_date is None:
            continue
        before = previous.get(pledge_id, 0.0)
        in_year = to_date - before if to_date >= before else None  # a falling "to date" cannot be split
        previous[pledge_id] = max(before, to_date)
        bind.execute(
            sa.text("UPDATE progress_report SET usd_disbursed = :v WHERE id = :id"), {"v": in_year, "id": report_id}
        )
    op.add_column("organisation", sa.Column("other_names", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "deliverable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledge.id"], name=op.f("fk_deliverable_pledge_id_pledge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliverable")),
    )
    op.create_index(op.f("ix_deliverable_pledge_id"), "deliverable", ["pledge_id"])
    op.create_table(
        "deliverable_update",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["progress_report.id"],
            name=op.f("fk_deliverable_update_report_id_progress_report"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deliverable_id"], ["deliverable.id"],
            name=op.f("fk_deliverable_update_deliverable_id_deliverable"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "deliverable_id", name=op.f("pk_deliverable_update")),
    )  # fmt: skip
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("report_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sent_to", sa.String(length=320), nullable=False),
        sa.Column("sent_by", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledge.id"], name=op.f("fk_reminder_pledge_id_pledge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
    )
    op.create_index(op.f("ix_reminder_pledge_id"), "reminder", ["pledge_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_pledge_id"), table_name="reminder")
    op.drop_table("reminder")
    op.drop_table("deliverable_update")
    op.drop_index(op.f("ix_deliverable_pledge_id"), table_name="deliverable")
    op.drop_table("deliverable")
    op.drop_column("organisation", "other_names")
    for column in ("review_note", "review_state", "finance_note", "status_reason", "completed_on", "usd_committed"):
        op.drop_column("progress_report", column)
