"""drop stuff

Revision ID: b2
Create Date: 2024-02-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade() -> None:
    op.drop_table("sessions")  # expect: migration-destructive
    op.drop_column("users", "legacy_id")  # expect: migration-destructive
    op.alter_column("accounts", "balance", type_=sa.Numeric(12, 2))  # expect: migration-destructive migration-locking
    op.add_column("accounts", sa.Column("region", sa.String, nullable=False))  # expect: migration-locking
    op.create_foreign_key("fk_acc_user", "accounts", "users", ["user_id"], ["id"])  # expect: migration-locking
    with op.batch_alter_table("users") as batch:
        batch.drop_column("nickname")  # expect: migration-destructive


def downgrade() -> None:  # expect: migration-irreversible
    pass
