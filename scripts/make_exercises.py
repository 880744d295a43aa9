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


def check_source(name: str, root: pathlib.Path = ROOT) -> None:
    """Refuse a source nbgrader would release badly (NBGRADER.md, "Behaviour to design around").

    Raises ValueError if ``solutions/NAME/`` holds anything but ``NAME.ipynb`` (nbgrader would copy
    it into the student release, or silently ignore a notebook in a subfolder), or if the notebook
    was executed (its outputs and ``metadata.execution`` timings would leak into the release).
    """
    import nbformat

    folder = root / "solutions" / name
    extra = sorted(p.name for p in folder.iterdir()
                   if p.name != f"{name}.ipynb" and p.name not in (".ipynb_checkpoints", "__pycache__"))
    if extra:
        raise ValueError(f"solutions/{name}/ must hold only {name}.ipynb; found also {extra}")
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    executed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and (c.get("outputs") or c.get("execution_count") is not None or "execution" in c.metadata)]
    if executed:
        raise ValueError(f"solutions/{name}/{name}.ipynb was executed (cells {executed[:5]} hold outputs or "
                         "timings): rebuild it with its scripts/build_*.py or clear all outputs first")


def generate(name: str, root: pathlib.Path = ROOT) -> None:
    """Run nbgrader generate_assignment for one problem set in the course at ``root``."""
    check_source(name, root)
    nbgrader = pathlib.Path(sys.executable).parent / "nbgrader"
    cmd = [str(nbgrader), "generate_assignment", name, "--no-db", "--force", "--log-level=WARN"]
    subprocess.run(cmd, cwd=root, check=True)


if __name__ == "__main__":
    names = sys.argv[1:] or assignments()
    for name in names:
        generate(name)
        print(f"exercises/{name}/ regenerated from solutions/{name}/")
