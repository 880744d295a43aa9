"""Make small notebooks from Python (tests build a toy problem set with it).

Course notebooks are not written with this module: they are built from their plain-text sources in
``course/`` by :mod:`nbsource`. This module offers the same cell kinds as calls, with the same
nbgrader metadata (:func:`nbsource.nbgrader_meta` is the one place that knows it) and the same
stable cell ids, for notebooks that a test makes on the fly::

    from nbbuild import md, code, locked_md, setup, answer, tests, written, write
    write(path, [locked_md("# Toy", "intro"), setup("import math"), ...])
"""
from __future__ import annotations

import textwrap

import nbformat

from nbsource import KERNELSPEC, _cell_id, fingerprint, nbgrader_meta

__all__ = ["md", "code", "locked_md", "setup", "answer", "tests", "written", "write"]


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str):
    """A plain markdown cell."""
    return nbformat.v4.new_markdown_cell(_src(text))


def code(text: str):
    """A plain code cell."""
    return nbformat.v4.new_code_cell(_src(text))


def locked_md(text: str, grade_id: str):
    """Problem-set instructions: a locked markdown cell (marker ``locked``)."""
    return nbformat.v4.new_markdown_cell(_src(text), metadata=nbgrader_meta("locked", grade_id))


def setup(text: str, grade_id: str = "setup"):
    """The locked setup cell of a problem set (marker ``setup``)."""
    return nbformat.v4.new_code_cell(_src(text), metadata=nbgrader_meta("setup", grade_id))


def answer(text: str, grade_id: str):
    """A student answer cell (marker ``answer``); the solution between the solution markers."""
    return nbformat.v4.new_code_cell(_src(text), metadata=nbgrader_meta("answer", grade_id))


def tests(text: str, grade_id: str, points: int):
    """An autograded test cell (marker ``tests``); end it with statements, never a bare expression."""
    return nbformat.v4.new_code_cell(_src(text), metadata=nbgrader_meta("tests", grade_id, points))


def written(text: str, grade_id: str, points: int):
    """A written answer graded by hand (marker ``written``), the model answer between solution markers."""
    return nbformat.v4.new_markdown_cell(_src(text), metadata=nbgrader_meta("written", grade_id, points))


def write(path: str, cells) -> None:
    """Write a notebook with the standard python3 kernelspec, stable ids and no outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    seen: dict = {}
    for cell in nb.cells:
        cell["id"] = _cell_id(cell, seen)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["unlearnkit"] = {"source": "(built by nbbuild)", "fingerprint": fingerprint(nb)}
    nbformat.validate(nb)
    nbformat.write(nb, path)
