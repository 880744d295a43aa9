"""Every notebook in lectures/ and solutions/ executes top to bottom in a fresh python3 kernel.

Notebooks are discovered, not listed: a new ``lectures/NN_topic.ipynb`` or
``solutions/psNN_topic/psNN_topic.ipynb`` is tested as soon as it exists. Each runs with its own
folder as working directory and TQDM_DISABLE=1. Wall times are printed at the end of the run
(tests/conftest.py); a budget overrun (COURSE.md section 5) is a warning, not a failure.

A lecture that ran without an error is also saved, outputs included, to build/executed/lectures/
(git-ignored; nbrun.save_executed): the course site (`make site`, tests/test_site.py) is built from
those copies, so a test run executes each lecture once for both.
"""
from __future__ import annotations

import re
import warnings

import pytest

import nbrun

pytestmark = pytest.mark.notebook


def _params():
    out = [pytest.param(p, id=p.stem) for p in nbrun.lectures()]
    out += [pytest.param(nbrun.ROOT / "solutions" / n / f"{n}.ipynb", id=n)
            for n in nbrun.problem_sets()]
    return out


def _traceback(cell) -> str:
    tb = "\n".join(line for o in cell.get("outputs", []) if o.output_type == "error" for line in o.traceback)
    return re.sub(r"\x1b\[[0-9;]*m", "", tb)


def execution(runs, path):
    """The shared execution of a lecture or solution notebook (errors recorded, not raised)."""
    return runs.get(("run", str(path)), lambda: nbrun.execute(path, allow_errors=True))


@pytest.mark.parametrize("path", _params())
def test_notebook_executes(path, runs, record_property):
    run = execution(runs, path)
    name = path.relative_to(nbrun.ROOT).as_posix()
    budget = nbrun.budget_for(path)
    record_property("notebook", name)
    record_property("wall_s", round(run.seconds, 1))
    record_property("budget_s", budget)
    print(f"{name}: {run.seconds:.1f} s (budget {budget:.0f} s)")
    cells = nbrun.cell_seconds(run.nb)
    slowest = (f"cells take {sum(c[0] for c in cells):.1f} s in all (the rest is kernel start/stop); "
               + "; ".join(f"cell {i} {s:.1f} s ({line})" for s, i, line in cells[:3]))
    print(f"  slowest cells: {slowest}")
    nbrun.save_executed(run)  # lectures only, and only without errors
    if run.seconds > budget:
        warnings.warn(f"{name} took {run.seconds:.1f} s, over its {budget:.0f} s budget; slowest cells: {slowest}",
                      UserWarning)
    if run.errors:
        index = run.errors[0][0]
        pytest.fail(f"{name}: cell {index} raised {run.errors[0][1]}\n{_traceback(run.nb.cells[index])}"
                    f"\n(all failing cells: {run.errors})", pytrace=False)
