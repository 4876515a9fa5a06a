"""identifiers out of stored text: a flag on each listing version once its identifiers are
tokens, the token of each identifier, and the identifiers in clear in a table of their own

The texts of an existing archive are rewritten by ``thbscan db upgrade`` after this
migration (it needs the pseudonym key and the extractor, which migrations do not import).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listing_versions") as batch:
        batch.add_column(
            sa.Column("redacted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("identifiers") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    op.create_table(
        "identifier_values",
        sa.Column("pseudonym", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym"),
    )


def downgrade() -> None:
    op.drop_table("identifier_values")
    with op.batch_alter_table("identifiers") as batch:
        batch.drop_column("token")
    with op.batch_alter_table("listing_versions") as batch:
        batch.drop_column("redacted")
