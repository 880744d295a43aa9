"""The nbgrader pipeline, checked the way NBGRADER.md found that catches every planted fault.

Per problem set ``solutions/psNN_topic/psNN_topic.ipynb`` (discovered, never listed):
  1. every solution test cell passes, with nothing on stderr and no execute_result;
  2. every release test cell (exercises/) fails on the untouched stub;
  3. the release with the solution code spliced back in passes its visible tests;
  4. ``nbgrader generate_assignment NAME --no-db --force`` in a temporary copy of the course
     equals the committed exercises/ byte for byte;
  5. a real ``nbgrader autograde`` in a temporary copy gives a stub student 0 and a solution
     student full automatic marks (read from the gradebook), and ``generate_feedback`` shows no
     hidden test.
Once for the course: a submission that hangs in one answer cell is cut off by the timeout and its
other cells are still graded; nbgrader_config.py's settings are in effect. The same machinery runs
first on a toy problem set built here with scripts/nbbuild.py, so the pipeline is tested even
before (and independently of) the real problem sets.
"""
from __future__ import annotations

import html
import pathlib
import re
import shutil

import nbformat
import pytest

import nbbuild
import nbrun

pytestmark = pytest.mark.grading

ROOT = nbrun.ROOT
PROBLEM_SETS = nbrun.problem_sets()
TOY = "ps00_toy"


# ----------------------------------------------------------------------------- a toy problem set
def write_toy(course: pathlib.Path, name: str = TOY) -> pathlib.Path:
    """A two-task problem set with visible and hidden tests and a written answer."""
    folder = course / "solutions" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbbuild.write(str(path), [
        nbbuild.locked_md("# Toy problem set\nTwo small functions and one written answer.", "intro"),
        nbbuild.setup("""
            import os
            os.environ["TQDM_DISABLE"] = "1"
            import math
        """),
        nbbuild.answer('''
            def add(a, b):
                """Return a + b."""
                ### BEGIN SOLUTION
                total = a + b
                return total
                ### END SOLUTION
        ''', "add"),
        nbbuild.tests("""
            assert add(1, 2) == 3
            ### BEGIN HIDDEN TESTS
            assert add(-7, 7) == 0, "hidden_add_check"
            ### END HIDDEN TESTS
        """, "test_add", 2),
        nbbuild.answer('''
            def mean_of(xs):
                """Return the arithmetic mean of the non-empty list xs."""
                ### BEGIN SOLUTION
                return math.fsum(xs) / len(xs)
                ### END SOLUTION
        ''', "mean_of"),
        nbbuild.tests("""
            assert mean_of([1, 2, 3]) == 2
            ### BEGIN HIDDEN TESTS
            assert abs(mean_of([0.1] * 10) - 0.1) < 1e-15, "hidden_mean_check"
            ### END HIDDEN TESTS
        """, "test_mean_of", 3),
        nbbuild.written("""
            Why is the mean of an empty list undefined?

            ### BEGIN SOLUTION
            Rubric (1 point): says that it divides by zero. Model answer: there is nothing to divide by.
            ### END SOLUTION
        """, "why_empty", 1),
    ])
    return path


@pytest.fixture(scope="session")
def toy_course(tmp_path_factory):
    """A temporary course holding only the toy problem set and its generated release."""
    course = nbrun.copy_course(tmp_path_factory.mktemp("toy_course"))
    write_toy(course)
    nbrun.nbgrader("generate_assignment", TOY, "--no-db", "--force", cwd=course)
    return course


# ----------------------------------------------------------------------------- the checks
class ProblemSet:
    """The five checks for one problem set of the course at ``root``; executions are cached."""

    def __init__(self, root: pathlib.Path, name: str, runs):
        self.root, self.name, self.runs = pathlib.Path(root), name, runs
        self.source_path = self.root / "solutions" / name / f"{name}.ipynb"
        self.release_path = self.root / "exercises" / name / f"{name}.ipynb"

    def source(self):
        return nbformat.read(self.source_path, as_version=4)

    def release(self):
        if not self.release_path.exists():
            pytest.fail(f"{self.release_path.relative_to(self.root)} is missing: run "
                        f"`python scripts/make_exercises.py {self.name}`", pytrace=False)
        return nbformat.read(self.release_path, as_version=4)

    def spliced(self):
        return nbrun.splice_solutions(self.release(), self.source(), nbrun.code_stub_lines(self.root))

    # executions, shared with tests/test_notebooks.py through the same cache key
    def solution_run(self):
        return self.runs.get(("run", str(self.source_path)),
                             lambda: nbrun.execute(self.source_path, allow_errors=True))

    def stub_run(self):
        return self.runs.get(("stub", str(self.release_path)),
                             lambda: nbrun.execute(self.release_path, allow_errors=True))

    def spliced_run(self):
        return self.runs.get(("spliced", str(self.release_path)),
                             lambda: nbrun.execute(self.release_path, nb=self.spliced(), allow_errors=True))

    # 1.
    def check_solution_tests(self):
        cells = nbrun.test_cells(self.solution_run().nb)
        assert cells, f"{self.name}: the source has no autograded test cells"
        problems = []
        for i, cell in cells:
            gid = nbrun.nbg(cell)["grade_id"]
            if nbrun.error_text(cell):
                problems.append(f"{gid}: raised {nbrun.error_text(cell)}")
            if nbrun.stderr_text(cell):
                problems.append(f"{gid}: wrote to stderr (nbgrader scores that 0): {nbrun.stderr_text(cell)[:300]!r}")
            if nbrun.has_execute_result(cell):
                problems.append(f"{gid}: ends with a bare expression (nbgrader reads it as partial credit)")
        assert not problems, f"{self.name} solution test cells:\n" + "\n".join(problems)

    # 2.
    def check_stub_fails(self):
        cells = nbrun.test_cells(self.stub_run().nb)
        assert cells, f"{self.name}: the release has no autograded test cells"
        vacuous = [nbrun.nbg(c)["grade_id"] for _, c in cells if not nbrun.error_text(c)]
        assert not vacuous, f"{self.name}: these test cells pass on the untouched stub: {vacuous}"

    # 3.
    def check_spliced_passes(self):
        cells = nbrun.test_cells(self.spliced_run().nb)
        bad = [f"{nbrun.nbg(c)['grade_id']}: {nbrun.error_text(c) or 'stderr ' + nbrun.stderr_text(c)[:200]!r}"
               for _, c in cells if nbrun.error_text(c) or nbrun.stderr_text(c)]
        assert not bad, f"{self.name}: release + solution code fails visible tests:\n" + "\n".join(bad)

    # 4.
    def check_regenerates(self, tmp: pathlib.Path):
        course = nbrun.copy_course(tmp / "course", [self.name], root=self.root)
        nbrun.nbgrader("generate_assignment", self.name, "--no-db", "--force", cwd=course)
        made = nbrun.tree_bytes(course / "exercises" / self.name)
        committed = nbrun.tree_bytes(self.root / "exercises" / self.name)
        assert sorted(made) == sorted(committed), f"{self.name}: files differ: {sorted(made)} vs {sorted(committed)}"
        stale = [f for f in made if made[f] != committed[f]]
        assert not stale, (f"exercises/{self.name}/ is not what nbgrader generates from solutions/ "
                           f"({stale}): run `python scripts/make_exercises.py {self.name}`")

    # 5.
    def autograde(self, tmp: pathlib.Path, students: dict, *extra: str):
        """Autograde ``students`` ({id: notebook}) in a temporary course; {id: (score, max_score)}."""
        from nbgrader.api import Gradebook

        course = nbrun.copy_course(tmp / "course", [self.name], root=self.root)
        nbrun.nbgrader("generate_assignment", self.name, "--force", cwd=course)  # adds it to the gradebook
        # (README tells instructors this rewrites exercises/ identically: hold it to that)
        assert nbrun.tree_bytes(course / "exercises" / self.name) == nbrun.tree_bytes(self.root / "exercises" / self.name)
        for student, nb in students.items():
            folder = course / "submitted" / student / self.name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{self.name}.ipynb")
        nbrun.nbgrader("autograde", self.name, "--force", *extra, cwd=course)
        scores = {}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="unlearnkit") as gb:
            for student in students:
                sub = gb.find_submission(self.name, student)
                scores[student] = (sub.code_score, sub.max_code_score)
        return course, scores

    def hidden_snippets(self):
        """Lines of the hidden tests that no feedback page may show.

        The solution's answer code is not secret here (the solver's own feedback rightly shows it),
        so its markers are dropped and it counts as text outside the secret regions, like every
        other cell: a hidden line that also occurs there (since the sources are formatted, the
        head of a split call such as ``return " ".join(``) is no evidence of a leak.
        """
        source = nbformat.from_dict(self.source())
        for cell in source.cells:
            if not nbrun.is_test_cell(cell):
                cell.source = "\n".join(ln for ln in cell.source.splitlines()
                                        if ln.strip() not in (nbrun.BEGIN_SOLUTION, nbrun.END_SOLUTION))
        return nbrun.solution_snippets(source)

    def check_autograde_and_feedback(self, tmp: pathlib.Path):
        course, scores = self.autograde(tmp, {"stub": self.release(), "solver": self.spliced()})
        stub, total = scores["stub"]
        solved, total2 = scores["solver"]
        assert total > 0 and total == total2
        assert stub == 0, f"{self.name}: the untouched stub scores {stub} of {total}, expected 0"
        assert solved == total, f"{self.name}: the solution scores {solved} of {total}, expected full marks"
        nbrun.nbgrader("generate_feedback", self.name, "--force", cwd=course)
        snippets = self.hidden_snippets()
        for student in ("stub", "solver"):
            page = course / "feedback" / student / self.name / f"{self.name}.html"
            assert page.exists(), f"no feedback written at {page}"
            text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            assert "HIDDEN TESTS" not in text
            leaked = [s for s in snippets if s in text]
            assert not leaked, f"{self.name}: feedback for {student} shows hidden tests: {leaked[:3]}"
        return course, snippets


# ----------------------------------------------------------------------------- the toy pipeline
def test_toy_pipeline_all_checks(toy_course, runs, tmp_path):
    """The five checks pass on a correct toy problem set, and the leak detector has something to find."""
    ps = ProblemSet(toy_course, TOY, runs)
    ps.check_solution_tests()
    ps.check_stub_fails()
    ps.check_spliced_passes()
    ps.check_regenerates(tmp_path / "regen")
    course, snippets = ps.check_autograde_and_feedback(tmp_path / "grade")
    assert snippets == ['assert abs(mean_of([0.1] * 10) - 0.1) < 1e-15, "hidden_mean_check"',
                        'assert add(-7, 7) == 0, "hidden_add_check"']
    graded = (course / "autograded" / "solver" / TOY / f"{TOY}.ipynb").read_text()
    assert "hidden_add_check" in graded  # autograde did run the hidden tests
    # README's last instructor step: export the grades
    nbrun.nbgrader("export", cwd=course)
    import csv

    with open(course / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["solver"]["raw_score"]) == 5.0 and float(rows["stub"]["raw_score"]) == 0.0, rows


def test_toy_pipeline_catches_planted_faults(toy_course, runs, tmp_path):
    """Each check fails on the fault it exists for (a vacuous test, stale release, stderr, drift)."""
    ps = ProblemSet(toy_course, TOY, runs)
    # a stale release: the committed exercises/ differs from what nbgrader makes
    stale = nbrun.copy_course(tmp_path / "stale", [TOY], root=toy_course)
    shutil.copytree(toy_course / "exercises", stale / "exercises")
    nb = nbformat.read(stale / "exercises" / TOY / f"{TOY}.ipynb", as_version=4)
    nb.cells[0].source += " (edited by hand)"
    nbformat.write(nb, stale / "exercises" / TOY / f"{TOY}.ipynb")
    with pytest.raises(AssertionError, match="not what nbgrader generates"):
        ProblemSet(stale, TOY, runs).check_regenerates(tmp_path / "regen")
    # a vacuous test cell, a test cell that warns, a stub drifted from its solution
    bad = nbrun.copy_course(tmp_path / "bad", root=toy_course)
    write_toy(bad)
    src = nbformat.read(bad / "solutions" / TOY / f"{TOY}.ipynb", as_version=4)
    src.cells[3].source = "import warnings\nwarnings.warn('noisy')\n" + src.cells[3].source  # stderr
    src.cells[5].source = "assert True\n### BEGIN HIDDEN TESTS\nassert mean_of([2]) == 2\n### END HIDDEN TESTS"
    nbformat.write(src, bad / "solutions" / TOY / f"{TOY}.ipynb")
    nbrun.nbgrader("generate_assignment", TOY, "--no-db", "--force", cwd=bad)
    rel_path = bad / "exercises" / TOY / f"{TOY}.ipynb"
    rel = nbformat.read(rel_path, as_version=4)
    rel.cells[2].source = rel.cells[2].source.replace("def add(a, b):", "def add(a, b, c):")  # drift
    nbformat.write(rel, rel_path)
    faulty = ProblemSet(bad, TOY, runs)
    with pytest.raises(AssertionError, match="stderr"):
        faulty.check_solution_tests()
    with pytest.raises(AssertionError, match="test_mean_of"):
        faulty.check_stub_fails()
    with pytest.raises(AssertionError, match="test_add"):
        faulty.check_spliced_passes()


def test_hanging_submission_is_cut_off_and_other_cells_graded(toy_course, runs, tmp_path):
    """A student whose answer loops forever: that task times out, the other task still scores.

    Also: a loop that ignores the interrupt, and a deleted test cell (both settings of
    nbgrader_config.py that NBGRADER.md found necessary, checked in a real autograde)."""
    ps = ProblemSet(toy_course, TOY, runs)
    hang = ps.spliced()
    hang.cells[2].source = 'def add(a, b):\n    """Return a + b."""\n    pass\n\nwhile True:\n    pass'
    # a loop that swallows the interrupt: without Execute.raise_on_iopub_timeout = False it would
    # abort this student's whole autograde; with it, the cells before the loop keep their points
    stubborn = ps.spliced()
    stubborn.cells[4].source = ("import time\n\ndef mean_of(xs):\n    return 0\n\nwhile True:\n    try:\n"
                                "        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass")
    # a student who deleted a test cell: it is put back and graded (OverwriteCells.add_missing_cells)
    deleter = ps.spliced()
    del deleter.cells[3]
    timeout = 5
    course, scores = ps.autograde(tmp_path, {"hang": hang, "stubborn": stubborn, "solver": ps.spliced(),
                                             "deleter": deleter}, f"--Execute.timeout={timeout}")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="unlearnkit") as gb:
        grade = gb.find_grade("test_add", TOY, TOY, "deleter")
        assert (grade.auto_score, grade.needs_manual_grade) == (2.0, False)
    assert scores["deleter"] == (5.0, 5.0)
    assert scores["solver"] == (5.0, 5.0)
    assert scores["hang"] == (3.0, 5.0), f"the hanging student should keep mean_of's 3 points: {scores}"
    assert scores["stubborn"] == (2.0, 5.0), f"the stubborn student should keep add's 2 points: {scores}"
    # each cell the time limit cost says so (ExplainScores, scripts/nbgrader_plugins.py)
    def outputs(student, index):
        nb = nbformat.read(course / "autograded" / student / TOY / f"{TOY}.ipynb", as_version=4)
        return "\n".join(o.get("evalue", "") + o.get("text", "") for o in nb.cells[index].outputs)

    limit = f"the time limit of {timeout} s per cell"
    assert f"this cell ran longer than {limit} and was stopped" in outputs("hang", 2)
    assert f"this cell ran longer than {limit} and was stopped" in outputs("stubborn", 4)
    assert f"[grading] 0 points: this cell never ran: an earlier cell kept the kernel busy after {limit}" \
        in outputs("stubborn", 5)


# ----------------------------------------------------------------------------- the real problem sets
def _ps_params():
    return [pytest.param(n, id=n) for n in PROBLEM_SETS]


@pytest.mark.parametrize("name", _ps_params())
def test_1_solution_test_cells_pass_cleanly(name, runs):
    ProblemSet(ROOT, name, runs).check_solution_tests()


@pytest.mark.parametrize("name", _ps_params())
def test_2_every_test_cell_fails_on_the_stub(name, runs):
    ProblemSet(ROOT, name, runs).check_stub_fails()


@pytest.mark.parametrize("name", _ps_params())
def test_3_release_with_solution_passes_visible_tests(name, runs):
    ProblemSet(ROOT, name, runs).check_spliced_passes()


@pytest.mark.parametrize("name", _ps_params())
def test_4_exercises_match_generate_assignment(name, runs, tmp_path):
    ProblemSet(ROOT, name, runs).check_regenerates(tmp_path)


@pytest.mark.parametrize("name", _ps_params())
def test_5_autograde_stub_zero_solution_full_feedback_clean(name, runs, tmp_path):
    ProblemSet(ROOT, name, runs).check_autograde_and_feedback(tmp_path)


# ----------------------------------------------------------------------------- the configuration
def test_nbgrader_config_is_in_effect(tmp_path):
    """Load nbgrader_config.py the way nbgrader does and read the settings back from its classes."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, Execute, OverwriteCells

    config = nbrun.load_config(ROOT)
    coursedir = CourseDirectory(config=config)
    assert coursedir.course_id == "unlearnkit"
    assert pathlib.Path(coursedir.root) == ROOT
    assert (coursedir.source_directory, coursedir.release_directory) == ("solutions", "exercises")
    assert coursedir.solution_directory not in ("solution", "solutions", "exercises")
    assert coursedir.db_url == f"sqlite:///{ROOT / 'gradebook.db'}"
    execute = Execute(config=config)
    assert execute.timeout == 60, "the per-cell timeout (Execute.timeout) should be 60 s"
    assert execute.raise_on_iopub_timeout is False
    assert execute.interrupt_on_timeout is True
    assert OverwriteCells(config=config).add_missing_cells is True
    assert "NotImplementedError" in ClearSolutions(config=config).code_stub["python"]
    feedback = GenerateFeedback(coursedir=coursedir, config=config)
    assert ClearHiddenTests in feedback.preprocessors
    assert "ClearHiddenTracebacks" in [p.__name__ for p in feedback.preprocessors]
    # a copy of the course points at itself (CourseDirectory.root follows the file)
    copy = nbrun.copy_course(tmp_path / "copy")
    assert pathlib.Path(CourseDirectory(config=nbrun.load_config(copy)).root) == copy


def test_nbgrader_cli_reads_the_config():
    """The nbgrader command line, run from the course root, loads the course's nbgrader_config.py."""
    proc = nbrun.nbgrader("list", "--log-level=DEBUG", cwd=ROOT, check=False)
    out = proc.stdout + proc.stderr
    assert f"Loaded config file: {ROOT / 'nbgrader_config.py'}" in out, out[-2000:]
