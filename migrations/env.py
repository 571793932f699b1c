"""Alembic environment: runs on the connection it is handed, else on a URL.

What it runs on, first match wins:
1. `config.attributes["connection"]`: a Connection (Alembic's cookbook convention) or an
   Engine (what the tracker's `alembic_config` and pytest-alembic hand over);
2. the `sqlalchemy.url` option (alembic.ini, or set on a Config in code);
3. only when neither was given: TRACKER_DB, else the user's default tracker file (for a developer
   running `alembic` by hand).
A connection or URL that was given is never swapped for the default file: a test aimed at its
own database must never migrate, or downgrade, the user's real one.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from tracker.store.engine import make_engine, resolve_url
from tracker.store.models import schema

config = context.config
target_metadata = schema()


def run_migrations(connection: Connection) -> None:
    # SQLite: migrations write, so their transaction takes the write lock up front.
    connection.execution_options(tracker_write=True)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_migrations(given)
        return
    if isinstance(given, Engine):
        with given.connect() as connection:
            run_migrations(connection)
        return
    if given is not None:
        raise TypeError(f"config.attributes['connection'] is a {type(given).__name__}")
    engine = make_engine(resolve_url(config.get_main_option("sqlalchemy.url")))
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


run_migrations_online()
