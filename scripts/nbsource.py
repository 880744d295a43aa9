"""Notebook sources: every course notebook is built from one plain-text source under ``course/``.

Why: a lecture or problem set kept as a jupytext "percent" Python file can be run (``python
course/lectures/01_why_unlearn.py`` runs every code cell), linted, diffed and reviewed like code, while
the ``.ipynb`` that students open is derived from it. The layout::

    course/lectures/NN_topic.py          ->  lectures/NN_topic.ipynb
    course/problem_sets/psNN_topic.py    ->  solutions/psNN_topic/psNN_topic.ipynb   (nbgrader source)
                                         ->  exercises/psNN_topic/psNN_topic.ipynb   (nbgrader release,
                                              made by ``scripts/make_exercises.py``)

A cell starts with a ``# %%`` line (``# %% [markdown]`` for text, whose lines are ``# ``-commented).
nbgrader's cell kinds are one short marker in that line, ``nbg="KIND:GRADE_ID[:POINTS]"``:

==========  =====================================  ==========================================
marker      cell                                   nbgrader metadata it stands for
==========  =====================================  ==========================================
``locked``  markdown instructions                  locked
``setup``   the locked setup code                  locked (grade id ``setup`` unless given)
``answer``  student code, solution between          solution
            ``### BEGIN SOLUTION``/``### END SOLUTION``
``tests``   autograded tests (visible, then         grade + locked, ``points`` required
            ``### BEGIN HIDDEN TESTS`` ...)
``written`` a written answer graded by hand         grade + solution (markdown), ``points``
``wrong``   ``nbg="wrong:ANSWER_ID:NAME"``: a        none: never in a notebook; the grading
            typical wrong answer to that task       tests (tests/test_answers.py) submit it
``alt``     ``nbg="alt:ANSWER_ID:NAME"``: another    as above; it must get full marks
            correct answer
``twin``    ``nbg="twin:ANSWER_ID:passes"`` (or      as above; the library's own function,
            ``:fails``): the library twin, renamed  renamed; the test holds it to the stated
                                                    outcome, which the instructor guide reports
==========  =====================================  ==========================================

Cell ids are stable: a graded cell's id is its grade id, any other cell's id is a hash of its type and
text, so inserting a cell renumbers nothing. The built notebook records a fingerprint of its cells; a
build refuses to overwrite a notebook whose cells were edited afterwards (for example in JupyterLab)
and says how to carry the edit into the source (``pull``). Commands (``make notebooks`` runs ``build``)::

    python scripts/nbsource.py build [NAME ...] [--force]   # sources -> notebooks (all by default)
    python scripts/nbsource.py check                        # exit 1 if a notebook is out of date
    python scripts/nbsource.py pull NOTEBOOK.ipynb          # an edited notebook -> its source
    python scripts/nbsource.py format [NAME ...]            # sources in canonical layout (ruff's)
    python scripts/nbsource.py preview NAME                 # execute, save figures + printed text

NAME is a stem such as ``01_why_unlearn`` or ``ps01_why_unlearn``. The canonical layout that
``format`` and ``pull`` write is jupytext's cells passed through ruff's formatter with
``course/ruff.toml`` (code lines of at most 100 characters where ruff can split them; comments and
strings are kept short by hand; tests/test_line_length.py checks every notebook's code lines).
"""
from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import pathlib
import re
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "course"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
HEADER = ("# Source of {target}. Edit this file, then run `make notebooks`\n"
          "# (scripts/nbsource.py explains the format and the nbg=\"...\" cell markers).\n")

GRADED_KINDS = ("locked", "setup", "answer", "tests", "written")
VARIANT_KINDS = ("wrong", "alt", "twin")
# jupytext's own notes on blank lines between cells: layout, not content.
_LAYOUT_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker")
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

__all__ = ["SourceError", "Variant", "nbgrader_meta", "marker_of", "read_source", "notebook_from_source",
           "source_from_notebook", "variants", "format_sources", "sources", "target_of", "build", "check", "pull", "preview",
           "fingerprint", "ruff_format"]


class SourceError(ValueError):
    """A notebook source that cannot be built (the message names the file and the cell)."""


# ----------------------------------------------------------------------------------------- markers
def nbgrader_meta(kind: str, grade_id: str, points: int | None = None) -> dict:
    """The full nbgrader metadata (schema version 3) that one marker kind stands for."""
    flags = {"locked": dict(locked=True), "setup": dict(locked=True), "answer": dict(solution=True),
             "tests": dict(grade=True, locked=True), "written": dict(grade=True, solution=True)}
    if kind not in flags:
        raise SourceError(f"unknown nbgrader cell kind {kind!r}; expected one of {GRADED_KINDS}")
    if not _GRADE_ID.match(grade_id or ""):
        raise SourceError(f"grade id {grade_id!r} must match [A-Za-z0-9_-]{{1,64}}")
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": False, "solution": False, "locked": False,
            "task": False}
    meta.update(flags[kind])
    if kind in ("tests", "written"):
        if not isinstance(points, int) or points <= 0:
            raise SourceError(f"cell {grade_id!r} ({kind}) needs a positive integer of points, got {points!r}")
        meta["points"] = points
    elif points is not None:
        raise SourceError(f"cell {grade_id!r} ({kind}) takes no points")
    return {"nbgrader": meta}


def marker_of(cell) -> str | None:
    """The ``nbg`` marker that stands for a built cell's nbgrader metadata (None for a plain cell)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    if not meta:
        return None
    gid = meta["grade_id"]
    g, s, lk = meta.get("grade", False), meta.get("solution", False), meta.get("locked", False)
    if g and s:
        return f"written:{gid}:{meta['points']}"
    if g:
        return f"tests:{gid}:{meta['points']}"
    if s:
        return f"answer:{gid}"
    if lk:
        return f"setup:{gid}" if cell["cell_type"] == "code" else f"locked:{gid}"
    raise SourceError(f"cell {gid!r} has nbgrader metadata that no marker stands for: {meta}")


def _parse_marker(text: str, where: str):
    parts = text.split(":")
    kind = parts[0]
    if kind in VARIANT_KINDS:
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise SourceError(f"{where}: a {kind} marker is {kind}:ANSWER_ID:NAME, got {text!r}")
        return kind, parts[1], parts[2]
    if kind == "setup" and len(parts) == 1:
        return kind, "setup", None
    if kind not in GRADED_KINDS or len(parts) not in (2, 3):
        raise SourceError(f"{where}: marker {text!r} is not KIND:GRADE_ID[:POINTS] with KIND in "
                          f"{GRADED_KINDS + VARIANT_KINDS}")
    points = None
    if len(parts) == 3:
        if not parts[2].isdigit():
            raise SourceError(f"{where}: points in {text!r} must be a whole number")
        points = int(parts[2])
    return kind, parts[1], points


# ------------------------------------------------------------------------------------- conversion
def _cell_id(cell, seen: dict) -> str:
    meta = cell.metadata.get("nbgrader")
    if meta:
        base = meta["grade_id"]
    else:
        digest = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:10]
        base = f"{cell.cell_type[:2]}-{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def fingerprint(nb) -> str:
    """A hash of what a notebook says (cell types, texts, nbgrader metadata), not of outputs or ids."""
    cells = [[c.cell_type, c.source, c.get("metadata", {}).get("nbgrader")] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]


def read_source(path):
    """Parse a source file into (notebook with ``nbg`` markers kept, list of (marker, cell))."""
    import jupytext

    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    start = text.find("# %%")
    if start < 0:
        raise SourceError(f"{path}: no '# %%' cell marker found")
    nb = jupytext.reads(text[start:], fmt="py:percent")
    return nb


def notebook_from_source(path, *, source_label: str | None = None):
    """Build the notebook of one source: full nbgrader metadata, stable ids, no outputs, kernelspec."""
    path = pathlib.Path(path)
    raw = read_source(path)
    nb = nbformat.v4.new_notebook()
    cells = []
    for index, cell in enumerate(raw.cells):
        marker = cell.metadata.get("nbg")
        extra = sorted(k for k in cell.metadata if k not in ("nbg",) + _LAYOUT_KEYS)
        where = f"{path.name}, cell {index}"
        if extra:
            raise SourceError(f"{where}: only the nbg marker is allowed in a cell header, found {extra}")
        if marker is not None and not isinstance(marker, str):
            raise SourceError(f"{where}: nbg must be a string such as \"tests:task1_tests:2\"")
        make = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        meta = {}
        if marker:
            kind, gid, points = _parse_marker(marker, where)
            if kind in VARIANT_KINDS:
                continue
            meta = nbgrader_meta(kind, gid, points)
            want = "markdown" if kind in ("locked", "written") else "code"
            if cell.cell_type != want:
                raise SourceError(f"{where}: a {kind} cell must be a {want} cell")
        cells.append(make(cell.source, metadata=meta))
    seen: dict = {}
    for cell in cells:
        cell["id"] = _cell_id(cell, seen)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    dup = sorted({g for g in ids if ids.count(g) > 1})
    if dup:
        raise SourceError(f"{path.name}: grade ids used twice: {dup}")
    nb.cells = cells
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["unlearnkit"] = {"source": source_label or path.name, "fingerprint": fingerprint(nb)}
    nbformat.validate(nb)
    return nb


def source_from_notebook(nb, target: str, keep_variants_from=None) -> str:
    """The source text of a notebook (outputs dropped), the inverse of :func:`notebook_from_source`.

    ``keep_variants_from``: an existing source whose ``wrong``/``alt`` cells are carried over, each
    placed after the answer cell it belongs to (they never appear in a notebook)."""
    import jupytext

    out = nbformat.v4.new_notebook()
    out.metadata["jupytext"] = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "nbg"}
    groups = {}
    if keep_variants_from is not None:
        for v in variants(keep_variants_from):
            groups.setdefault(v.answer_id, []).append(v)
    for cell in nb.cells:
        marker = marker_of(cell)
        meta = {"nbg": marker} if marker else {}
        make = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        out.cells.append(make(cell.source, metadata=meta))
        if marker and marker.startswith("answer:"):
            for v in groups.pop(marker.split(":")[1], []):
                out.cells.append(nbformat.v4.new_code_cell(v.source, metadata={"nbg": f"{v.kind}:{v.answer_id}:{v.name}"}))
    if groups:
        raise SourceError(f"variants for answers no longer in the notebook: {sorted(groups)}")
    return ruff_format(HEADER.format(target=target) + "\n" + jupytext.writes(out, fmt="py:percent"), target)


RUFF_CONFIG = ROOT / "course" / "ruff.toml"


def ruff_format(text: str, target: str = "source") -> str:
    """``text`` through ruff's formatter with course/ruff.toml (line length 100): the canonical layout
    of a source is jupytext's cells laid out as ruff wants them, so ``ruff format --check course/``
    passes on what ``format`` and ``pull`` write (tests/test_line_length.py checks both)."""
    import subprocess

    run = subprocess.run([sys.executable, "-m", "ruff", "format", "--config", str(RUFF_CONFIG),
                          "--stdin-filename", "source_of_" + pathlib.Path(target).stem + ".py", "-"],
                         input=text, capture_output=True, text=True)
    if run.returncode != 0:
        raise SourceError(f"the source of {target} cannot be formatted by ruff (pinned in "
                          f"requirements-dev.txt): {(run.stderr or run.stdout).strip()}")
    return run.stdout


class Variant:
    """One typical wrong answer (``kind == "wrong"``) or correct alternative (``"alt"``) to a task."""

    def __init__(self, kind, answer_id, name, source):
        self.kind, self.answer_id, self.name, self.source = kind, answer_id, name, source

    def __repr__(self):
        return f"Variant({self.kind}:{self.answer_id}:{self.name})"


def variants(path) -> list[Variant]:
    """The wrong answers and correct alternatives a problem-set source carries, in file order."""
    raw = read_source(path)
    answers = {c.metadata["nbg"].split(":")[1] for c in raw.cells
               if str(c.metadata.get("nbg", "")).startswith("answer:")}
    out = []
    for index, cell in enumerate(raw.cells):
        marker = cell.metadata.get("nbg")
        if isinstance(marker, str) and marker.split(":")[0] in VARIANT_KINDS:
            kind, gid, name = _parse_marker(marker, f"{pathlib.Path(path).name}, cell {index}")
            if gid not in answers:
                raise SourceError(f"{pathlib.Path(path).name}, cell {index}: {marker!r} names no answer cell")
            if kind == "twin" and name not in ("passes", "fails"):
                raise SourceError(f"{pathlib.Path(path).name}, cell {index}: a twin marker states its outcome: "
                                  f"twin:{gid}:passes or twin:{gid}:fails, got {marker!r}")
            out.append(Variant(kind, gid, name, cell.source))
    keys = [(v.answer_id, v.name) for v in out]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SourceError(f"{pathlib.Path(path).name}: variant names used twice: {dup}")
    return out


# ----------------------------------------------------------------------------------------- layout
def sources(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every notebook source: course/lectures/*.py and course/problem_sets/*.py."""
    base = root / "course"
    return sorted(base.glob("lectures/[0-9][0-9]_*.py")) + sorted(base.glob("problem_sets/ps[0-9][0-9]_*.py"))


def target_of(source: pathlib.Path, root: pathlib.Path = ROOT) -> pathlib.Path:
    """The notebook a source builds."""
    source = pathlib.Path(source)
    if source.parent.name == "lectures":
        return root / "lectures" / f"{source.stem}.ipynb"
    if source.parent.name == "problem_sets":
        return root / "solutions" / source.stem / f"{source.stem}.ipynb"
    raise SourceError(f"{source}: a source lives in course/lectures/ or course/problem_sets/")


def source_of(name_or_path, root: pathlib.Path = ROOT) -> pathlib.Path:
    """The source for a stem (``01_why_unlearn``), a source path or a built notebook's path."""
    stem = pathlib.Path(str(name_or_path)).stem
    for src in sources(root):
        if src.stem == stem:
            return src
    raise SourceError(f"no source for {name_or_path!r}; sources: {[s.stem for s in sources(root)]}")


def _text(nb) -> str:
    return nbformat.writes(nb) + "\n"


def _build_one(src: pathlib.Path, root: pathlib.Path):
    return target_of(src, root), notebook_from_source(src, source_label=str(src.relative_to(root)))


def _edited(target: pathlib.Path) -> bool:
    """True if the notebook on disk was changed after it was built (its cells no longer match)."""
    if not target.exists():
        return False
    nb = nbformat.read(target, as_version=4)
    recorded = nb.metadata.get("unlearnkit", {}).get("fingerprint")
    return recorded is not None and recorded != fingerprint(nb)


def build(names=None, *, force: bool = False, root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Write the notebooks of the given sources (all by default); returns those that changed.

    Refuses (SourceError, nothing written) if a target notebook's cells were edited after it was
    built, unless ``force``: carry the edit into the source with ``pull`` first."""
    srcs = [source_of(n, root) for n in names] if names else sources(root)
    planned = [_build_one(src, root) for src in srcs]  # every source parses before anything is written
    edited = [t for t, _ in planned if _edited(t)]
    if edited and not force:
        rel = [str(t.relative_to(root)) for t in edited]
        raise SourceError(f"{rel} changed after they were built (edited in JupyterLab?). Carry the edits into "
                          f"the source with `python scripts/nbsource.py pull {rel[0]}`, or discard them with --force.")
    changed = []
    for target, nb in planned:
        text = _text(nb)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def check(root: pathlib.Path = ROOT) -> list[str]:
    """Problems: notebooks that differ from what their source builds, and notebooks with no source."""
    problems = []
    built = set()
    for src in sources(root):
        target, nb = _build_one(src, root)
        built.add(target)
        if not target.exists():
            problems.append(f"{target.relative_to(root)} missing: run `make notebooks`")
        elif target.read_text(encoding="utf-8") != _text(nb):
            problems.append(f"{target.relative_to(root)} differs from {src.relative_to(root)}: "
                            + ("edited after building: `python scripts/nbsource.py pull` it" if _edited(target)
                               else "run `make notebooks`"))
    for nb_path in sorted((root / "lectures").glob("*.ipynb")) + sorted((root / "solutions").glob("*/*.ipynb")):
        if nb_path not in built:
            problems.append(f"{nb_path.relative_to(root)} has no source in course/")
    return problems


def pull(notebook, *, root: pathlib.Path = ROOT) -> pathlib.Path:
    """Carry a notebook's edits (made in JupyterLab) back into its source; outputs are dropped."""
    notebook = pathlib.Path(notebook).resolve()
    src = source_of(notebook, root)
    nb = nbformat.read(notebook, as_version=4)
    text = source_from_notebook(nb, str(target_of(src, root).relative_to(root)), keep_variants_from=src)
    src.write_text(text, encoding="utf-8")
    return src


def format_sources(names=None, *, root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Rewrite sources in the canonical layout that ``pull`` writes (content unchanged)."""
    srcs = [source_of(n, root) for n in names] if names else sources(root)
    changed = []
    for src in srcs:
        target = target_of(src, root)
        nb = notebook_from_source(src)
        text = source_from_notebook(nb, str(target.relative_to(root)), keep_variants_from=src)
        if src.read_text(encoding="utf-8") != text:
            src.write_text(text, encoding="utf-8")
            changed.append(src)
    return changed


def preview(name, out_dir=None, *, root: pathlib.Path = ROOT) -> pathlib.Path:
    """Execute one notebook as the tests do; save its printed text and every figure to ``preview/NAME/``."""
    sys.path.insert(0, str(root / "scripts"))
    import nbrun

    src = source_of(name, root)
    build([src.stem], root=root)
    target = target_of(src, root)
    out = pathlib.Path(out_dir or root / "preview" / src.stem)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    start = time.perf_counter()
    run = nbrun.execute(target, allow_errors=True)
    seconds = time.perf_counter() - start
    lines, figures = [], 0
    for index, cell in enumerate(run.nb.cells):
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                lines.append(f"[cell {index} {o.name}] " + o.text.rstrip())
            elif o.output_type in ("execute_result", "display_data"):
                data = o.get("data", {})
                if "image/png" in data:
                    figures += 1
                    (out / f"cell{index:03d}_{figures}.png").write_bytes(base64.b64decode(data["image/png"]))
                    lines.append(f"[cell {index}] figure cell{index:03d}_{figures}.png")
                elif "text/plain" in data:
                    lines.append(f"[cell {index} result] " + data["text/plain"].rstrip())
            elif o.output_type == "error":
                lines.append(f"[cell {index} ERROR] {o.ename}: {o.evalue}")
    (out / "printed.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{target.relative_to(root)}: {seconds:.1f} s, {figures} figures, "
          f"{len(run.errors)} failing cells -> {out.relative_to(root) if out.is_relative_to(root) else out}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="sources -> notebooks")
    b.add_argument("names", nargs="*")
    b.add_argument("--force", action="store_true", help="overwrite notebooks edited after their build")
    sub.add_parser("check", help="exit 1 if a notebook differs from its source")
    f = sub.add_parser("format", help="rewrite sources in canonical layout")
    f.add_argument("names", nargs="*")
    p = sub.add_parser("pull", help="carry an edited notebook back into its source")
    p.add_argument("notebook")
    v = sub.add_parser("preview", help="execute one notebook; figures and printed text to preview/NAME/")
    v.add_argument("name")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "build":
            for path in build(args.names or None, force=args.force):
                print(f"wrote {path.relative_to(ROOT)}")
        elif args.cmd == "check":
            problems = check()
            print("\n".join(problems) or "every notebook matches its source")
            return 1 if problems else 0
        elif args.cmd == "format":
            for path in format_sources(args.names or None):
                print(f"reformatted {path.relative_to(ROOT)}")
        elif args.cmd == "pull":
            print(f"wrote {pull(args.notebook).relative_to(ROOT)}")
        elif args.cmd == "preview":
            preview(args.name)
    except SourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
