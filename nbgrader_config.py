"""nbgrader configuration for the unlearnkit course.

solutions/ is nbgrader's *source* folder (problem sets with solutions and hidden tests) and
exercises/ its *release* folder (what students get). Run every nbgrader command from this folder.
See README.md, "Instructor guide"; the facts behind each setting are in docs/NBGRADER.md. The
grading plug-ins (preprocessors) live in scripts/nbgrader_plugins.py, loaded from this file's folder.
"""
import importlib.util
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
# A deleted test cell is restored from the source and graded on the student's answers (without
# this, the submission is left "needs manual grade").
c.OverwriteCells.add_missing_cells = True

# The grading plug-ins. nbgrader logs an error in a config file and then runs with *no* settings
# at all, so a missing plug-in file must be loud: this error is the first line nbgrader prints.
_PLUGINS = os.path.join(HERE, "scripts", "nbgrader_plugins.py")
if not os.path.isfile(_PLUGINS):
    raise ImportError(f"{_PLUGINS} is missing: nbgrader_config.py needs the course's grading plug-ins "
                      "(copy scripts/nbgrader_plugins.py together with this file)")
_spec = importlib.util.spec_from_file_location("unlearnkit_nbgrader_plugins", _PLUGINS)
plugins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plugins)

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,  # noqa: E402
                                    ClearOutput, Execute, GetGrades, IgnorePattern, LimitOutput,
                                    OverwriteKernelspec, SaveAutoGrades)

# nbgrader 0.9.6's autograde steps, with three replacements (tests/test_grading_safety.py checks
# that the rest is nbgrader's default list):
# - GradeOneCopy instead of DeduplicateIds: a copy-pasted locked test cell is graded once instead
#   of aborting the student's whole autograde (KeyError: 'grade_id').
# - OverwriteLockedCells instead of OverwriteCells: "Locked cell ... was edited" is logged only for
#   a cell the student really changed (nbgrader warns "checksum has changed" for every test cell
#   with hidden tests).
# - ExplainScores after Execute: a test cell whose asserts all passed keeps its points when it also
#   wrote to stderr (a warning, a progress bar), and the feedback says so; a cell stopped at the
#   time limit says which limit stopped it.
c.Autograde.sanitize_preprocessors = [ClearOutput, plugins.GradeOneCopy, OverwriteKernelspec,
                                      plugins.OverwriteLockedCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [Execute, plugins.ExplainScores, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# Feedback must not show the hidden tests. ClearHiddenTests removes them from the cell source, but
# a failing test cell's traceback quotes the lines around the failure, hidden ones included (the
# test suite caught this): ClearHiddenTracebacks keeps only the error's last line in those cells.
c.GenerateFeedback.preprocessors = [GetGrades, plugins.ClearHiddenTracebacks, ClearHiddenTests,
                                    CSSHTMLHeaderPreprocessor]

# What students see in place of each solution region; the task's docstring gives the specific hint.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("write your solution here (the docstring above says what to return)")'
}
