"""PostgreSQL's side of a write batch, straight on the psycopg 3 connection, in the caller's
transaction: items loaded and locked in id order; new rows sent by COPY, their ids taken from
the tables' sequences beforehand (no read back); item updates COPY'd into a temporary table and
applied by one UPDATE ... FROM it, compare-and-set on the version read.

COPY fires the same triggers an INSERT does (the statement-level actor and party guards of
migrations 0003 and 0006 see the whole batch as one transition table), and a unique or
foreign-key violation is the same error. Times travel as their canonical text (chain.py),
which PostgreSQL reads into timestamptz as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# A time column (named *_at) as its canonical text, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
# From how many item updates a batch goes through a temporary table: below it one UPDATE per
# item (pipelined by executemany) costs less than creating the table.
UPDATE_FROM = 100


def load(connection: Any, columns: Sequence[str], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """`columns` of the items with these lower-case keys (times as their canonical text),
    locked FOR UPDATE in id order (two batches lock in the same order: no deadlock)."""
    selected = ", ".join(_TEXT.format(c) if c.endswith("_at") else c for c in columns)
    query = f"SELECT {selected} FROM items"
    with connection.cursor() as cursor:
        if len(keys) == 1:
            cursor.execute(f"{query} WHERE key_lower = %s FOR UPDATE", (keys[0],))
        else:
            # One array parameter: 10,000 bound values cost the client and the parser far more.
            cursor.execute(
                f"{query} WHERE key_lower = ANY(%s) ORDER BY id FOR UPDATE", (list(keys),)
            )
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def take_ids(connection: Any, table: str, count: int) -> list[int]:
    """`count` new ids from `table`'s id sequence, in increasing order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, count),
        )
        return sorted(row[0] for row in cursor.fetchall())


def copy(
    connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` into `table`'s `columns`."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as stream:
        write = stream.write_row
        for row in rows:
            write(row)


def update_items(connection: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    """Set `columns` of items; each row holds their values, then the item's id and the version
    it was read at (compare-and-set). Returns how many items were updated."""
    assignments = ", ".join(f"{name} = u.{name}" for name in columns)
    with connection.cursor() as cursor:
        if len(rows) < UPDATE_FROM:
            marks = ", ".join(f"{name} = %s" for name in columns)
            cursor.executemany(f"UPDATE items SET {marks} WHERE id = %s AND version = %s", rows)
            return int(cursor.rowcount)
        # The table's columns take their types from items'; it is dropped at commit.
        cursor.execute(
            "CREATE TEMPORARY TABLE tracker_item_updates ON COMMIT DROP AS SELECT "
            f"{', '.join(columns)}, id, version AS read_version FROM items WITH NO DATA"
        )
        with cursor.copy("COPY tracker_item_updates FROM STDIN") as stream:
            write = stream.write_row
            for row in rows:
                write(row)
        cursor.execute(
            f"UPDATE items SET {assignments} FROM tracker_item_updates u"
            " WHERE items.id = u.id AND items.version = u.read_version"
        )
        return int(cursor.rowcount)
