"""Autograde a whole class on one multi-core machine: several ``nbgrader autograde`` processes at once.

One ``nbgrader autograde`` grades the submissions one after another, each in a fresh kernel, so a
class of 200 takes 200 times the seconds of one submission (``--time`` measures them). Running
several autograde processes at once over disjoint students is faster on a multi-core machine, but
SQLite takes one writer at a time (nbgrader fails with "database is locked" after waiting 5 s for
a lock; 2 and 4 processes sharing one gradebook did not hit it in our trials, but nothing rules it
out). So each worker grades its students into its own copy of ``gradebook.db``, and the grades are merged
into ``gradebook.db`` afterwards (students, submission timestamps, every grade and comment, flags
and late penalties: everything autograde writes). A student's autograde is the same whichever
process runs it: ``tests/test_user_paths.py`` checks that the merged gradebook equals the one a
sequential ``nbgrader autograde`` writes. Usage, from the course root, after the release step
(``python scripts/make_exercises.py PS --gradebook``) and collecting submissions::

    python scripts/grade_class.py ps02_exact_unlearning --workers 8
    python scripts/grade_class.py ps02_exact_unlearning --workers 8 --students alice,bob,carol

Then carry on as with a plain autograde (``generate_feedback``, ``export``). Each worker gets
``--workers`` n-th of the machine's cores for torch and BLAS threads (OMP_NUM_THREADS etc., unless
set); its nbgrader log goes to ``nbgrader_grade_class_PS.log`` in the course root (git-ignored). Do
not grade by hand (Formgrader) while it runs: the merge replaces the graded students' rows. It
refuses a gradebook that is not SQLite (``CourseDirectory.db_url``): a server database accepts
concurrent writers, so there plain autograde processes with ``--CourseDirectory.student_id_exclude``
can share it (not tested here).

Measuring (a temporary course per problem set, the course's gradebook untouched)::

    python scripts/grade_class.py --time                 # every problem set: seconds per submission
    python scripts/grade_class.py --time ps02_exact_unlearning --copies 6 --workers 2

``--time`` autogrades 1 and then ``--copies`` copies of the solution (released notebook with the
solution code spliced in); the slope is the seconds per submission, the rest is nbgrader's start.
With ``--workers`` above 1 it also grades the copies with this script's workers and prints both.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import nbrun  # noqa: E402  (scripts/ is not a package)

ROOT = nbrun.ROOT


# ----------------------------------------------------------------------------- the class
def submitted_students(name: str, root: pathlib.Path = ROOT) -> list[str]:
    """Ids of the students with a submission of problem set ``name`` (``submitted/ID/NAME/``), sorted."""
    base = pathlib.Path(root) / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / name).is_dir())


def split(students: list[str], workers: int) -> list[list[str]]:
    """``students`` dealt round-robin into at most ``workers`` non-empty, disjoint groups."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an int, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    groups = [students[i::workers] for i in range(workers)]
    return [g for g in groups if g]


def course_settings(root: pathlib.Path = ROOT) -> tuple[str, str]:
    """(course id, gradebook URL) of the course at ``root``, as nbgrader_config.py sets them."""
    cfg = nbrun.load_config(root)
    course = cfg.CourseDirectory.get("course_id", "") or "default_course"
    url = cfg.CourseDirectory.get("db_url", "") or f"sqlite:///{pathlib.Path(root).resolve() / 'gradebook.db'}"
    return course, url


def _sqlite_path(url: str) -> pathlib.Path:
    if not url.startswith("sqlite:///"):
        raise ValueError(f"the gradebook {url!r} is not an SQLite file: grade_class.py copies and merges SQLite "
                         "gradebooks only (a server database takes concurrent autograde processes directly)")
    return pathlib.Path(url[len("sqlite:///"):])


def _copy_sqlite(src: pathlib.Path, dst: pathlib.Path) -> None:
    """A consistent copy of the SQLite database ``src`` (sqlite's online backup)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    b.close()
    a.close()


# ----------------------------------------------------------------------------- merging gradebooks
def merge(src_url: str, dst_url: str, course_id: str, assignment: str, students) -> list[str]:
    """Copy the ``assignment`` submissions of ``students`` from gradebook ``src_url`` into ``dst_url``.

    Copies what autograde writes: the student's record, the submission's timestamp and extension,
    each notebook's flag and late penalty, and every grade (auto, manual and extra-credit scores,
    needs-manual-grade) and comment (auto and manual). The assignment must exist in both with the
    same cells. Returns the students copied (a student without a submission in ``src_url`` is
    skipped). Nothing else in ``dst_url`` changes.
    """
    from nbgrader.api import Gradebook, MissingEntry

    copied = []
    with Gradebook(src_url, course_id=course_id) as src, Gradebook(dst_url, course_id=course_id) as dst:
        for student in students:
            try:
                sub = src.find_submission(assignment, student)
            except MissingEntry:
                continue
            who = src.find_student(student)
            dst.update_or_create_student(student, first_name=who.first_name, last_name=who.last_name,
                                         email=who.email, lms_user_id=who.lms_user_id)
            dst.update_or_create_submission(assignment, student, timestamp=sub.timestamp, extension=sub.extension)
            for nb in sub.notebooks:
                target = dst.find_submission_notebook(nb.name, assignment, student)
                target.flagged = nb.flagged
                target.late_submission_penalty = nb.late_submission_penalty
                for grade in nb.grades:
                    g = dst.find_grade(grade.name, nb.name, assignment, student)
                    g.auto_score, g.manual_score = grade.auto_score, grade.manual_score
                    g.extra_credit, g.needs_manual_grade = grade.extra_credit, grade.needs_manual_grade
                for comment in nb.comments:
                    c = dst.find_comment(comment.name, nb.name, assignment, student)
                    c.auto_comment, c.manual_comment = comment.auto_comment, comment.manual_comment
            dst.db.commit()
            copied.append(student)
    return copied


# ----------------------------------------------------------------------------- grading
def _worker_env(workers: int) -> dict:
    env = nbrun.kernel_env()
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, threads)
    return env


def _nbgrader_cmd(*args: str) -> list[str]:
    exe = pathlib.Path(sys.executable).parent / "nbgrader"
    return [str(exe) if exe.exists() else "nbgrader", *args]


def grade(name: str, workers: int, root: pathlib.Path = ROOT, students=None, extra=(), log=None) -> dict:
    """Autograde problem set ``name`` for ``students`` (default: every submission) in ``workers`` processes.

    Each worker runs ``nbgrader autograde NAME --force`` on its share of the students (the others
    excluded with ``--CourseDirectory.student_id_exclude``) into its own copy of the gradebook;
    the copies are then merged into the course's gradebook. ``extra``: more arguments for every
    autograde (e.g. ``--Execute.timeout=120``). Returns {"groups", "seconds", "returncodes",
    "merged", "log"}. Raises ValueError before anything runs if the problem set is not in the
    gradebook (release it first) or a named student has no submission.
    """
    from nbgrader.api import Gradebook, MissingEntry

    root = pathlib.Path(root).resolve()
    course_id, url = course_settings(root)
    db = _sqlite_path(url)
    everyone = submitted_students(name, root)
    if students is None:
        students = everyone
    else:
        students = sorted(set(students))
        missing = [s for s in students if s not in everyone]
        if missing:
            raise ValueError(f"students {missing} have no submission in submitted/*/{name}/")
    if not students:
        raise ValueError(f"no submission of {name} in {root / 'submitted'}: collect them first")
    if not db.exists():
        raise ValueError(f"{db} does not exist: release the problem set first "
                         f"(python scripts/make_exercises.py {name} --gradebook)")
    with Gradebook(url, course_id=course_id) as gb:
        try:
            gb.find_assignment(name)
        except MissingEntry:
            raise ValueError(f"{name} is not in the gradebook {db}: release it first "
                             f"(python scripts/make_exercises.py {name} --gradebook)") from None
    groups = split(students, workers)
    log = pathlib.Path(log) if log is not None else root / f"nbgrader_grade_class_{name}.log"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grade_class_") as tmp:
        procs = []
        for i, group in enumerate(groups):
            copy = pathlib.Path(tmp) / f"gradebook_worker{i}.db"
            _copy_sqlite(db, copy)
            others = [s for s in everyone if s not in group]
            args = ["autograde", name, "--force", f"--CourseDirectory.db_url=sqlite:///{copy}", *extra]
            if others:
                args.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
            out = open(pathlib.Path(tmp) / f"worker{i}.log", "w")
            procs.append((copy, out, subprocess.Popen(_nbgrader_cmd(*args), cwd=root, stdout=out,
                                                      stderr=subprocess.STDOUT, env=_worker_env(len(groups)))))
        codes = []
        for _, out, proc in procs:
            codes.append(proc.wait())
            out.close()
        seconds = time.perf_counter() - start
        merged = []
        for (copy, _, _), group in zip(procs, groups):
            merged += merge(f"sqlite:///{copy}", url, course_id, name, group)
        with open(log, "w") as fh:
            for i, group in enumerate(groups):
                fh.write(f"===== worker {i}: {len(group)} students ({', '.join(group)}), exit {codes[i]}\n")
                fh.write((pathlib.Path(tmp) / f"worker{i}.log").read_text(errors="replace"))
    return {"groups": groups, "seconds": seconds, "returncodes": codes, "merged": merged, "log": log}


# ----------------------------------------------------------------------------- measuring
def _timing_course(name: str, copies: int, dst: pathlib.Path, root: pathlib.Path = ROOT) -> pathlib.Path:
    """A temporary course with problem set ``name`` released into its gradebook and ``copies``
    students (s000, s001, ...) who each submitted the release with the solution spliced in."""
    import nbformat

    course = nbrun.copy_course(dst, [name], root)
    nbrun.nbgrader("generate_assignment", name, "--force", cwd=course)
    release = nbformat.read(course / "exercises" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(course / "solutions" / name / f"{name}.ipynb", as_version=4)
    solved = nbrun.splice_solutions(release, source, nbrun.code_stub_lines(course))
    for i in range(copies):
        folder = course / "submitted" / f"s{i:03d}" / name
        folder.mkdir(parents=True)
        nbformat.write(solved, folder / f"{name}.ipynb")
    return course


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished and waited-for descendants."""
    import resource

    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _timed_autograde(course: pathlib.Path, name: str, students: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``nbgrader autograde`` of ``students``; the CPU time counts
    nbgrader and every kernel it started, so it does not grow when other work shares the cores."""
    everyone = submitted_students(name, course)
    others = [s for s in everyone if s not in students]
    args = ["autograde", name, "--force"] + ([f"--CourseDirectory.student_id_exclude={','.join(others)}"]
                                            if others else [])
    cpu, start = _children_cpu(), time.perf_counter()
    nbrun.nbgrader(*args, cwd=course, timeout=3600)
    return time.perf_counter() - start, _children_cpu() - cpu


def _scores(course: pathlib.Path, name: str) -> dict:
    from nbgrader.api import Gradebook

    course_id, url = course_settings(course)
    with Gradebook(url, course_id=course_id) as gb:
        return {s.student.id: (s.code_score, s.max_code_score) for s in gb.assignment_submissions(name)}


def measure(name: str, copies: int = 4, workers: int = 1, root: pathlib.Path = ROOT) -> dict:
    """Autograde seconds for problem set ``name``: 1 submission, then ``copies`` (sequential), and with
    ``workers`` > 1 the same ``copies`` through :func:`grade`. Every copy must get full marks."""
    if copies < 2:
        raise ValueError(f"copies must be at least 2 (the slope needs two class sizes), got {copies}")
    with tempfile.TemporaryDirectory(prefix=f"time_{name}_") as tmp:
        course = _timing_course(name, copies, pathlib.Path(tmp) / "course", root)
        one, one_cpu = _timed_autograde(course, name, ["s000"])
        many, many_cpu = _timed_autograde(course, name, submitted_students(name, course))
        scores = _scores(course, name)
        wrong = {s: v for s, v in scores.items() if v[0] != v[1]}
        if wrong:
            raise RuntimeError(f"{name}: the solution did not get full marks: {wrong}")
        per, per_cpu = (many - one) / (copies - 1), (many_cpu - one_cpu) / (copies - 1)
        result = {"name": name, "copies": copies, "one_s": one, "many_s": many,
                  "per_submission_s": per, "start_s": one - per,
                  "per_submission_cpu_s": per_cpu, "start_cpu_s": one_cpu - per_cpu}
        if workers > 1:
            par = grade(name, workers, root=course, log=pathlib.Path(tmp) / "workers.log")
            if any(par["returncodes"]):
                raise RuntimeError(f"{name}: a worker failed: {par['returncodes']}")
            result.update(workers=workers, parallel_s=par["seconds"])
    return result


# ----------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/grade_class.py", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="problem set to grade (one), or to time (default: all)")
    parser.add_argument("--workers", type=int, default=None,
                        help="autograde processes at once (default: one per core; with --time: 1, sequential only)")
    parser.add_argument("--students", default=None, help="comma-separated ids (default: every submission)")
    parser.add_argument("--time", action="store_true", help="measure autograde seconds per submission instead")
    parser.add_argument("--copies", type=int, default=4, help="with --time: submissions per problem set")
    args, extra = parser.parse_known_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.time:
        names = args.names or nbrun.problem_sets(ROOT)
        workers = args.workers or 1
        print(f"wall and CPU seconds of nbgrader autograde ({os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f} at the start)")
        print(f"{'problem set':30s} {'1 sub':>7s} {f'{args.copies} subs':>7s} {'per sub':>8s} {'start':>6s} "
              f"{'CPU/sub':>8s} {'CPU start':>9s}" + (f" {f'{workers} workers':>10s}" if workers > 1 else ""))
        for name in names:
            r = measure(name, args.copies, workers)
            print(f"{name:30s} {r['one_s']:7.1f} {r['many_s']:7.1f} {r['per_submission_s']:8.1f} {r['start_s']:6.1f} "
                  f"{r['per_submission_cpu_s']:8.1f} {r['start_cpu_s']:9.1f}"
                  + (f" {r['parallel_s']:10.1f}" if workers > 1 else ""), flush=True)
        return 0
    if len(args.names) != 1:
        parser.error("name one problem set to grade, e.g. python scripts/grade_class.py ps02_exact_unlearning")
    students = args.students.split(",") if args.students else None
    try:
        out = grade(args.names[0], args.workers or max(1, os.cpu_count() or 1), ROOT, students, extra)
    except ValueError as err:
        print(f"grade_class: {err}", file=sys.stderr)
        return 1
    n = sum(len(g) for g in out["groups"])
    print(f"{args.names[0]}: {n} submissions autograded by {len(out['groups'])} workers in {out['seconds']:.0f} s; "
          f"{len(out['merged'])} merged into the gradebook; nbgrader's log: {out['log']}")
    failed = [i for i, c in enumerate(out["returncodes"]) if c]
    if failed:
        print(f"grade_class: workers {failed} reported errors (nbgrader exits 1 when a submission fails): see "
              f"{out['log']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
