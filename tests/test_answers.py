"""Every task of every problem set against typical wrong answers and correct alternatives.

Each problem-set source (``course/problem_sets/psNN_topic.py``) carries, after each answer cell,
cells marked ``nbg="wrong:ANSWER_ID:NAME"`` (a wrong answer as a student would write it),
``nbg="alt:ANSWER_ID:NAME"`` (another correct answer) and optionally ``nbg="twin:ANSWER_ID:passes"``
or ``:fails`` (the library's own function, renamed). They never reach a notebook
(scripts/nbsource.py). Here they are graded the way a class is: students are made from the release
with the solution spliced in, then answer cells replaced by variants, one variant per task per
student (tasks are graded independently: each test cell gives the other tasks' functions correct
versions where it needs them), and ONE real ``nbgrader autograde`` per problem set grades them all
with the course's own timeout. Then:

- every wrong answer loses points on its own task's test cell;
- every correct alternative gets full marks on every cell, and its cells' seconds are reported;
- every twin gets the outcome its marker states (what the instructor guide reports);
- each task carries at least 4 wrong answers and 1 alternative (checked without grading).
"""
from __future__ import annotations

import datetime as _dt
import json
import pathlib

import nbformat
import pytest

import nbrun
import nbsource

ROOT = nbrun.ROOT
MIN_WRONG, MIN_ALT = 4, 1


def _sets():
    return [p for p in nbsource.sources() if p.parent.name == "problem_sets"]


def _answer_tests(nb) -> dict[str, str]:
    """{answer grade id: grade id of the first test cell after it}."""
    out, pending = {}, None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader") or {}
        if meta.get("solution") and cell.cell_type == "code":
            pending = meta["grade_id"]
        elif meta.get("grade") and not meta.get("solution") and pending:
            out[pending] = meta["grade_id"]
            pending = None
    return out


def students_for(src: pathlib.Path):
    """{student id: {answer id: Variant}} with one variant per task per student."""
    variants = nbsource.variants(src)
    by_kind: dict[str, dict[str, list]] = {}
    for v in variants:
        by_kind.setdefault(v.kind, {}).setdefault(v.answer_id, []).append(v)
    students = {}
    for kind, per_task in by_kind.items():
        for k in range(max(len(vs) for vs in per_task.values())):
            students[f"{kind}{k + 1}"] = {aid: vs[k] for aid, vs in per_task.items() if k < len(vs)}
    return students


@pytest.mark.parametrize("src", _sets(), ids=lambda p: p.stem)
def test_every_task_has_wrong_answers_and_an_alternative(src):
    nb = nbsource.notebook_from_source(src)
    answers = list(_answer_tests(nb))
    counts = {a: {"wrong": 0, "alt": 0} for a in answers}
    for v in nbsource.variants(src):
        if v.kind in ("wrong", "alt"):
            counts[v.answer_id][v.kind] += 1
    short = {a: c for a, c in counts.items() if c["wrong"] < MIN_WRONG or c["alt"] < MIN_ALT}
    assert not short, (f"{src.name}: each task needs >= {MIN_WRONG} wrong answers and >= {MIN_ALT} correct "
                       f"alternative (nbg=\"wrong:ID:NAME\" / \"alt:ID:NAME\" cells): {short}")


def _seconds(cell) -> float | None:
    ex = cell.get("metadata", {}).get("execution", {})
    try:
        a = _dt.datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
        b = _dt.datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return (b - a).total_seconds()


@pytest.mark.grading
@pytest.mark.parametrize("src", _sets(), ids=lambda p: p.stem)
def test_wrong_answers_lose_points_and_alternatives_get_full_marks(src, tmp_path, record_property):
    from nbgrader.api import Gradebook

    name = src.stem
    students = students_for(src)
    if not students:
        pytest.skip(f"{src.name} carries no variants yet")
    release = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    spliced = nbrun.splice_solutions(release, solution, nbrun.code_stub_lines(ROOT))
    task_cell = _answer_tests(solution)

    course = nbrun.copy_course(tmp_path / "course", [name], root=ROOT)
    nbrun.nbgrader("generate_assignment", name, "--force", cwd=course)
    for student, chosen in students.items():
        nb = nbformat.from_dict(json.loads(json.dumps(spliced)))
        for cell in nb.cells:
            gid = (cell.metadata.get("nbgrader") or {}).get("grade_id")
            if gid in chosen:
                cell.source = chosen[gid].source
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    nbrun.nbgrader("autograde", name, "--force", cwd=course)

    slipped, failed_alt, wrong_twin, lines = [], [], [], []
    caught = tried = alt_ok = alt_n = 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="unlearnkit") as gb:
        for student, chosen in students.items():
            graded = nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)
            seconds = {(c.metadata.get("nbgrader") or {}).get("grade_id"): _seconds(c) for c in graded.cells}
            for aid, v in chosen.items():
                tid = task_cell[aid]
                grade = gb.find_grade(tid, name, name, student)
                score, top = grade.score, grade.max_score
                full = score == top
                label = f"{v.kind}:{aid}:{v.name}"
                if v.kind == "wrong":
                    tried += 1
                    caught += not full
                    if full:
                        slipped.append(label)
                elif v.kind == "alt":
                    alt_n += 1
                    sub = gb.find_submission(name, student)
                    ok = full and sub.code_score == sub.max_code_score
                    alt_ok += ok
                    if not ok:
                        failed_alt.append(f"{label}: {score}/{top} on its task, {sub.code_score}/{sub.max_code_score} in all")
                    t = [s for s in (seconds.get(aid), seconds.get(tid)) if s is not None]
                    lines.append(f"  {label}: {score}/{top}, answer+test cells {sum(t):.1f} s" if t else
                                 f"  {label}: {score}/{top}")
                else:
                    expect = v.name == "passes"
                    lines.append(f"  {label}: {'passes' if full else 'fails'} ({score}/{top})")
                    if full != expect:
                        wrong_twin.append(f"{label}: it {'passes' if full else 'fails'}")
    summary = (f"{name}: wrong answers caught {caught}/{tried}, correct alternatives full marks {alt_ok}/{alt_n}, "
               f"{len(students)} simulated students")
    print(summary + "\n" + "\n".join(lines))
    record_property("answers", summary)
    problems = ([f"wrong answer got full marks: {s}" for s in slipped]
                + [f"correct alternative lost points: {s}" for s in failed_alt]
                + [f"twin outcome differs from its marker: {s}" for s in wrong_twin])
    assert not problems, f"{name}:\n" + "\n".join(problems)
