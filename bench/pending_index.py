"""What the partial index ix_history_consents (migration 0006) buys `pending`, on SQLite and
PostgreSQL, at 100,000 items and 1,000,000 entries.

    python bench/pending_index.py [--source /work/bigdb/big.db] [--copy bench/out/pending.db]
                                  [--runs 5] [--postgresql postgresql://postgres@127.0.0.1:5432/test]

The data is bench/pending.py's copy of the big database with its consents (made once there, by
the same function). Medians of `--runs` after a warm-up:

  - SQLite: CPU time of pending() in this process (SQLite runs inside it), with the index and
    after DROP INDEX (it is made again afterwards), and list(limit=N) as the ceiling.
  - PostgreSQL (with --postgresql, the URL of a database to connect to for CREATE DATABASE): the
    same rows copied into a fresh database (COPY); the server's execution time of the in-effect
    query (EXPLAIN ANALYZE), with the index and without it; the database is dropped after.
    Client CPU says nothing here: the scan runs in the server.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pending import cpu, prepare  # noqa: E402

from tracker import Tracker  # noqa: E402
from tracker.store.consents import in_effect_query  # noqa: E402
from tracker.store.models import CONSENT_ENTRIES  # noqa: E402

INDEX = "ix_history_consents"
CREATE = f"CREATE INDEX {INDEX} ON history (item_id, version) WHERE {CONSENT_ENTRIES}"


def on_sqlite(copy: Path, runs: int) -> None:
    url = f"sqlite:///{copy}"
    with Tracker.open(url) as tracker:
        cpu(tracker.pending, 1)
        indexed, found = cpu(tracker.pending, runs)
        ceiling, _ = cpu(lambda: tracker.list(limit=len(found)), runs)
    with sqlite3.connect(copy) as connection:
        connection.execute(f"DROP INDEX {INDEX}")
    try:
        with Tracker.open(url) as tracker:
            cpu(tracker.pending, 1)
            bare, again = cpu(tracker.pending, runs)
        assert len(again) == len(found)
    finally:
        with sqlite3.connect(copy) as connection:
            connection.execute(CREATE)
    print(f"SQLite, {len(found):,} pending, CPU medians of {runs}:")
    print(f"  {f'list(limit={len(found)}) (ceiling)':<36} {ceiling * 1000:7.1f} ms")
    print(f"  {f'pending() with {INDEX}':<36} {indexed * 1000:7.1f} ms  {indexed / ceiling:5.2f}")
    print(f"  {'pending() without it':<36} {bare * 1000:7.1f} ms  {bare / ceiling:5.2f}")
    print(f"  without / with: {bare / indexed:.1f}")


def on_postgresql(copy: Path, server: str, runs: int) -> None:
    import psycopg
    from sqlalchemy.dialects import postgresql

    admin_url = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        with Tracker.open(url):
            pass  # the schema, at head
        source = sqlite3.connect(copy)
        with psycopg.connect(url) as target:
            for table in ("items", "item_parties", "history"):
                described = source.execute(f"PRAGMA table_info({table})")
                columns = ", ".join(f'"{column[1]}"' for column in described)
                with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as rows:
                    for row in source.execute(f"SELECT {columns} FROM {table}"):
                        rows.write_row(row)
            for table in ("items", "history"):
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        sql = str(
            in_effect_query().compile(
                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
            )
        )
        with psycopg.connect(url, autocommit=True) as target:
            target.execute("ANALYZE")

            def server_ms() -> tuple[float, list[str]]:
                spent, plan = [], []
                for _ in range(runs + 1):
                    plan = [row[0] for row in target.execute(f"EXPLAIN (ANALYZE) {sql}")]
                    spent.append(float(plan[-1].split()[2]))  # "Execution Time: N ms"
                return statistics.median(spent[1:]), plan

            indexed, plan = server_ms()
            target.execute(f"DROP INDEX {INDEX}")
            target.execute("ANALYZE history")
            bare, bare_plan = server_ms()
        scan = [line.strip() for line in plan if "Scan" in line and "later" not in line][:2]
        bare_scan = [line.strip() for line in bare_plan if "Seq Scan" in line][:1]
        print(f"PostgreSQL, server execution time of the in-effect query, medians of {runs}:")
        print(f"  with {INDEX}: {indexed:7.1f} ms  ({'; '.join(s.split('  (')[0] for s in scan)})")
        print(
            f"  without it:   {bare:7.1f} ms  ({'; '.join(s.split('  (')[0] for s in bare_scan)})"
        )
        print(f"  without / with: {bare / indexed:.1f}")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/work/bigdb/big.db"))
    parser.add_argument("--copy", type=Path, default=HERE / "out" / "pending.db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgresql", help="a server database URL (for CREATE DATABASE)")
    args = parser.parse_args()
    prepare(args.source, args.copy)
    on_sqlite(args.copy, args.runs)
    if args.postgresql:
        on_postgresql(args.copy, args.postgresql, args.runs)


if __name__ == "__main__":
    main()
