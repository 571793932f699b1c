"""`verify` at 100,000 items / 1,000,000 entries against the least any verify must do, by CPU.

    python bench/verify_floor.py [--db FILE] [--runs 3]

The ceiling ("floor" of the work) is raw sqlite3 on the same file, in one read transaction:
every item's key, every history entry's 13 columns in chain order (item, version), and each
entry's SHA-256 over its canonical text (tracker.chain.canonical, the one function) compared
with its stored hash, the previous hash kept in a local variable. Nothing else: no workflow
check, no item row, no fields, no consents, no derived columns, no error reporting. Its parts
are timed on their own too (the fetch alone; the hashing of texts already built), so the
figures show what part of verify's budget the driver and the hash take before any check.

A second ceiling does the same in C (`bench/verify_floor.c`, built here with `cc` against
the system's SQLite and OpenSSL, run as a child process): entries in id order, the previous
hash of each item in an array; no checks at all. verify itself runs its clean pass in C
(tracker/audit/csrc/) where that extension was built, and the C ceiling is then the one to
compare with.

Runs alternate (verify, ceiling, verify, ...); figures are medians of CPU time
(time.process_time plus waited-for children), with the load average printed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generate import ensure_database  # noqa: E402
from read_scale import cpu_all  # noqa: E402

from tracker import Tracker  # noqa: E402
from tracker.chain import canonical  # noqa: E402

ENTRIES = (
    'SELECT id, item_id, version, "trigger", from_state, to_state, occurred_at, recorded_at, '
    "actor, reason, source, hash, fields FROM history ORDER BY item_id, version"
)


def batches(path: Path) -> Iterator[tuple[dict[int, str], list[tuple[Any, ...]]]]:
    """Every item's key, then every entry in chain order through the driver, 5,000 at a time,
    in one read transaction."""
    con = sqlite3.connect(path)
    try:
        con.execute("BEGIN")
        keys = dict(con.execute("SELECT id, key FROM items").fetchall())
        cursor = con.execute(ENTRIES)
        while batch := cursor.fetchmany(5_000):
            yield keys, batch
        con.execute("COMMIT")
    finally:
        con.close()


def fetch(path: Path) -> int:
    """The fetch alone: every row through the driver, nothing done with it."""
    return sum(len(rows) for _, rows in batches(path))


def texts(path: Path) -> Iterator[tuple[list[bytes], list[str]]]:
    """Each batch's canonical texts (tracker.chain.canonical) and stored hashes."""
    current, prev = None, ""
    for keys, rows in batches(path):
        built = []
        for (_, ref, version, trigger, from_state, to_state, occurred, recorded, actor,
             reason, source, digest, fields) in rows:  # fmt: skip
            if ref != current:
                current, prev = ref, ""
            built.append(
                canonical(
                    prev, keys[ref], version, trigger, from_state, to_state, occurred,
                    recorded, actor, reason, source, fields,
                ).encode()
            )  # fmt: skip
            prev = digest
        yield built, [row[11] for row in rows]


def hashes_match(built: list[bytes], digests: list[str]) -> bool:
    sha256 = hashlib.sha256
    return [sha256(t).hexdigest() for t in built] == digests


def ceiling(path: Path) -> bool:
    """Fetch, build every canonical text, hash and compare: the least a verify does."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return all([hashes_match(built, digests) for built, digests in texts(path)])
    finally:
        if collecting:
            gc.enable()


def all_texts(path: Path) -> tuple[list[bytes], list[str]]:
    """Every entry's canonical text and stored hash (for timing the hash on its own)."""
    every: tuple[list[bytes], list[str]] = ([], [])
    for built, digests in texts(path):
        every[0].extend(built)
        every[1].extend(digests)
    return every


def build_c_ceiling(scratch: Path) -> Path | None:
    """bench/verify_floor.c compiled, or None where it cannot be (no compiler or headers)."""
    program = scratch / "verify_floor"
    built = subprocess.run(
        ["cc", "-O2", "-o", str(program), str(HERE / "verify_floor.c"), "-lsqlite3", "-lcrypto"],
        capture_output=True,
        check=False,
    )
    return program if built.returncode == 0 else None


def c_ceiling(program: Path, path: Path) -> bool:
    """The C ceiling over `path`: whether every hash matched."""
    out = subprocess.run([str(program), str(path)], capture_output=True, text=True, check=True)
    entries, differ = map(int, out.stdout.split())
    return entries > 0 and differ == 0


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    began = cpu_all()
    result = run()
    return cpu_all() - began, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a generated database to copy (default: build)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    source = args.db or ensure_database()
    with tempfile.TemporaryDirectory(prefix="verify_floor-") as scratch:
        copy = Path(scratch) / "big.db"
        shutil.copyfile(source, copy)
        with Tracker.open(f"sqlite:///{copy}") as tracker:  # migrates the copy, not timed
            print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            tracker.verify()  # warm-up: imports, page cache
            ceiling(copy)
            program = build_c_ceiling(Path(scratch))
            spent: dict[str, list[float]] = {
                "verify": [], "ceiling": [], "fetch": [], "hash": [], "c": []
            }  # fmt: skip
            for _ in range(args.runs):
                seconds, report = timed(tracker.verify)
                assert report.ok, report.problems[:3]
                spent["verify"].append(seconds)
                seconds, ok = timed(lambda: ceiling(copy))
                assert ok, "the ceiling found a hash that differs"
                spent["ceiling"].append(seconds)
                seconds, _ = timed(lambda: fetch(copy))
                spent["fetch"].append(seconds)
                built, digests = all_texts(copy)
                seconds, ok = timed(partial(hashes_match, built, digests))
                assert ok
                spent["hash"].append(seconds)
                if program is not None:
                    seconds, ok = timed(partial(c_ceiling, program, copy))
                    assert ok, "the C ceiling found a hash that differs"
                    spent["c"].append(seconds)
            entries = report.entries
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    median = {name: statistics.median(values) for name, values in spent.items() if values}
    print(f"{entries:,} entries; medians of {args.runs} runs, CPU time")
    from tracker.audit import native

    built = native.extension() is not None
    print(f"verify's clean pass: {'C (tracker/audit/csrc/)' if built else 'Python (no C built)'}")
    for name, what in (
        ("verify", "verify()"),
        ("ceiling", "ceiling: fetch + canonical + SHA-256 + compare"),
        ("fetch", "  of which the fetch through sqlite3 (13 columns)"),
        ("hash", "  of which SHA-256 + compare of texts already built"),
    ):
        print(f"{what:<52} {median[name] * 1000:>8.0f} ms")
    print(f"verify / ceiling: {median['verify'] / median['ceiling']:.2f}")
    if "c" in median:
        c_what = "C ceiling: fetch + canonical + SHA-256 + compare"
        print(f"{c_what:<52} {median['c'] * 1000:>8.0f} ms")
        print(f"verify / C ceiling: {median['verify'] / median['c']:.2f}")
    else:
        print("C ceiling: not built (no cc, or no SQLite or OpenSSL headers)")
    print(f"ceiling / the 3 s target: {median['ceiling'] / 3.0:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
