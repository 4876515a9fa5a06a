"""template index: the stored MinHash LSH index of listings, shared by scoring processes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_entries",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("ages", sa.JSON(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["listing_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_table(
        "link_buckets",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["link_entries.listing_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bucket", "listing_id"),
    )
    op.create_index("ix_link_buckets_listing", "link_buckets", ["listing_id"])
    op.create_table(
        "template_links",
        sa.Column("listing_a", sa.Integer(), nullable=False),
        sa.Column("listing_b", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["listing_a"], ["link_entries.listing_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["listing_b"], ["link_entries.listing_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("listing_a", "listing_b"),
    )
    op.create_index("ix_template_links_b", "template_links", ["listing_b"])


def downgrade() -> None:
    op.drop_index("ix_template_links_b", table_name="template_links")
    op.drop_table("template_links")
    op.drop_index("ix_link_buckets_listing", table_name="link_buckets")
    op.drop_table("link_buckets")
    op.drop_table("link_entries")
