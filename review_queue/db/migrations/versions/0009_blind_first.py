"""blind first: items shown without the machine's suggestion until a first call

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(
            sa.Column("blind", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("first_call", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("first_call_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_call_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_review_items_first_call_by", "users", ["first_call_by"], ["id"]
        )
    # the sample queued before: blind from now on, as new samples are
    op.execute("UPDATE review_items SET blind = true WHERE reason = 'sample'")


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_constraint("fk_review_items_first_call_by", type_="foreignkey")
        batch.drop_column("first_call_at")
        batch.drop_column("first_call_by")
        batch.drop_column("first_call")
        batch.drop_column("blind")
