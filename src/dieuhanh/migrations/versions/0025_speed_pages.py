"""speed_pages: covering indexes for the Open311 list of reports (GET /open311/v2/requests)

The list filters by service, window and the Open311 status *shown* (a merged duplicate shows its main report's)
and orders by creation time; with these two indexes the question is answered from the index alone — service (or
not), creation time, status, merge and last change — without reading a single report row; only the reports whose
encoded answer is not kept already are read in full (see feedback/open311.py).

Revision ID: 0025_speed_pages
Revises: 0024_inspections_balance
Create Date: 2026-12-07 10:20:00
"""

from alembic import op

revision = '0025_speed_pages'
down_revision = '0024_inspections_balance'
branch_labels = None
depends_on = None

COLUMNS = ["status", "duplicate_of_id", "updated_at"]


def upgrade() -> None:
    op.create_index("ix_feedback_report_open311_service", "feedback_report",
                    ["category_code", "created_at", *COLUMNS])
    op.create_index("ix_feedback_report_open311_window", "feedback_report", ["created_at", *COLUMNS])


def downgrade() -> None:
    op.drop_index("ix_feedback_report_open311_window", table_name="feedback_report")
    op.drop_index("ix_feedback_report_open311_service", table_name="feedback_report")
