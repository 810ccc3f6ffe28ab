"""Alembic environment of a small FastAPI shop: the database comes from DATABASE_URL, as on the platform."""

import os

from alembic import context
from sqlalchemy import create_engine

config = context.config


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    # platforms hand out postgres:// URLs; SQLAlchemy wants a driver name
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def run_migrations_online() -> None:
    engine = create_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
