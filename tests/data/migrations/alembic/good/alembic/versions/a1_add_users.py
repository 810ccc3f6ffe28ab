"""add users

Revision ID: a1
Create Date: 2024-01-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade() -> None:
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String, nullable=False))
    op.create_index("ix_users_email", "users", ["email"])
    op.add_column("accounts", sa.Column("plan", sa.String, nullable=False, server_default="free"))
    op.create_index("ix_accounts_plan", "accounts", ["plan"], postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("ix_accounts_plan", "accounts")
    op.drop_column("accounts", "plan")
    op.drop_table("users")
