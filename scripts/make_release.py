"""Build the student bundle: ``release_bundle/`` and ``release_bundle.zip`` (``make release``).

Students get this bundle, never the repository: solutions/ (solutions and hidden tests), scripts/
(the notebook builders hold solutions too) and tests/ stay with the instructors. The bundle holds:

    lectures/ exercises/ unlearnkit/                       as git tracks them here
    LICENSE LICENSE-CONTENT environment.yml requirements.txt pyproject.toml
    README.md Makefile jupyter_config/                     the students' own, from scripts/bundle/

The bundle has its own short README and Makefile (``scripts/bundle/``: set-up, ``make lab``,
``make check``, how to submit); the maintainers' README and Makefile, whose commands need solutions/,
scripts/ and tests/, are not shipped. ``jupyter_config/`` is what ``make lab`` gives JupyterLab:
nbgrader's instructor tools and the news toast off, Validate kept (README, "Student JupyterLab").

What is refused, before anything is written (each error names the files and the fix):

- a folder that is not a git checkout: the bundle is made of the files git tracks (the working
  tree's version of each), so scratch files, gradebooks and submissions never travel; files git
  does not track under lectures/ or exercises/ (someone's notes, a lecture not yet added) are left
  out and listed;
- a notebook with outputs, execution counts or saved widget state (a lecture someone ran, answers
  pasted into exercises/);
- a release in exercises/ that is not byte for byte what ``nbgrader generate_assignment`` makes from
  solutions/ now (an edited or stale release), or that holds a solution or hidden-test marker;
- replacing a bundle folder in which files changed since it was built (someone worked in it).

Usage::

    python scripts/make_release.py [DEST]      # default: release_bundle/ at the repository root
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = ("lectures", "exercises", "unlearnkit")
# Shipped from the repository root as they are.
FILES = ("LICENSE", "LICENSE-CONTENT", "environment.yml", "requirements.txt", "pyproject.toml")
# The bundle's own files: STUDENT/<path> in the repository is shipped as <path> at the bundle's top.
STUDENT = "scripts/bundle"
STUDENT_FILES = ("README.md", "Makefile", "jupyter_config/labconfig/page_config.json",
                 "jupyter_config/jupyter_server_config.json")
# Every repository path the bundle needs.
REQUIRED = FILES + tuple(f"{STUDENT}/{f}" for f in STUDENT_FILES)
SKIP = re.compile(r"(^|/)(__pycache__|\.ipynb_checkpoints|[^/]*\.egg-info)(/|$)|\.pyc$")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")


def _git(root: pathlib.Path, *args: str) -> str | None:
    """Output of ``git ARGS`` run in ``root`` (None if git is missing or fails)."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def tracked_files(root: pathlib.Path = ROOT) -> list[str]:
    """Paths (posix, relative to ``root``) of the files git tracks under ``root``.

    Raises RuntimeError if ``root`` is not inside a git checkout (or git is missing).
    """
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != "true":
        raise RuntimeError(f"{root} is not a git checkout: the bundle is built from the files git tracks, so "
                           "that no scratch file, gradebook or student work travels with it. Run this in a clone "
                           "of the course repository.")
    out = _git(root, "ls-files", "-z", "--cached", "--", ".")
    return sorted({p for p in (out or "").split("\0") if p})


def bundle_files(root: pathlib.Path = ROOT) -> dict[str, str]:
    """{path in the bundle: path in ``root``} of every file the bundle contains (posix paths).

    Raises RuntimeError outside a git checkout, or if a file the bundle needs is not tracked, or a
    tracked file is missing from the working tree.
    """
    root = pathlib.Path(root)
    tracked = tracked_files(root)
    keep: dict[str, str] = {}
    gone = []
    for rel in tracked:
        if SKIP.search(rel):
            continue
        if rel in FILES or rel.split("/")[0] in FOLDERS:
            dest = rel
        elif rel.startswith(STUDENT + "/"):
            dest = rel[len(STUDENT) + 1:]
        else:
            continue
        if not (root / rel).is_file():
            gone.append(rel)
            continue
        keep[dest] = rel
    if gone:
        raise RuntimeError(f"git tracks {gone[:10]} but the working tree lacks them: restore them "
                           "(git checkout -- PATH) or remove them from git (git rm PATH), then run this again")
    missing = [r for r in REQUIRED if r not in keep.values()]
    if missing:
        raise RuntimeError(f"the bundle needs {missing}, which git does not track here: add and commit them")
    return dict(sorted(keep.items()))


def left_out(root: pathlib.Path = ROOT) -> list[str]:
    """Files under the shipped folders that git does not track (not ignored either): not shipped."""
    out = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *FOLDERS) or ""
    return sorted(p for p in out.split("\0") if p and not SKIP.search(p))


def notebook_state(path) -> list[str]:
    """Why the notebook at ``path`` is not clean ([] if it has no outputs, counts or widget state)."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # noqa: BLE001 -- whatever it holds, it cannot be shipped
        return [f"it cannot be read as a notebook ({type(err).__name__})"]
    why = []
    ran = [i for i, c in enumerate(nb.cells)
           if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    if ran:
        why.append(f"cells {ran[:5]} hold outputs or execution counts (it was run)")
    if "widgets" in nb.metadata:
        why.append("it holds saved widget state (it was run)")
    return why


def _make_exercises():
    """scripts/make_exercises.py as a module, importable from any working folder."""
    here = str(pathlib.Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import make_exercises

    return make_exercises


def release_differences(files: dict[str, str], root: pathlib.Path = ROOT) -> list[str]:
    """How the exercises/ files of the bundle differ from what nbgrader generates from solutions/ now.

    Generates every problem set of ``root``/solutions/ with ``nbgrader generate_assignment --no-db``
    into a temporary folder (nothing in the course changes, the gradebook included) and compares each
    generated file with exercises/, byte for byte. Returns one line per difference ([] if none).
    """
    mx = _make_exercises()
    root = pathlib.Path(root)
    names = mx.assignments(root) if (root / "solutions").is_dir() else []
    shipped = {d: r for d, r in files.items() if d.startswith("exercises/")}
    problems = []
    for name in names:
        try:
            mx.check_source(name, root)
        except ValueError as err:
            problems.append(str(err))
    if problems:
        return problems
    generated: dict[str, bytes] = {}
    if names:
        with tempfile.TemporaryDirectory(prefix="release_check_") as tmp:
            try:  # one nbgrader call for every problem set (a glob): the output is the same per file
                mx._generate_into(names[0] if len(names) == 1 else "*", pathlib.Path(tmp), root, gradebook=False)
            except subprocess.CalledProcessError:
                return ["nbgrader generate_assignment failed on solutions/ (its messages are above)"]
            for name in names:
                for path in sorted((pathlib.Path(tmp) / name).rglob("*")):
                    if path.is_file():
                        generated["exercises/" + path.relative_to(tmp).as_posix()] = path.read_bytes()
    for dest, data in generated.items():
        if dest not in shipped:
            problems.append(f"{dest}: nbgrader generates it from solutions/, but git does not track it in exercises/")
        elif (root / shipped[dest]).read_bytes() != data:
            problems.append(f"{dest}: differs from what nbgrader generates from solutions/ now")
    for dest in shipped:
        if dest not in generated:
            problems.append(f"{dest}: not part of any release nbgrader generates from solutions/")
    return problems


def check(files: dict[str, str], root: pathlib.Path = ROOT) -> None:
    """Raise RuntimeError, naming every file concerned, if the bundle ``files`` must not be shipped."""
    root = pathlib.Path(root)
    for dest, rel in files.items():
        if dest.startswith("exercises/") and dest.endswith((".ipynb", ".py", ".md")):
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
            if any(m in text for m in SOLUTION_MARKERS):
                raise RuntimeError(f"{rel} holds a solution or hidden-test marker: regenerate exercises/")
    release_edits = _make_exercises().release_edits
    worked = [f"{rel}: {'; '.join(why)}" for dest, rel in files.items()
              if dest.startswith("exercises/") and dest.endswith(".ipynb")
              for why in [release_edits(root / rel)] if why]
    if worked:
        raise RuntimeError("these exercises were run or edited, and the bundle would ship them: "
                           + " | ".join(worked) + ". Move them out of exercises/ and run `make exercises`.")
    ran = [f"{rel}: {'; '.join(why)}" for dest, rel in files.items() if dest.endswith(".ipynb")
           for why in [notebook_state(root / rel)] if why]
    if ran:
        raise RuntimeError("these notebooks hold outputs, and the bundle would ship them: " + " | ".join(ran)
                           + ". Notebooks are committed without outputs: clear them (JupyterLab: Edit > Clear "
                           "Outputs of All Cells, then save) or rebuild them (make notebooks).")
    differ = release_differences(files, root)
    if differ:
        raise RuntimeError("exercises/ is not what nbgrader generates from solutions/: " + " | ".join(differ)
                           + ". Regenerate it (make exercises) and commit it.")


def build(dest: pathlib.Path | None = None, root: pathlib.Path = ROOT) -> pathlib.Path:
    """Write the bundle folder ``dest`` (replaced if present) and ``dest.zip``; return ``dest``.

    Raises RuntimeError, before anything is written, if ``root`` is not a git checkout, if a file
    the bundle would ship is unfit (:func:`check`: a solution marker, a run or edited exercise, a
    notebook with outputs, a release that differs from nbgrader's), or if an existing ``dest`` holds
    files changed since it was built (someone worked in it: replacing it would delete that work).
    """
    root = pathlib.Path(root)
    dest = pathlib.Path(dest) if dest is not None else root / "release_bundle"
    files = bundle_files(root)
    check(files, root)
    changed = changed_since_built(dest, files, root)
    if changed:
        raise RuntimeError(f"{dest} holds files changed since it was built ({', '.join(changed[:10])}"
                           f"{' ...' if len(changed) > 10 else ''}): replacing it would delete that work. Move "
                           f"them out of {dest.name}/ (or build elsewhere: python scripts/make_release.py DIR); "
                           "nothing was changed.")
    if dest.exists():
        shutil.rmtree(dest)
    for name, rel in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / name)
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in files:
            zf.write(dest / name, f"{dest.name}/{name}")
    return dest


# Not student work: environments and caches a bundle grows when it is used (`make lab` in it).
_NOT_WORK = re.compile(r"(^|/)(\.venv|__pycache__|\.ipynb_checkpoints|[^/]*\.egg-info)(/|$)|\.pyc$")


def changed_since_built(dest: pathlib.Path, files, root: pathlib.Path = ROOT) -> list[str]:
    """Files under an existing bundle folder ``dest`` that differ from what was built there.

    What was built is read from ``dest.zip`` (written with the folder); without it, from the files
    the new bundle would copy (``files``: {bundle path: path in ``root``}). A file that is in neither
    counts as changed (added); environments and caches do not count.
    """
    dest = pathlib.Path(dest)
    if not dest.exists():
        return []
    files = dict(files) if isinstance(files, dict) else {f: f for f in files}
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
    changed = []
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = path.relative_to(dest).as_posix()
        if _NOT_WORK.search(rel):
            continue
        if rel in built:
            same = path.read_bytes() == built[rel]
        else:
            same = rel in files and path.read_bytes() == (root / files[rel]).read_bytes()
        if not same:
            changed.append(rel)
    return changed


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        out = build(pathlib.Path(argv[0]).resolve() if argv else None)
    except RuntimeError as err:
        print(f"make_release: {err}", file=sys.stderr)
        return 1
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"student bundle: {out} ({n} files) and {out.with_suffix('.zip')}")
    print("it holds no solutions/, scripts/ or tests/: give students this, not the repository")
    skipped = left_out(ROOT)
    if skipped:
        print(f"not shipped (git does not track them): {', '.join(skipped[:10])}{' ...' if len(skipped) > 10 else ''}")
    dirty = (_git(ROOT, "status", "--porcelain", "--", *FOLDERS, *FILES, STUDENT) or "").splitlines()
    commit = (_git(ROOT, "rev-parse", "--short", "HEAD") or "?").strip()
    print(f"built from commit {commit}" + (f" plus {len(dirty)} uncommitted change(s) in shipped paths"
                                           if dirty else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
