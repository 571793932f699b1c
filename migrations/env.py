"""Alembic environment: runs on the engine the tracker hands over (or alembic.ini's URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from tracker.db.engine import make_engine, resolve_url
from tracker.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(resolve_url(config.get_main_option("sqlalchemy.url")))
    with engine.connect().execution_options(tracker_write=True) as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
