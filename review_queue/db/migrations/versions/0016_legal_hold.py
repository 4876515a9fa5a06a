"""legal hold: a flag on review items and link groups, the listings a group's hold covers, and
the indexes the purge deletes by

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

HOLD_TABLES = ("review_items", "link_groups")
# (index, table, column): foreign keys the purge deletes by; the database checks each of
# them when it deletes the row they refer to
INDEXES = (
    ("ix_decisions_item_id", "decisions", "item_id"),
    ("ix_review_items_listing_id", "review_items", "listing_id"),
    ("ix_review_items_score_id", "review_items", "score_id"),
    ("ix_link_entries_version_id", "link_entries", "version_id"),
    ("ix_listings_current_version_id", "listings", "current_version_id"),
)


def upgrade() -> None:
    for table in HOLD_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch.add_column(sa.Column("legal_hold_by", sa.String(length=100), nullable=True))
            batch.add_column(sa.Column("legal_hold_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("legal_hold_reason", sa.Text(), nullable=True))
    op.create_table(
        "held_listings",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["link_groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.PrimaryKeyConstraint("group_id", "listing_id"),
    )
    op.create_index("ix_held_listings_listing_id", "held_listings", ["listing_id"])
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_held_listings_listing_id", table_name="held_listings")
    op.drop_table("held_listings")
    for table in reversed(HOLD_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("legal_hold_reason")
            batch.drop_column("legal_hold_at")
            batch.drop_column("legal_hold_by")
            batch.drop_column("legal_hold")
