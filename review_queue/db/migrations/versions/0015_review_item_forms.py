"""review_items.forms: the forms the item's score names, for a one-table queue chart

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("forms", sa.String(400), nullable=True))
    op.execute(
        "UPDATE review_items SET forms = (SELECT CAST(scores.categories AS TEXT) FROM scores "
        "WHERE scores.id = review_items.score_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("forms")
