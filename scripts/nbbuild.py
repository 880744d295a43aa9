"""Build course notebooks from Python: plain and nbgrader cells with the right metadata.

Maintainers write a small ``scripts/build_<notebook>.py`` that lists cells with these helpers and
calls :func:`write`; the committed ``.ipynb`` is the product (students never need this file).
Cell metadata follows nbgrader's schema version 3 (see README, "Instructor guide").

    from nbbuild import md, code, setup, answer, tests, written, write
    write("solutions/ps02_exact_unlearning/ps02_exact_unlearning.ipynb", [md("# ..."), ...])
"""
from __future__ import annotations

import textwrap

import nbformat

__all__ = ["md", "code", "locked_md", "setup", "answer", "tests", "written", "write"]


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _nbg(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": grade, "solution": solution,
            "locked": locked, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str):
    """A plain markdown cell (lectures)."""
    return nbformat.v4.new_markdown_cell(_src(text))


def code(text: str):
    """A plain code cell (lectures)."""
    return nbformat.v4.new_code_cell(_src(text))


def locked_md(text: str, grade_id: str):
    """Problem-set instructions: a locked markdown cell."""
    return nbformat.v4.new_markdown_cell(_src(text), metadata=_nbg(grade_id, locked=True))


def setup(text: str, grade_id: str = "setup"):
    """The locked setup cell of a problem set (imports, seeds, warning filters)."""
    return nbformat.v4.new_code_cell(_src(text), metadata=_nbg(grade_id, locked=True))


def answer(text: str, grade_id: str):
    """A student answer cell; put the solution between ### BEGIN SOLUTION / ### END SOLUTION."""
    return nbformat.v4.new_code_cell(_src(text), metadata=_nbg(grade_id, solution=True))


def tests(text: str, grade_id: str, points: int):
    """An autograded test cell: visible asserts, then ### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS.

    End with statements, never a bare expression (nbgrader would read it as partial credit).
    """
    return nbformat.v4.new_code_cell(_src(text), metadata=_nbg(grade_id, grade=True, locked=True, points=points))


def written(text: str, grade_id: str, points: int):
    """A written answer graded by hand; in the source, the model answer between the solution markers."""
    return nbformat.v4.new_markdown_cell(_src(text), metadata=_nbg(grade_id, grade=True, solution=True, points=points))


def write(path: str, cells) -> None:
    """Write a notebook with the standard python3 kernelspec and no outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, path)
