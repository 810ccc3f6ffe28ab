"""orders: written from memory against a table that only ever existed in production

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("legacy_orders", sa.Column("customer_id", sa.Integer))


def downgrade() -> None:
    op.drop_column("legacy_orders", "customer_id")
