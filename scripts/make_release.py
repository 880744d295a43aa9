"""Build the student bundle: ``release_bundle/`` and ``release_bundle.zip`` (``make release``).

Students get this bundle, never the repository: solutions/ (solutions and hidden tests), scripts/
(the notebook builders hold solutions too) and tests/ stay with the instructors. The bundle holds:

    lectures/ exercises/ unlearnkit/ README.md LICENSE LICENSE-CONTENT environment.yml
    requirements.txt pyproject.toml Makefile

Only files git tracks (or, outside a git checkout, every file except caches) are copied, so local
scratch, gradebooks and student submissions never travel. Usage::

    python scripts/make_release.py [DEST]      # default: release_bundle/ at the repository root
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = ("lectures", "exercises", "unlearnkit")
FILES = ("README.md", "LICENSE", "LICENSE-CONTENT", "environment.yml", "requirements.txt",
         "pyproject.toml", "Makefile")
SKIP = re.compile(r"(^|/)(__pycache__|\.ipynb_checkpoints|[^/]*\.egg-info)(/|$)|\.pyc$")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")


def _tracked(root: pathlib.Path) -> list[str] | None:
    """Files git tracks plus untracked, unignored ones (None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [line for line in out.splitlines() if line]


def bundle_files(root: pathlib.Path = ROOT) -> list[str]:
    """Relative paths (posix) of every file the bundle contains."""
    listed = _tracked(root)
    if listed is None:
        listed = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    keep = []
    for rel in sorted(set(listed)):
        if SKIP.search(rel) or not (root / rel).is_file():
            continue
        if rel in FILES or rel.split("/")[0] in FOLDERS:
            keep.append(rel)
    missing = [f for f in FILES if f not in keep]
    if missing:
        raise FileNotFoundError(f"the bundle needs {missing} at the repository root")
    return keep


def build(dest: pathlib.Path | None = None, root: pathlib.Path = ROOT) -> pathlib.Path:
    """Write the bundle folder ``dest`` (replaced if present) and ``dest.zip``; return ``dest``.

    Raises RuntimeError, before anything is written, if a released file holds a solution or
    hidden-test marker, if a notebook in exercises/ was run or edited (the bundle would ship that
    work), or if an existing ``dest`` holds files changed since it was built (someone worked in it:
    replacing it would delete that work).
    """
    dest = pathlib.Path(dest) if dest is not None else root / "release_bundle"
    files = bundle_files(root)
    for rel in files:
        if rel.endswith((".ipynb", ".py", ".md")):
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
            if rel.startswith("exercises/") and any(m in text for m in SOLUTION_MARKERS):
                raise RuntimeError(f"{rel} holds a solution or hidden-test marker: regenerate exercises/")
    release_edits = _release_edits()
    worked = [f"{rel}: {'; '.join(why)}" for rel in files if rel.startswith("exercises/") and rel.endswith(".ipynb")
              for why in [release_edits(root / rel)] if why]
    if worked:
        raise RuntimeError("these exercises were run or edited, and the bundle would ship them: "
                           + " | ".join(worked) + ". Move them out of exercises/ and run `make exercises`.")
    changed = changed_since_built(dest, files, root)
    if changed:
        raise RuntimeError(f"{dest} holds files changed since it was built ({', '.join(changed[:10])}"
                           f"{' ...' if len(changed) > 10 else ''}): replacing it would delete that work. Move "
                           f"them out of {dest.name}/ (or build elsewhere: python scripts/make_release.py DIR); "
                           "nothing was changed.")
    if dest.exists():
        shutil.rmtree(dest)
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            zf.write(dest / rel, f"{dest.name}/{rel}")
    return dest


def _release_edits():
    """make_exercises.release_edits (the untouched-release check), importable from any working folder."""
    here = str(pathlib.Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from make_exercises import release_edits

    return release_edits


# Not student work: environments and caches a bundle grows when it is used (`make lab` in it).
_NOT_WORK = re.compile(r"(^|/)(\.venv|__pycache__|\.ipynb_checkpoints|[^/]*\.egg-info)(/|$)|\.pyc$")


def changed_since_built(dest: pathlib.Path, files: list[str], root: pathlib.Path = ROOT) -> list[str]:
    """Files under an existing bundle folder ``dest`` that differ from what was built there.

    What was built is read from ``dest.zip`` (written with the folder); without it, from the files
    the new bundle would copy (``files``, relative to ``root``). A file that is in neither counts as
    changed (added); environments and caches do not count.
    """
    dest = pathlib.Path(dest)
    if not dest.exists():
        return []
    built: dict[str, bytes] = {}
    archive = dest.with_suffix(".zip")
    if archive.exists():
        try:
            with zipfile.ZipFile(archive) as zf:
                prefix = f"{dest.name}/"
                built = {n[len(prefix):]: zf.read(n) for n in zf.namelist()
                         if n.startswith(prefix) and not n.endswith("/")}
        except zipfile.BadZipFile:
            built = {}
    wanted = set(files)
    changed = []
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = path.relative_to(dest).as_posix()
        if _NOT_WORK.search(rel):
            continue
        if rel in built:
            same = path.read_bytes() == built[rel]
        else:
            same = rel in wanted and path.read_bytes() == (root / rel).read_bytes()
        if not same:
            changed.append(rel)
    return changed


if __name__ == "__main__":
    try:
        out = build(pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None)
    except RuntimeError as err:
        print(f"make_release: {err}", file=sys.stderr)
        sys.exit(1)
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"student bundle: {out} ({n} files) and {out.with_suffix('.zip')}")
    print("it holds no solutions/, scripts/ or tests/: give students this, not the repository")
