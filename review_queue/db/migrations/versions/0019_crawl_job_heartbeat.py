"""crawl runs beat a heartbeat into their record, so that any later run can close the record
of one whose machine stopped or whose process was killed elsewhere (a shared Redis frontier's
worker on another host)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.drop_column("heartbeat_at")
