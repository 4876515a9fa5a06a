"""listings.current_version_id: its foreign key on PostgreSQL too

0001 declared it with use_alter inside create_table, which SQLite keeps inline and
PostgreSQL silently skipped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:50:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE listings SET current_version_id = NULL WHERE current_version_id IS NOT NULL "
            "AND current_version_id NOT IN (SELECT id FROM listing_versions)"
        )
        op.create_foreign_key(
            "fk_listing_current_version",
            "listings",
            "listing_versions",
            ["current_version_id"],
            ["id"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_listing_current_version", "listings", type_="foreignkey")
