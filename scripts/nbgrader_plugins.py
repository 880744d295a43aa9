"""Grading plug-ins for the unlearnkit course (nbgrader 0.9.6), and the instructor's locked-cell report.

``nbgrader_config.py`` loads this file by its path (``scripts/nbgrader_plugins.py`` next to the
config), so a copy of the course grades the same way. It is not part of the student bundle, and
nothing here runs while students work. What each piece fixes was measured with real autogrades
(docs/NBGRADER.md, "Behaviour to design around"; tests/test_grading_safety.py holds every claim):

``GradeOneCopy`` (autograde, sanitizing step; replaces nbgrader's ``DeduplicateIds``)
    A test cell copied and pasted in JupyterLab keeps its nbgrader metadata, so two cells carry one
    grade id. ``DeduplicateIds`` empties the metadata of the extra copy (``{}``) and
    ``OverwriteCells.add_missing_cells`` then fails on it (``KeyError: 'grade_id'``): the whole
    submission is left ungraded (score 0, every cell "needs manual grade"). This keeps one copy
    graded (the one after the cell that precedes it in the source) and turns the others into plain,
    ungraded cells, labelled as copies.
``OverwriteLockedCells`` (autograde, sanitizing step; replaces ``OverwriteCells``)
    nbgrader warns "Attribute 'checksum' for cell ... has changed!" for every test cell that holds
    hidden tests, edited or not (the release removed them, so the checksum differs by design). This
    warns only when the submitted cell differs from the *released* cell, and then says so plainly.
    It restores locked cells exactly as ``OverwriteCells`` does.
``ExplainScores`` (autograde, right after ``Execute``)
    nbgrader scores a test cell 0 when anything reaches stderr, even when every assert passed, and
    a cell stopped at the time limit shows only ``KeyboardInterrupt`` / ``CellTimeoutError`` with
    no reason. In a test cell that raised no error, stderr (a warning, a progress bar) is kept as
    ordinary output and the cell keeps its points, with a note saying so; a cell stopped by the
    time limit says which limit (``Execute.timeout``, in seconds) stopped it, or that it never ran
    because an earlier cell ignored the stop request.
``ClearHiddenTracebacks`` (feedback)
    ``ClearHiddenTests`` removes hidden tests from the feedback's cell source, but a failing test
    cell's traceback quotes the lines around the failure, hidden ones included: for test cells that
    hold hidden tests, keep only ``Ename: message`` of each error.

The locked-cell report (one command, from the course root)::

    python scripts/nbgrader_plugins.py locked-cells psNN_topic

compares every submitted notebook (``submitted/<student>/psNN_topic/``) with the release
(``exercises/psNN_topic/``), cell by cell and by grade id, and lists per student the locked cells
(instructions, setup, tests) that were edited, deleted or duplicated. An untouched cell is never
listed. Autograding restores locked cells whatever the report says; the report tells the instructor
who tried to change them.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor, OverwriteCells

GRADING_NOTE = "[grading] "


def grade_id_of(cell) -> str | None:
    """The grade id nbgrader tracks a cell by (None for cells nbgrader ignores)."""
    if utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell):
        return cell.metadata["nbgrader"].get("grade_id")
    return None


def released_source(source: str, parent=None) -> str:
    """``source`` as the release shows it: hidden-test regions removed as generate_assignment does."""
    cell = NotebookNode(cell_type="code", source=source, metadata={})
    ClearHiddenTests(parent=parent)._remove_hidden_test_region(cell)
    return cell.source


# ----------------------------------------------------------------------------- autograde, sanitizing
class GradeOneCopy(NbGraderPreprocessor):
    """Keep one graded copy of each grade id; extra copies become plain cells (see module docstring).

    The graded copy is the first one placed after the cell that precedes this grade id in the
    source notebook (its answer cell, for a test cell), so a copy pasted above the answer it tests
    is not the one graded; without such a copy (or without the source's cell order), the first.
    """

    def preprocess(self, nb, resources):
        ids = [grade_id_of(cell) for cell in nb.cells]
        repeated = sorted({g for g in ids if g is not None and ids.count(g) > 1})
        if not repeated:
            return nb, resources
        order = self._source_order(resources)
        student = resources.get("nbgrader", {}).get("student", "?")
        for gid in repeated:
            copies = [i for i, g in enumerate(ids) if g == gid]
            keep = copies[0]
            if gid in order and order.index(gid) > 0:
                before = order[order.index(gid) - 1]
                anchor = next((i for i, g in enumerate(ids) if g == before), None)
                after = [i for i in copies if anchor is not None and i > anchor]
                keep = after[0] if after else keep
            for i in copies:
                if i != keep:
                    self._unmark(nb.cells[i], gid)
            self.log.warning("Student %s: cell '%s' appears %d times (a copy and paste); cell %d is graded, "
                             "the other copies are plain ungraded cells", student, gid, len(copies), keep)
        return nb, resources

    def _source_order(self, resources) -> list[str]:
        """Grade ids of the source notebook's cells in order, from the gradebook ([] if unknown)."""
        info = resources.get("nbgrader", {})
        try:
            from nbgrader.api import Gradebook

            with Gradebook(info["db_url"]) as gb:
                return [c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells]
        except Exception as err:  # noqa: BLE001 -- the fallback (first copy) is safe
            self.log.warning("Could not read the source's cell order (%s); grading the first copy", err)
            return []

    @staticmethod
    def _unmark(cell, gid: str) -> None:
        del cell.metadata["nbgrader"]
        for key in ("editable", "deletable"):
            cell.metadata.pop(key, None)
        note = f"copy of cell '{gid}', not graded (the graded copy is elsewhere in this notebook)"
        cell.source = (f"# {note}\n" if cell.cell_type == "code" else f"*({note})*\n\n") + cell.source


class OverwriteLockedCells(OverwriteCells):
    """``OverwriteCells`` that warns about a changed locked cell only when the student changed it."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._as_released = False
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid is not None and utils.is_locked(cell):
            try:
                src = self.gradebook.find_source_cell(gid, self.notebook_id, self.assignment_id)
                self._as_released = (cell.cell_type == src.cell_type
                                     and cell.source == released_source(src.source, parent=self))
            except Exception:  # noqa: BLE001 -- unknown cell: OverwriteCells reports it
                self._as_released = False
        return super().preprocess_cell(cell, resources, cell_index)

    def missing_cell_transform(self, source_cell, max_score, is_solution=False, is_task=False):
        """nbgrader's restored cell, with the cell id nbformat 4.5 requires (it gives none, and
        nbformat then warns "MissingIDFieldWarning" for every deleted cell)."""
        cell = super().missing_cell_transform(source_cell, max_score, is_solution=is_solution, is_task=is_task)
        cell["id"] = f"{source_cell.name}-restored"[-64:]
        return cell

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            if self._as_released:
                self.log.debug("Locked cell %s is as released (its checksum differs only by the hidden tests)", name)
            else:
                self.log.warning("Locked cell %s was edited in the submission; it is restored from the source", name)
            return
        super().report_change(name, attr, old, new)


# ----------------------------------------------------------------------------- autograde, after Execute
class ExplainScores(NbGraderPreprocessor):
    """Say in each cell's output which rule decided its points (see module docstring).

    Must run right after ``Execute`` (it reads the execution timestamps ``Execute`` records, which
    ``ClearMetadataPreprocessor`` removes) and before ``SaveAutoGrades`` (which scores the cells).
    """

    def preprocess(self, nb, resources):
        execute = Execute(parent=self.parent, config=self.config)
        self.time_limit = execute.timeout
        self.timeout_ename = (execute.error_on_timeout or {}).get("ename", "CellTimeoutError")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.output_type == "error"]
        if any(o.get("ename") == self.timeout_ename for o in errors):
            started = "iopub.execute_input" in cell.get("metadata", {}).get("execution", {})
            limit = f"the time limit of {self.time_limit} s per cell"
            if started:
                reason = f"this cell ran longer than {limit} and was stopped"
            else:
                reason = f"this cell never ran: an earlier cell kept the kernel busy after {limit}"
            for out in errors:
                if out.get("ename") == self.timeout_ename:
                    out["evalue"] = reason
                    out["traceback"] = [f"{self.timeout_ename}: {reason}"]
                elif out.get("ename") == "KeyboardInterrupt" and not out.get("evalue"):
                    out["evalue"] = f"sent by the grader at {limit}"
                    if out.get("traceback"):
                        out["traceback"][-1] = f"KeyboardInterrupt: {out['evalue']}"
            if utils.is_grade(cell):
                outputs.append(_note(f"0 points: {reason}."))
        elif utils.is_grade(cell) and not errors:
            stderr = [o for o in outputs if o.output_type == "stream" and o.get("name") == "stderr"]
            if stderr:
                for out in stderr:
                    out["name"] = "stdout"
                outputs.append(_note("this test cell wrote to stderr (the text above: a warning or progress "
                                     "output) and no test failed, so it keeps its points; stderr alone is "
                                     "not counted as a failure."))
        return cell, resources


def _note(text: str):
    return NotebookNode(output_type="stream", name="stdout", text=GRADING_NOTE + text + "\n")


# ----------------------------------------------------------------------------- feedback
class ClearHiddenTracebacks(NbGraderPreprocessor):
    """Shorten the tracebacks of test cells that contain hidden tests to ``Ename: message``."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}",
                                        "(traceback hidden: this test cell contains hidden tests)"]
        return cell, resources


# ----------------------------------------------------------------------------- the locked-cell report
def _read(path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n")


def locked_cell_changes(released, submitted) -> dict[str, list[str]]:
    """How ``submitted`` changed the locked cells of ``released`` (two notebooks), by grade id.

    Returns ``{"edited": [...], "deleted": [...], "duplicated": [...]}`` (grade ids in release
    order). A locked cell is *edited* when a copy's type or source differs from the release,
    *deleted* when no cell carries its grade id, *duplicated* when several do.
    """
    out = {"edited": [], "deleted": [], "duplicated": []}
    by_id: dict[str, list] = {}
    for cell in submitted.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid is not None:
            by_id.setdefault(gid, []).append(cell)
    for cell in released.cells:
        if not utils.is_locked(cell):
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        copies = by_id.get(gid, [])
        if not copies:
            out["deleted"].append(gid)
            continue
        if len(copies) > 1:
            out["duplicated"].append(gid)
        if any(c.cell_type != cell.cell_type or _norm(c.source) != _norm(cell.source) for c in copies):
            out["edited"].append(gid)
    return out


def _course_dirs(root: pathlib.Path):
    """(submitted folder, release folder) of the course at ``root``, as its nbgrader_config.py sets them."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    cd = CourseDirectory(config=config)
    base = pathlib.Path(cd.root)
    return base / cd.submitted_directory, base / cd.release_directory


def locked_cell_report(assignment: str, root) -> dict[str, dict[str, list[str]]]:
    """``{student: changes}`` for every submission of ``assignment`` (see :func:`locked_cell_changes`).

    ``changes`` also holds ``"missing"``: release notebooks the student did not submit. Raises
    FileNotFoundError if the release or the submissions folder does not exist.
    """
    root = pathlib.Path(root)
    submitted, release = _course_dirs(root)
    release_dir = release / assignment
    notebooks = sorted(release_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no released notebook in {release_dir}: is '{assignment}' the right name?")
    if not submitted.is_dir():
        raise FileNotFoundError(f"no submissions folder {submitted}: collect the submissions first")
    report = {}
    for student_dir in sorted(p for p in submitted.iterdir() if (p / assignment).is_dir()):
        total = {"edited": [], "deleted": [], "duplicated": [], "missing": []}
        for nb_path in notebooks:
            sub = student_dir / assignment / nb_path.name
            if not sub.exists():
                total["missing"].append(nb_path.name)
                continue
            prefix = "" if len(notebooks) == 1 else f"{nb_path.stem}:"
            for kind, ids in locked_cell_changes(_read(nb_path), _read(sub)).items():
                total[kind] += [prefix + g for g in ids]
        report[student_dir.name] = total
    return report


def format_report(assignment: str, report: dict) -> str:
    """The report as text: one line per student who changed a locked cell, then a summary."""
    changed = {s: r for s, r in report.items() if any(r.values())}
    lines = [f"Locked cells of {assignment}: {len(report)} submissions compared with the release"]
    for student, r in changed.items():
        parts = [f"{kind} {', '.join(ids)}" for kind, ids in r.items() if ids]
        lines.append(f"  {student}: " + "; ".join(parts))
    lines.append(f"{len(changed)} of {len(report)} submissions changed a locked cell"
                 + ("" if changed else " (every locked cell is as released)"))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/nbgrader_plugins.py",
                                     description="Grading helpers for the unlearnkit course.")
    sub = parser.add_subparsers(dest="command", required=True)
    lc = sub.add_parser("locked-cells", help="which students edited, deleted or duplicated a locked cell")
    lc.add_argument("assignment", help="problem set name, e.g. ps02_exact_unlearning")
    lc.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent),
                    help="course root (the folder of nbgrader_config.py; default: this repository)")
    args = parser.parse_args(argv)
    try:
        report = locked_cell_report(args.assignment, args.root)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_report(args.assignment, report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
