"""One fire per transaction through `Tracker.fire` on SQLite, against raw sqlite3 doing the same
read-check-update-insert per transaction on the same schema, and (optional) the peer
django-fsm-2 + django-fsm-log.

    python bench/fire_single.py [--items 300] [--fires 600] [--rounds 5] [--no-peer]

A database of `--items` items (default workflow); each round fires `--fires` times, one fire per
transaction, cycling resume / stall / resume / suspend over the items. The rounds alternate
A (Tracker.fire), B (raw sqlite3), C (the peer), A, B, C ... and the figures are medians of the
rounds, by wall clock and by CPU time (time.process_time; the peer's measured in its process).

The ceiling, raw sqlite3 on a copy of the same database, per fire: BEGIN IMMEDIATE; SELECT the
item by key_lower; check the trigger against a dict of the workflow; the entry's SHA-256 over the
same canonical text (tracker.chain.canonical); UPDATE items ... WHERE id = ? AND version = ?
(rowcount checked); INSERT the history entry; COMMIT. No text checks, no error mapping.

The peer runs in its own venv, bench/out/peer-venv (created on demand with pip: Django,
django-fsm-2, django-fsm-log), on its own SQLite file: per fire, in `transaction.atomic()`
(BEGIN IMMEDIATE), `select_for_update().get(key=...)`, the @transition method (an FSMField with
ConcurrentTransitionMixin: its compare-and-set on the state) decorated with @fsm_log_by (a
StateLog row per fire), `save()`. When the venv cannot be made, the bench says so and goes on.

Targets (issue 10): Tracker.fire / raw >= 0.5; Tracker.fire / peer >= 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracker import Tracker  # noqa: E402
from tracker.chain import canonical  # noqa: E402

TARGET_RAW = 0.5
TARGET_PEER = 2.0
PEER_VENV = HERE / "out" / "peer-venv"
PEER_PACKAGES = ["Django>=5.1", "django-fsm-2", "django-fsm-log"]
# (trigger, reason) cycle from `proposed`: resumed, stalled, resumed, suspended, resumed ...
CYCLE: list[tuple[str, str | None]] = [
    ("resume", None),
    ("stall", "budget freeze"),
    ("resume", None),
    ("suspend", "diplomatic protest"),
]
# The default workflow as a dict, for the raw ceiling's check.
TARGETS = {
    ("proposed", "resume"): "resumed",
    ("stalled", "resume"): "resumed",
    ("suspended", "resume"): "resumed",
    ("proposed", "stall"): "stalled",
    ("resumed", "stall"): "stalled",
    ("proposed", "suspend"): "suspended",
    ("stalled", "suspend"): "suspended",
    ("resumed", "suspend"): "suspended",
}


def key(n: int) -> str:
    return f"ONE-{n:05d}"


def build(path: Path, items: int) -> None:
    with Tracker.open(f"sqlite:///{path}") as tracker:
        tracker.apply(
            [
                {
                    "op": "add",
                    "key": key(n),
                    "title": f"bench item {n}",
                    "kind": "drill",
                    "parties": ["ROK", "JPN"],
                    "at": "2020-01-01T00:00:00Z",
                }
                for n in range(items)
            ]
        )


class Plan:
    """Which fire comes next: item after item, each item's next trigger of CYCLE."""

    def __init__(self, items: int) -> None:
        self.items = items
        self.done = 0

    def take(self, fires: int) -> list[tuple[str, str, str | None]]:
        out = []
        for n in range(self.done, self.done + fires):
            trigger, reason = CYCLE[(n // self.items) % len(CYCLE)]
            out.append((key(n % self.items), trigger, reason))
        self.done += fires
        return out


def round_tracker(
    tracker: Tracker, fires: list[tuple[str, str, str | None]]
) -> tuple[float, float]:
    began, began_cpu = time.perf_counter(), time.process_time()
    for k, trigger, reason in fires:
        tracker.fire(k, trigger, reason=reason, actor="bench")
    return time.perf_counter() - began, time.process_time() - began_cpu


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000Z"


def round_raw(
    conn: sqlite3.Connection, fires: list[tuple[str, str, str | None]]
) -> tuple[float, float]:
    began, began_cpu = time.perf_counter(), time.process_time()
    for k, trigger, reason in fires:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT id, key, state, version, last_hash FROM items WHERE key_lower = ?",
            (k.lower(),),
        ).fetchone()
        id_, item_key, state, version, last_hash = row
        target = TARGETS.get((state, trigger))
        if target is None:
            conn.execute("ROLLBACK")
            raise SystemExit(f"raw: cannot {trigger} from {state}")
        now = _now()
        digest = hashlib.sha256(
            canonical(
                last_hash, item_key, version + 1, trigger, state, target, now, now, "bench",
                reason, None,
            ).encode()
        ).hexdigest()  # fmt: skip
        cursor = conn.execute(
            "UPDATE items SET state = ?, version = ?, last_hash = ?, changed_at = ?,"
            " updated_at = ? WHERE id = ? AND version = ?",
            (target, version + 1, digest, now, now, id_, version),
        )
        if cursor.rowcount != 1:
            raise SystemExit("raw: lost a compare-and-set")
        conn.execute(
            "INSERT INTO history (item_id, version, trigger, from_state, to_state, occurred_at,"
            " recorded_at, actor, reason, source, hash, fields)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id_, version + 1, trigger, state, target, now, now, "bench", reason, None, digest,
             None),
        )  # fmt: skip
        conn.execute("COMMIT")
    return time.perf_counter() - began, time.process_time() - began_cpu


# The peer, run by the peer venv's python: `peer.py FOLDER ITEMS` sets up, then reads one
# JSON list of fires per line on stdin and answers one line "wall cpu" per round.
PEER_SCRIPT = r'''
import json, os, sys, time
folder, items = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, folder)
os.makedirs(os.path.join(folder, "fsmbench"), exist_ok=True)
open(os.path.join(folder, "fsmbench", "__init__.py"), "w").close()
with open(os.path.join(folder, "fsmbench", "models.py"), "w") as f:
    f.write("""
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

class Item(ConcurrentTransitionMixin, models.Model):
    key = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=500)
    state = FSMField(default="proposed")

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=["proposed", "stalled", "suspended"], target="resumed")
    def resume(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=["proposed", "resumed"], target="stalled")
    def stall(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=["proposed", "stalled", "resumed"], target="suspended")
    def suspend(self, by=None, description=None):
        pass
""")
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_fsm_log",
                    "fsmbench"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": os.path.join(folder, "peer.db"),
                           "OPTIONS": {"transaction_mode": "IMMEDIATE"}}},
    USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
call_command("migrate", run_syncdb=True, verbosity=0)
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = NORMAL")
from fsmbench.models import Item
if not Item.objects.exists():
    Item.objects.bulk_create(
        Item(key=f"ONE-{n:05d}", title=f"bench item {n}") for n in range(items))
print("ready", flush=True)
for line in sys.stdin:
    fires = json.loads(line)
    began, began_cpu = time.perf_counter(), time.process_time()
    for key, trigger, reason in fires:
        with transaction.atomic():
            item = Item.objects.select_for_update().get(key=key)
            getattr(item, trigger)(by=None, description=reason)
            item.save()
    print(time.perf_counter() - began, time.process_time() - began_cpu, flush=True)
'''


def peer_python() -> tuple[str | None, str]:
    """The peer venv's python, made on demand; None and why when it cannot be made."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True
            )
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            shutil.rmtree(PEER_VENV, ignore_errors=True)
            return None, f"could not make {PEER_VENV} ({exc})"
    return str(python), ""


class Peer:
    def __init__(self, python: str, folder: Path, items: int) -> None:
        script = folder / "peer.py"
        script.write_text(PEER_SCRIPT)
        self.process = subprocess.Popen(
            [python, str(script), str(folder), str(items)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"peer did not start: {line!r}")

    def round(self, fires: list[tuple[str, str, str | None]]) -> tuple[float, float]:
        assert self.process.stdout is not None and self.process.stdin is not None
        self.process.stdin.write(json.dumps(fires) + "\n")
        self.process.stdin.flush()
        wall, cpu = self.process.stdout.readline().split()
        return float(wall), float(cpu)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--fires", type=int, default=600, help="fires per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="leave the peer out")
    args = parser.parse_args(argv)
    python, why = (None, "left out (--no-peer)") if args.no_peer else peer_python()
    figures: dict[str, list[tuple[float, float]]] = {"tracker": [], "raw": [], "peer": []}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        folder = Path(tmp)
        build(folder / "tracker.db", args.items)
        shutil.copy(folder / "tracker.db", folder / "raw.db")
        peer = None
        if python:
            try:
                peer = Peer(python, folder, args.items)
            except (OSError, RuntimeError) as exc:
                why = f"could not start ({exc})"
        conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        plans = {name: Plan(args.items) for name in figures}
        with Tracker.open(f"sqlite:///{folder / 'tracker.db'}") as tracker:
            # One warm-up round of each, not counted.
            for rnd in range(args.rounds + 1):
                out = [
                    ("tracker", round_tracker(tracker, plans["tracker"].take(args.fires))),
                    ("raw", round_raw(conn, plans["raw"].take(args.fires))),
                ]
                if peer is not None:
                    out.append(("peer", peer.round(plans["peer"].take(args.fires))))
                if rnd:
                    for name, figure in out:
                        figures[name].append(figure)
            assert tracker.verify().ok
        conn.close()
        if peer is not None:
            peer.close()

    def rate(name: str, which: int) -> float:
        return args.fires / statistics.median(f[which] for f in figures[name])

    print(
        f"fires per round: {args.fires} over {args.items} items, rounds: {args.rounds}, "
        f"alternating (medians); load average {os.getloadavg()[0]:.1f}"
    )
    names = {"tracker": "Tracker.fire", "raw": "raw sqlite3", "peer": "django-fsm-2 + log"}
    for name in figures:
        if figures[name]:
            print(
                f"{names[name]:<20} {rate(name, 0):>8,.0f} fires/s wall  "
                f"{rate(name, 1):>8,.0f} fires/s by CPU"
            )
        else:
            print(f"{names[name]:<20} peer {why}")
    share, share_cpu = rate("tracker", 0) / rate("raw", 0), rate("tracker", 1) / rate("raw", 1)
    met = share >= TARGET_RAW
    print(
        f"Tracker.fire / raw: {share:.3f} wall, {share_cpu:.3f} CPU "
        f"(target >= {TARGET_RAW})  {'MET' if met else 'NOT MET'}"
    )
    if figures["peer"]:
        ahead, ahead_cpu = (
            rate("tracker", 0) / rate("peer", 0),
            rate("tracker", 1) / rate("peer", 1),
        )
        met_peer = ahead >= TARGET_PEER
        met = met and met_peer
        print(
            f"Tracker.fire / peer: {ahead:.2f}x wall, {ahead_cpu:.2f}x CPU "
            f"(target >= {TARGET_PEER}x)  {'MET' if met_peer else 'NOT MET'}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
