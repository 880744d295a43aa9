"""Code lines fit a JupyterLab cell: no code line of any notebook is longer than 100 characters.

Why 100: measured in headless Chromium (tests/_browser.py's Debian chromium) with this course's
JupyterLab as `make lab` starts it: at its default code font (13 px monospace, 7.83 px a character)
in a 1280 x 800 window with the file browser open, a code cell's editor shows 107 characters
before the line runs off the cell (116 at 1366 px, 172 at 1920 px). 100 leaves a few characters
for the scroll bar and a slightly wider font. Markdown cells wrap, so only code cells count:
lectures/, solutions/ and exercises/ (what students open), and the sources in course/, whose
wrong/alt/twin variant cells never reach a notebook but are code a maintainer reads there too.

The sources are laid out by ruff's formatter (course/ruff.toml; `make format`; scripts/nbsource.py
`format` and `pull` write that layout); comments and strings the formatter cannot split are kept
within the limit by hand.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

import nbformat
import pytest

import nbsource

ROOT = nbsource.ROOT
LIMIT = 100
NOTEBOOKS = sorted(p for folder in ("lectures", "solutions", "exercises")
                   for p in (ROOT / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def long_code_lines(cells, name: str, limit: int = LIMIT) -> list[str]:
    """'NAME, cell I, line J: N characters: TEXT' for every code line over ``limit``."""
    problems = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.splitlines(), start=1):
            if len(line) > limit:
                problems.append(f"{name}, cell {index}, line {number}: {len(line)} characters: "
                                f"{line[:60].strip()}...")
    return problems


def test_sources_are_formatted_by_ruff():
    """`ruff format --check course/` passes (course/ruff.toml: line length 100)."""
    run = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "course"], cwd=ROOT,
                         capture_output=True, text=True)
    unformatted = [line for line in run.stdout.splitlines() + run.stderr.splitlines()
                   if line.startswith("Would reformat") or line.startswith("unformatted")
                   or "-->" in line]
    assert run.returncode == 0, ("sources not in ruff's layout (run `make format`, or "
                                 "`python scripts/nbsource.py format NAME`):\n"
                                 + "\n".join(unformatted or [run.stdout[-2000:], run.stderr[-2000:]]))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}"
                         if p.parent.name.startswith("ps") else p.stem)
def test_no_code_line_runs_off_the_cell(path):
    nb = nbformat.read(path, as_version=4)
    problems = long_code_lines(nb.cells, str(path.relative_to(ROOT)))
    assert not problems, (f"{len(problems)} code lines longer than {LIMIT} characters:\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("src", nbsource.sources(), ids=lambda p: p.stem)
def test_no_source_code_line_over_the_limit(src):
    """Variant cells (wrong/alt/twin answers) too: they are only in the source."""
    problems = long_code_lines(nbsource.read_source(src).cells, str(src.relative_to(ROOT)))
    assert not problems, (f"{len(problems)} code lines longer than {LIMIT} characters:\n"
                          + "\n".join(problems))


def test_the_width_check_can_fail():
    cells = [nbformat.v4.new_markdown_cell("m" * 300),
             nbformat.v4.new_code_cell("x = 1\ny = '" + "a" * 95 + "'\n# " + "c" * 98)]
    problems = long_code_lines(cells, "toy.ipynb")
    assert problems == ["toy.ipynb, cell 1, line 2: 101 characters: y = '" + "a" * 55 + "..."]
    assert long_code_lines(cells, "toy.ipynb", limit=101) == []
