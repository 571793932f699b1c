"""Start-up cost of one `tracker fire` process against the bare imports it cannot avoid.

    python bench/fire_startup.py [--runs 30]

Times, alternately and each `--runs` times, the wall clock of
  - the floor:  python -c "import sqlalchemy.orm, transitions"
  - the fire:   tracker --db FILE fire ACSA resume|stall   (a real transition, written)
with the same interpreter (the project's venv), on a seeded SQLite file in a temporary directory.
Prints the medians and their ratio; the target (issue 10) is fire <= 1.2 x floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.2
PYTHON = sys.executable
TRACKER = str(Path(PYTHON).with_name("tracker"))
FLOOR = [PYTHON, "-c", "import sqlalchemy.orm, transitions"]
# ACSA starts stalled (seeds): resume, then stall it again, and so on.
STEPS = [["resume"], ["stall", "--reason", "bench"]]


CPU: dict[str, list[float]] = {"floor": [], "fire": []}


def timed(command: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall-clock seconds of one run; its CPU seconds (user + system) go to `cpu`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    # Bytecode caches as a user has them (any value of PYTHONDONTWRITEBYTECODE disables them).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        db = str(Path(tmp) / "fire.db")
        subprocess.run(
            [TRACKER, "--db", db, "init", "--seed"], check=True, env=env, stdout=subprocess.DEVNULL
        )
        # One warm-up of each: bytecode caches and the OS file cache.
        timed(FLOOR, env)
        timed([TRACKER, "--db", db, "fire", "ACSA", *STEPS[0]], env)
        floor, fire = [], []
        for run in range(args.runs):
            floor.append(timed(FLOOR, env, CPU["floor"]))
            step = STEPS[(run + 1) % 2]
            fire.append(timed([TRACKER, "--db", db, "fire", "ACSA", *step], env, CPU["fire"]))
    floor_ms = statistics.median(floor) * 1000
    fire_ms = statistics.median(fire) * 1000
    ratio = fire_ms / floor_ms
    print(f"runs: {args.runs} each, alternating (medians; min in brackets)")
    print(
        f"floor  python -c 'import sqlalchemy.orm, transitions': {floor_ms:7.1f} ms "
        f"[{min(floor) * 1000:.1f}]"
    )
    print(
        f"tracker fire ACSA ...:                               {fire_ms:7.1f} ms "
        f"[{min(fire) * 1000:.1f}]"
    )
    floor_cpu = statistics.median(CPU["floor"]) * 1000
    fire_cpu = statistics.median(CPU["fire"]) * 1000
    print(
        f"by CPU time (user + system): floor {floor_cpu:.1f} ms, fire {fire_cpu:.1f} ms, "
        f"ratio {fire_cpu / floor_cpu:.2f}; load average {os.getloadavg()[0]:.1f}"
    )
    met = ratio <= TARGET
    print(f"ratio fire / floor: {ratio:.2f} (target <= {TARGET})  {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
