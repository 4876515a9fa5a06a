"""queue order index: urgent lane first, then priority, then id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_review_items_queue",
        "review_items",
        [sa.text("lane DESC"), sa.text("priority DESC"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_review_items_queue", table_name="review_items")
