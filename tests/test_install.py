"""The wheel carries everything the program needs: installed (not editable) into a fresh venv,
`tracker init --seed` works from any directory, migrations and seeds included."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.xdist_group("install")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT, cwd=out)
    [built] = out.glob("tracker-*.whl")
    return built


def test_wheel_ships_migrations_seeds_and_workflows(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_versions = {
        f"tracker/migrations/versions/{p.name}"
        for p in (ROOT / "migrations" / "versions").glob("*.py")
    }
    assert "tracker/migrations/versions/0001_initial.py" in shipped_versions
    assert shipped_versions <= names
    assert {
        "tracker/migrations/env.py",
        "tracker/migrations/script.py.mako",
        "tracker/seeds/article.yaml",
        "tracker/workflows/default.toml",
        "tracker/workflows/agreement.toml",
        "tracker/py.typed",
    } <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tracker = tracker.cli.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_inits_and_seeds_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env_dir, cwd=tmp_path)
    python = env_dir / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel,
        cwd=tmp_path,
    )  # fmt: skip
    # The dependencies come from the dev venv's site-packages (a path line, so its editable
    # finder for this project is not loaded): only the wheel provides `tracker`.
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=tmp_path).strip()  # fmt: skip
    (Path(purelib) / "_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DB", "PYTHONPATH")}
    where = _run(python, "-c", "import tracker; print(tracker.__file__)", cwd=elsewhere, env=env)
    assert where.startswith(str(env_dir)), where
    exe = env_dir / "bin" / "tracker"
    db = tmp_path / "data" / "installed.db"
    out = _run(exe, "--db", db, "init", "--seed", cwd=elsewhere, env=env)
    assert "4 seeded" in out
    listed = _run(exe, "--db", db, "list", "--format", "csv", cwd=elsewhere, env=env)
    assert sorted(line.split(",")[0] for line in listed.splitlines()[1:]) == [
        "ACSA",
        "DRILLS",
        "REFUEL",
        "SAREX",
    ]
    assert "4 items" in _run(exe, "--db", db, "init", "--seed", cwd=elsewhere, env=env)
    _run(exe, "--db", db, "verify", cwd=elsewhere, env=env)
