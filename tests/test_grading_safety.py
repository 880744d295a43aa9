"""Grading a class can trust, checked with the real nbgrader commands in temporary courses.

- Zero points are never a mystery: a test cell whose asserts all pass keeps its points when it also
  writes to stderr, and the feedback says so; a cell stopped by the time limit says which limit.
- No command in the README loses a student's work: each one runs on a course where a student has
  edited the released notebook (in exercises/, in the student bundle, and as a submission).
- A class's accidents do not break grading: a copy-pasted locked test cell is graded once; the
  locked-cell report names exactly the students who edited, deleted or duplicated a locked cell;
  a deleted test cell is restored and graded on the student's answers; the autograde log carries
  only the noise README lists.
- Released problem sets do not change silently: grade ids and points are held against the
  committed record tests/grade_ids.json.

The plug-ins are in scripts/nbgrader_plugins.py, loaded by nbgrader_config.py. Two slow tests (one
autograde of eight students, one walk through the README's commands); the rest is fast.
"""
from __future__ import annotations

import copy
import html
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

import make_exercises
import make_release
import nbgrader_plugins
import nbrun
from test_grading import TOY, ProblemSet, write_toy

ROOT = nbrun.ROOT
RECORD = ROOT / "tests" / "grade_ids.json"
TIME_LIMIT = 4  # seconds per cell in the class autograde (the course's own is 60)


# ----------------------------------------------------------------------------- the committed record
def grade_ids(nb) -> list[list]:
    """[grade id, points] of every nbgrader cell in order; points None for cells not graded."""
    rows = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if "grade_id" in meta:
            rows.append([meta["grade_id"], meta.get("points") if meta.get("grade") else None])
    return rows


def record_problems(record: dict, root: pathlib.Path = ROOT) -> list[str]:
    """How the problem sets at ``root`` (source and release) differ from ``record`` ([] if not)."""
    problems = []
    names = nbrun.problem_sets(root)
    for name in names:
        for folder in ("solutions", "exercises"):
            path = root / folder / name / f"{name}.ipynb"
            if not path.exists():
                continue
            now = grade_ids(nbformat.read(path, as_version=4))
            if name not in record:
                problems.append(f"{name} is not in tests/grade_ids.json; if it is ready for a class, add:\n"
                                f'  "{name}": {json.dumps(now)}')
                break
            if now != record[name]:
                was, is_ = dict(map(tuple, record[name])), dict(map(tuple, now))
                diff = ([f"removed {g}" for g in was if g not in is_] + [f"added {g}" for g in is_ if g not in was]
                        + [f"{g}: points {was[g]} -> {is_[g]}" for g in was if g in is_ and was[g] != is_[g]])
                problems.append(f"{folder}/{name}: grade ids or points differ from tests/grade_ids.json "
                                f"({'; '.join(diff) or 'cell order changed'}). If this change is deliberate (README, "
                                f"'Changing a problem set mid-term'), record it:\n  \"{name}\": {json.dumps(now)}")
    problems += [f"{name} is in tests/grade_ids.json but not in solutions/ (a released set was removed)"
                 for name in record if not name.startswith("_") and name not in names]
    return problems


def test_grade_ids_and_points_match_the_committed_record():
    """Each problem set's grade ids and points are what tests/grade_ids.json says (source and release)."""
    record = json.loads(RECORD.read_text())
    problems = record_problems(record)
    assert not problems, "\n".join(problems)


def test_the_record_check_can_fail():
    record = json.loads(RECORD.read_text())
    name = nbrun.problem_sets()[0]
    graded = next(i for i, (_, pts) in enumerate(record[name]) if pts is not None)
    changed = copy.deepcopy(record)
    changed[name][graded][1] += 1
    gid = changed[name][graded][0]
    assert any(f"{gid}: points" in p for p in record_problems(changed))
    dropped = copy.deepcopy(record)
    del dropped[name][0]
    assert any(f"added {record[name][0][0]}" in p for p in record_problems(dropped))
    missing = {k: v for k, v in record.items() if k != name}
    assert any(f"{name} is not in tests/grade_ids.json" in p for p in record_problems(missing))
    assert any("ps99_gone" in p for p in record_problems({**record, "ps99_gone": []}))


# ----------------------------------------------------------------------------- fast checks
def test_autograde_steps_are_nbgrader_defaults_with_our_plugins():
    """nbgrader_config.py replaces exactly the steps it says and keeps nbgrader's others in order."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    names = lambda ps: [p.__name__ for p in ps]  # noqa: E731
    stock = Autograde(coursedir=CourseDirectory(), config=Config())
    config = nbrun.load_config(ROOT)
    ours = Autograde(coursedir=CourseDirectory(config=config), config=config)
    swap = {"DeduplicateIds": "GradeOneCopy", "OverwriteCells": "OverwriteLockedCells"}
    assert names(ours.sanitize_preprocessors) == [swap.get(n, n) for n in names(stock.sanitize_preprocessors)]
    expected = names(stock.autograde_preprocessors)
    expected.insert(expected.index("Execute") + 1, "ExplainScores")
    assert names(ours.autograde_preprocessors) == expected


def test_config_without_its_plugins_fails_loudly(tmp_path):
    """nbgrader ignores a config file that raises; ours raises with a message naming the missing file."""
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    with pytest.raises(ImportError, match="nbgrader_plugins.py is missing"):
        nbrun.load_config(tmp_path)


def test_untouched_release_check(tmp_path):
    """No false alarm on any committed release or on a stale one; a run, edited or added cell is caught."""
    for name in nbrun.problem_sets(ROOT, "exercises"):
        assert make_exercises.release_edits(ROOT / "exercises" / name / f"{name}.ipynb") == [], name
    from nbgrader.utils import compute_checksum

    name = nbrun.problem_sets(ROOT, "exercises")[0]
    release = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    answer = next(i for i, c in enumerate(release.cells) if nbrun.is_answer_cell(c) and c.cell_type == "code")
    locked = next(i for i, c in enumerate(release.cells) if nbrun.nbg(c).get("locked"))

    def verdict(nb):
        path = tmp_path / "nb.ipynb"
        nbformat.write(nb, path)
        return make_exercises.release_edits(path)

    stale = copy.deepcopy(release)  # made from an older source: changed text, checksums consistent
    stale.cells[locked].source += "\n(older wording)"
    stale.cells[locked].metadata.nbgrader["checksum"] = compute_checksum(stale.cells[locked])
    assert verdict(stale) == []
    ran = copy.deepcopy(release)
    ran.cells[answer].execution_count = 1
    assert "it was run" in " ".join(verdict(ran))
    edited = copy.deepcopy(release)
    edited.cells[answer].source = edited.cells[answer].source.replace("raise NotImplementedError", "return 0  #")
    assert "were edited" in " ".join(verdict(edited))
    added = copy.deepcopy(release)
    added.cells.append(nbformat.v4.new_code_cell("scratch = 1"))
    assert "were added" in " ".join(verdict(added))
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert make_exercises.release_edits(tmp_path / "bad.ipynb")


# ----------------------------------------------------------------------------- one class, one autograde
def _make_class(ps: ProblemSet) -> dict:
    """Eight students of the toy problem set, each with one accident or none."""
    release, solved = ps.release(), ps.spliced()
    add_cell = next(i for i, c in enumerate(solved.cells) if nbrun.nbg(c).get("grade_id") == "add")
    test_add = next(i for i, c in enumerate(solved.cells) if nbrun.nbg(c).get("grade_id") == "test_add")
    mean_cell = next(i for i, c in enumerate(solved.cells) if nbrun.nbg(c).get("grade_id") == "mean_of")
    test_mean = next(i for i, c in enumerate(solved.cells) if nbrun.nbg(c).get("grade_id") == "test_mean_of")
    doc = '"""Return a + b."""'

    def variant(edit):
        nb = copy.deepcopy(solved)
        edit(nb)
        return nb

    def pasted_copy(nb, index, where):
        cell = copy.deepcopy(nb.cells[index])
        cell["id"] = f"pasted{where}"  # JupyterLab gives a pasted cell a new id and keeps its metadata
        nb.cells.insert(where, cell)

    return {
        "untouched": release,
        "solver": solved,
        # a warning and a progress line on stderr from a correct answer
        "warner": variant(lambda nb: nb.cells[add_cell].__setitem__("source", nb.cells[add_cell].source.replace(
            doc, doc + '\n    import sys, warnings\n    warnings.warn("slow path")\n'
                       '    print("progress 100%", file=sys.stderr)'))),
        # correct, but too slow on the hidden test's input
        "slow": variant(lambda nb: nb.cells[add_cell].__setitem__("source", nb.cells[add_cell].source.replace(
            doc, doc + "\n    import time\n    if a == -7:\n        time.sleep(60)"))),
        # test_add pasted again at the end of the notebook
        "pasted": variant(lambda nb: pasted_copy(nb, test_add, len(nb.cells))),
        # test_mean_of pasted above the answer it tests
        "pasted_above": variant(lambda nb: pasted_copy(nb, test_mean, mean_cell)),
        # a weakened visible test and an edited instruction cell
        "editor": variant(lambda nb: (
            nb.cells[test_add].__setitem__("source", nb.cells[test_add].source.replace("== 3", "== 3 or True")),
            nb.cells[0].__setitem__("source", nb.cells[0].source + " (I disagree)"))),
        # test_mean_of deleted
        "deleter": variant(lambda nb: nb.cells.pop(test_mean)),
    }


def _text(page: pathlib.Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


# Lines nbgrader prints at WARNING/ERROR level during a class autograde and feedback, by kind.
# NOISE is what README lists as "expected noise"; EVENTS are real, each caused by one student here.
NOISE = {
    "SQLAlchemy SAWarning (first submissions)": r"SAWarning: Object of type",
    "kernel over TCP without encryption": r"Kernel is running over TCP without encryption",
    "display_data_priority (generate_feedback)": r"Config option `display_data_priority` not recognized",
}
EVENTS = {
    "time limit": r"Timeout waiting for (execute reply|IOPub output)|Interrupting kernel",
    "duplicated cell": r"Student pasted(_above)?: cell '(test_add|test_mean_of)' appears 2 times",
    "edited locked cell": r"Locked cell (test_add|intro) was edited in the submission",
    "deleted test cell": r"Missing grade cell test_mean_of encountered, adding to notebook",
}


@pytest.mark.grading
def test_a_class_with_accidents_grades_normally(runs, tmp_path):
    """One real autograde of eight students, generate_feedback, and the locked-cell report."""
    from nbgrader.api import Gradebook

    course = nbrun.copy_course(tmp_path / "course")
    write_toy(course)
    ps = ProblemSet(course, TOY, runs)
    nbrun.nbgrader("generate_assignment", TOY, "--force", cwd=course)
    students = _make_class(ps)
    for student, nb in students.items():
        folder = course / "submitted" / student / TOY
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{TOY}.ipynb")
    graded = nbrun.nbgrader("autograde", TOY, "--force", f"--Execute.timeout={TIME_LIMIT}", cwd=course, check=False)
    log = graded.stdout + graded.stderr
    assert graded.returncode == 0 and "KeyError" not in log, log[-3000:]
    feedback = nbrun.nbgrader("generate_feedback", TOY, "--force", cwd=course)
    log += feedback.stdout + feedback.stderr

    scores, cells = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="unlearnkit") as gb:
        for student in students:
            sub = gb.find_submission(TOY, student)
            scores[student] = sub.code_score
            cells[student] = {g.name: (g.auto_score, g.needs_manual_grade) for g in sub.notebooks[0].grades}
    assert scores["untouched"] == 0 and scores["solver"] == 5, scores
    # section 2: stderr from a passing test cell costs nothing, and the feedback says why
    assert cells["warner"]["test_add"] == (2.0, False), cells["warner"]
    page = _text(course / "feedback" / "warner" / TOY / f"{TOY}.html")
    assert "slow path" in page and "progress 100%" in page, "the stderr text should stay visible"
    assert "[grading] this test cell wrote to stderr" in page and "keeps its points" in page
    # section 2: the time limit is named where the points were lost
    assert cells["slow"]["test_add"] == (0.0, False) and scores["slow"] == 3, cells["slow"]
    page = _text(course / "feedback" / "slow" / TOY / f"{TOY}.html")
    assert f"[grading] 0 points: this cell ran longer than the time limit of {TIME_LIMIT} s per cell" in page
    assert f"KeyboardInterrupt: sent by the grader at the time limit of {TIME_LIMIT} s per cell" in page
    for student in students:  # no other feedback carries a grading note or a timeout
        if student not in ("warner", "slow"):
            text = _text(course / "feedback" / student / TOY / f"{TOY}.html")
            assert "[grading]" not in text and "time limit" not in text, student
    # section 4: pasted copies are graded once, wherever they were pasted
    for student in ("pasted", "pasted_above"):
        assert scores[student] == 5, (student, cells[student])
        assert not any(manual for gid, (_, manual) in cells[student].items() if gid != "why_empty"), cells[student]
    nb = nbformat.read(course / "autograded" / "pasted_above" / TOY / f"{TOY}.ipynb", as_version=4)
    copies = [c for c in nb.cells if "copy of cell 'test_mean_of', not graded" in c.source]
    assert len(copies) == 1 and "nbgrader" not in copies[0].metadata
    # section 4: a deleted test cell is restored and graded on the student's answers
    assert cells["deleter"]["test_mean_of"] == (3.0, False) and scores["deleter"] == 5
    assert "was missing from the submission" in _text(course / "feedback" / "deleter" / TOY / f"{TOY}.html")
    # an edited locked cell is restored from the source, so it is graded as if untouched
    assert scores["editor"] == 5
    # the log: every warning or error is either listed noise or one of this class's real events
    flagged = [ln for ln in log.splitlines() if re.search(r"WARNING|ERROR|CRITICAL|Warning:", ln)]
    unknown = [ln for ln in flagged if not any(re.search(p, ln) for p in {**NOISE, **EVENTS}.values())]
    assert not unknown, "unexpected warnings (README's expected-noise list is out of date?):\n" + "\n".join(unknown)
    for kind, pattern in NOISE.items():
        assert any(re.search(pattern, ln) for ln in flagged), f"README lists noise that no longer appears: {kind}"
    assert "checksum" not in log.lower(), "untouched locked cells should not warn about checksums"
    edited = sorted(set(re.findall(r"Locked cell (\w+) was edited", log)))
    assert edited == ["intro", "test_add"], edited

    # the instructor's report: one command, no false alarm on untouched cells
    report = nbgrader_plugins.locked_cell_report(TOY, course)
    changed = {s: {k: v for k, v in r.items() if v} for s, r in report.items() if any(r.values())}
    assert changed == {"editor": {"edited": ["intro", "test_add"]},
                       "deleter": {"deleted": ["test_mean_of"]},
                       "pasted": {"duplicated": ["test_add"]},
                       "pasted_above": {"duplicated": ["test_mean_of"]}}, changed
    cli = subprocess.run([sys.executable, "scripts/nbgrader_plugins.py", "locked-cells", TOY], cwd=course,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert "4 of 8 submissions changed a locked cell" in cli.stdout, cli.stdout
    assert "editor: edited intro, test_add" in cli.stdout and "deleter: deleted test_mean_of" in cli.stdout
    assert not re.search(r"^\s+(untouched|solver|warner|slow):", cli.stdout, re.M), cli.stdout


# ----------------------------------------------------------------------------- README's commands
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make(course, *args, timeout=600, check=None):
    proc = subprocess.run(["make", *args], cwd=course, capture_output=True, text=True, timeout=timeout,
                          env=nbrun.kernel_env())
    if check is not None:
        assert (proc.returncode == 0) == check, f"make {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _run_lab(course) -> str:
    """`make lab` until JupyterLab serves (at most 120 s), then stop it; its log."""
    port = _free_port()
    proc = subprocess.Popen(["make", "lab", f"LAB_PORT={port}"], cwd=course, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**nbrun.kernel_env(), "BROWSER": "true"},
                            start_new_session=True)
    lines, serving = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if f":{port}/lab" in line:
                serving.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        serving.wait(timeout=120)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=5)
    log = "".join(lines)
    assert f":{port}/lab" in log, "JupyterLab did not start:\n" + log[-2000:]
    return log


@pytest.mark.grading
def test_no_readme_command_loses_a_students_work(runs, tmp_path):
    """A student edits the release (in exercises/, in the bundle, as a submission); every README
    command then runs, and each edited notebook is byte for byte what the student saved."""
    course = tmp_path / "course"
    course.mkdir()
    for f in (*make_release.FILES, "README.md", "Makefile", ".gitignore", "requirements-dev.txt", "nbgrader_config.py"):
        shutil.copy2(ROOT / f, course / f)  # copy2 keeps mtimes: make sees the set-up as done
    shutil.copytree(ROOT / make_release.STUDENT, course / make_release.STUDENT)  # the bundle's README, Makefile
    for f in ("make_exercises.py", "make_release.py", "nbgrader_plugins.py"):
        shutil.copy2(ROOT / "scripts" / f, course / "scripts" / f)
    (course / ".venv").symlink_to(ROOT / ".venv")
    write_toy(course)
    release = course / "exercises" / TOY / f"{TOY}.ipynb"
    # the instructor releases the set (and registers it in the gradebook), then builds the bundle
    subprocess.run([sys.executable, "scripts/make_exercises.py", TOY, "--gradebook"], cwd=course, check=True,
                   capture_output=True, env=nbrun.kernel_env())
    assert make_exercises.release_edits(release) == []
    subprocess.run(["git", "init", "-q"], cwd=course, check=True)  # `make release` ships what git tracks
    subprocess.run(["git", "add", "."], cwd=course, check=True)
    _make(course, "release", check=True)
    bundled = course / "release_bundle" / "exercises" / TOY / f"{TOY}.ipynb"
    assert bundled.read_bytes() == release.read_bytes()

    # students work: in exercises/ (a clone of the course), in the bundle, and a submission
    ps = ProblemSet(course, TOY, runs)
    work = ps.spliced()
    written = next(c for c in work.cells if nbrun.nbg(c).get("grade_id") == "why_empty")
    written.source = "Why is the mean of an empty list undefined?\n\nIt would divide by zero."
    work.cells[2].execution_count = 1
    work.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="my run\n")]
    for path in (release, bundled, course / "submitted" / "alice" / TOY / f"{TOY}.ipynb"):
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(work, path)
    notes = course / "exercises" / TOY / "my_notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("my notes")]), notes)
    saved = {p: p.read_bytes() for p in (release, bundled, notes, course / "submitted" / "alice" / TOY / f"{TOY}.ipynb")}

    # README, set-up and student guide
    if _make(course, "-q", ".venv/.installed").returncode == 0:
        _make(course, "setup", check=True)  # set up already: a no-op, as for a returning student
    else:  # the shared environment needs an update: never run pip from a test; check what it would do
        dry = _make(course, "-n", "setup").stdout
        assert not re.search(r"exercises|submitted|release_bundle", dry), dry
    _run_lab(course)
    # nbgrader's own Validate in the student bundle (no nbgrader_config.py there) still works
    assert not (course / "release_bundle" / "nbgrader_config.py").exists()
    val = nbrun.nbgrader("validate", f"exercises/{TOY}/{TOY}.ipynb", cwd=course / "release_bundle", check=False)
    assert val.returncode == 0 and "Success! Your notebook passes all the tests." in val.stdout, val.stdout + val.stderr
    # README, instructor guide: each release step refuses to replace the edited notebook, and says why
    made = _make(course, "exercises", check=False)
    assert made.returncode != 0 and f"exercises/{TOY}/{TOY}.ipynb: cells [2] hold outputs" in made.stderr, made.stderr
    registered = subprocess.run([sys.executable, "scripts/make_exercises.py", TOY, "--gradebook"], cwd=course,
                                capture_output=True, text=True, env=nbrun.kernel_env())
    assert registered.returncode == 1 and "nothing was changed" in registered.stderr, registered.stderr
    bundle = _make(course, "release", check=False)
    assert bundle.returncode != 0 and "were run or edited, and the bundle would ship them" in bundle.stderr
    for step in (("autograde", TOY, "--force"), ("generate_feedback", TOY, "--force"), ("export",)):
        nbrun.nbgrader(*step, cwd=course)
    assert (course / "feedback" / "alice" / TOY / f"{TOY}.html").exists()
    _make(course, "clean", f"VENV={tmp_path / 'no-venv'}", check=True)  # (never the shared .venv)
    changed = [str(p.relative_to(course)) for p, data in saved.items() if not p.exists() or p.read_bytes() != data]
    assert not changed, f"these edited notebooks were changed or deleted: {changed}"

    # the way out the refusal names: rename the work; regenerating then leaves other notebooks alone
    mine = course / "exercises" / TOY / f"my_{TOY}.ipynb"
    release.rename(mine)
    _make(course, "exercises", check=True)
    assert make_exercises.release_edits(release) == []
    assert mine.read_bytes() == saved[release] and notes.read_bytes() == saved[notes]
    # a bundle someone worked in is not replaced, even once exercises/ holds only the release again
    for path in (mine, notes):
        path.rename(tmp_path / path.name)
    bundle = _make(course, "release", check=False)
    assert bundle.returncode != 0 and "changed since it was built" in bundle.stderr, bundle.stderr
    assert f"exercises/{TOY}/{TOY}.ipynb" in bundle.stderr and bundled.read_bytes() == saved[bundled]
