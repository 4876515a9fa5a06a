"""crawl_jobs.detail: why a run is incomplete, stopped, locked or failed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.add_column(sa.Column("detail", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.drop_column("detail")
