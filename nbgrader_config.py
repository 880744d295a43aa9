"""nbgrader configuration for the unlearnkit course.

solutions/ is nbgrader's *source* folder (problem sets with solutions and hidden tests) and
exercises/ its *release* folder (what students get). Run every nbgrader command from this folder.
See README.md, "Instructor guide"; the facts behind each setting are in docs/NBGRADER.md.
"""
import os

c = get_config()  # noqa: F821  (injected by nbgrader / traitlets)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "unlearnkit"
# The folder of this file, so a copy of the course in another folder points at itself.
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# nbgrader's default "solution" is one letter away from our "solutions" and its output holds the
# hidden tests: give it a name that cannot be confused and is ignored by git.
c.CourseDirectory.solution_directory = "solution_release"

# Grading must never hang: a per-cell limit (CPU torch cells in our solutions take a few seconds).
# Execute.timeout wins over ExecutePreprocessor.timeout when both are set.
c.Execute.timeout = 60
# A student loop that ignores interrupts must not abort the whole submission.
c.Execute.raise_on_iopub_timeout = False
# A deleted test cell is put back (and fails) instead of leaving "needs manual grade".
c.OverwriteCells.add_missing_cells = True
# Feedback must not show the hidden tests. ClearHiddenTests removes them from the cell source, but
# a failing test cell's traceback quotes the lines around the failure, hidden ones included (the
# test suite caught this): for cells that hold hidden tests, keep only the error's last line.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor  # noqa: E402


class ClearHiddenTracebacks(NbGraderPreprocessor):
    """Shorten the tracebacks of test cells that contain hidden tests to ``Ename: message``."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}",
                                        "(traceback hidden: this test cell contains hidden tests)"]
        return cell, resources


c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTracebacks, ClearHiddenTests,
                                    CSSHTMLHeaderPreprocessor]

# What students see in place of each solution region; the task's docstring gives the specific hint.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("write your solution here (the docstring above says what to return)")'
}
