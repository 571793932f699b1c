"""Concurrency torture through the real console script at full size: 8 processes x 500 fires
on the same 3 items (docs/reliability.md). The driver and its checks are the suite's
(tests/reliability/torture.py); this runs them bigger and prints the figures as JSON.

    .venv/bin/python bench/cli_torture.py                       # a new SQLite file
    .venv/bin/python bench/cli_torture.py --db postgresql://postgres@127.0.0.1/tracker_bench
    .venv/bin/python bench/cli_torture.py --mode api --fires 500

PostgreSQL: point it at an empty database or schema (it adds items T1, T2, T3).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.torture import main

if __name__ == "__main__":
    main(sys.argv[1:])
