"""Fixtures of the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.reliability.support import pg_connect


@pytest.fixture
def pg_admin(pg_database: str) -> Iterator[psycopg.Connection]:
    """A superuser connection (autocommit) to the run's PostgreSQL database."""
    with pg_connect(pg_database) as conn:
        yield conn
