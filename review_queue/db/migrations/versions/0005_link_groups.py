"""link groups: the clusters of linked listings of the last linking run

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.JSON(), nullable=False),
        sa.Column("template", sa.Text(), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "listing_links",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("in_template", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["link_groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_index("ix_listing_links_group_id", "listing_links", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_listing_links_group_id", table_name="listing_links")
    op.drop_table("listing_links")
    op.drop_table("link_groups")
