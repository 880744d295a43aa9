"""Regenerate exercises/ (the student release) from solutions/ (the nbgrader source).

Runs ``nbgrader generate_assignment NAME --no-db --force`` for every problem set in solutions/,
from the course root, so the committed exercises/ is exactly what nbgrader makes. Usage:

    python scripts/make_exercises.py            # every problem set
    python scripts/make_exercises.py ps02_exact_unlearning
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def assignments(root: pathlib.Path = ROOT) -> list[str]:
    """Names of the problem sets: the folders in solutions/ that hold a notebook of the same name."""
    return sorted(p.name for p in (root / "solutions").iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").exists())


def generate(name: str, root: pathlib.Path = ROOT) -> None:
    """Run nbgrader generate_assignment for one problem set in the course at ``root``."""
    nbgrader = pathlib.Path(sys.executable).parent / "nbgrader"
    cmd = [str(nbgrader), "generate_assignment", name, "--no-db", "--force", "--log-level=WARN"]
    subprocess.run(cmd, cwd=root, check=True)


if __name__ == "__main__":
    names = sys.argv[1:] or assignments()
    for name in names:
        generate(name)
        print(f"exercises/{name}/ regenerated from solutions/{name}/")
