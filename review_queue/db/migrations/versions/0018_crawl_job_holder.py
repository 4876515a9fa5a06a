"""crawl runs record their process (host:pid), so that a later run on the same machine can
close the record of one that was killed; runs of a shared Redis frontier take no lock to
tell it by

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.add_column(sa.Column("holder", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.drop_column("holder")
