"""Regenerate exercises/ (the student release) from solutions/ (the nbgrader source), keeping edited work.

Runs ``nbgrader generate_assignment NAME --force`` for each problem set, from the course root, into a
temporary release folder, then copies the released notebook into ``exercises/NAME/``, so the
committed exercises/ is exactly what nbgrader makes. It never replaces a notebook someone has run or
edited there (a student's answers, a tester's try): it refuses before anything is written (nothing
is generated, the gradebook is not touched) and names the notebook. nbgrader's own ``--force``
would delete the whole ``exercises/NAME/`` folder, other files in it included; this script writes
only the released notebook and leaves any other file alone. Usage::

    python scripts/make_exercises.py                         # every problem set, no gradebook
    python scripts/make_exercises.py ps02_exact_unlearning    # one problem set
    python scripts/make_exercises.py ps02_exact_unlearning --gradebook   # also register it in gradebook.db

``--gradebook`` is the instructor's release step: nbgrader records the problem set's cells in the
gradebook, which ``nbgrader autograde`` needs.
"""
from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

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
                         "timings): rebuild it with scripts/nbsource.py build or clear all outputs first")


def release_edits(path) -> list[str]:
    """Why the notebook at ``path`` is not an untouched nbgrader release ([] if it is one).

    An untouched release has no outputs or execution counts, and every cell carries nbgrader
    metadata whose checksum (stored by generate_assignment) matches the cell as it is now. So a
    cell run, edited or added (a student's work) is found without knowing which source made it.
    """
    import nbformat
    from nbgrader.utils import compute_checksum

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # noqa: BLE001 -- whatever it holds, it is not our release
        return [f"it cannot be read as a notebook ({type(err).__name__})"]
    why = []
    ran = [i for i, c in enumerate(nb.cells)
           if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    if ran:
        why.append(f"cells {ran[:5]} hold outputs (it was run)")
    edited, added = [], []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if "checksum" not in meta or "grade_id" not in meta:
            added.append(i)
            continue
        try:
            same = compute_checksum(cell) == meta["checksum"]
        except (KeyError, TypeError, ValueError):
            same = False
        if not same:
            edited.append(meta["grade_id"])
    if edited:
        why.append(f"cells {edited[:5]} were edited")
    if added:
        why.append(f"cells {added[:5]} were added")
    return why


def _generate_into(name: str, dest: pathlib.Path, root: pathlib.Path, gradebook: bool) -> pathlib.Path:
    """Run generate_assignment for ``name`` with its release folder set to ``dest``; return dest/name."""
    nbgrader = pathlib.Path(sys.executable).parent / "nbgrader"
    cmd = [str(nbgrader) if nbgrader.exists() else "nbgrader", "generate_assignment", name, "--force",
           f"--CourseDirectory.release_directory={dest}", "--log-level=WARN"]
    if not gradebook:
        cmd.insert(3, "--no-db")
    subprocess.run(cmd, cwd=root, check=True)
    return dest / name


def generate(names, root: pathlib.Path = ROOT, gradebook: bool = False) -> list[str]:
    """Release each problem set of ``names`` into ``root``/exercises/; return the notebooks written.

    Raises ValueError before anything is generated or written (gradebook included) if a source is
    unfit (:func:`check_source`) or a notebook in exercises/ that would be replaced was run or
    edited (:func:`release_edits`); subprocess.CalledProcessError if nbgrader fails (then nothing
    in exercises/ has been written either).
    """
    root = pathlib.Path(root)
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        check_source(name, root)
    kept = []
    for name in names:  # the notebooks generation would replace (other files are left alone)
        for src in sorted((root / "solutions" / name).glob("*.ipynb")):
            path = root / "exercises" / name / src.name
            why = release_edits(path) if path.exists() else []
            if why:
                kept.append(f"  {path.relative_to(root)}: {'; '.join(why)}")
    if kept:
        raise ValueError("not regenerated, nothing was changed: these notebooks were run or edited, and "
                         "regenerating would replace them:\n" + "\n".join(kept) + "\nMove each one out of "
                         "exercises/ (keep it: it is someone's work), then run this again.")
    written = []
    with tempfile.TemporaryDirectory(prefix="release_") as tmp:
        made = {name: _generate_into(name, pathlib.Path(tmp), root, gradebook) for name in names}
        for name, folder in made.items():
            for src in sorted(p for p in folder.rglob("*") if p.is_file()):
                dst = root / "exercises" / name / src.relative_to(folder)
                if dst.exists() and dst.read_bytes() == src.read_bytes():
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                written.append(dst.relative_to(root).as_posix())
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/make_exercises.py", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="problem sets (default: every one in solutions/)")
    parser.add_argument("--gradebook", action="store_true",
                        help="also record the problem set in gradebook.db (needed before nbgrader autograde)")
    args = parser.parse_args(argv)
    names = args.names or assignments()
    try:
        written = generate(names, ROOT, gradebook=args.gradebook)
    except ValueError as err:
        print(f"make_exercises: {err}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError:
        print("make_exercises: nbgrader generate_assignment failed (its messages are above); exercises/ was "
              "not changed", file=sys.stderr)
        return 1
    for name in names:
        changed = [w for w in written if w.startswith(f"exercises/{name}/")]
        state = f"regenerated ({', '.join(changed)} written)" if changed else "already up to date"
        print(f"exercises/{name}/ {state}" + (" and recorded in the gradebook" if args.gradebook else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
