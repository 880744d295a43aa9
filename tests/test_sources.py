"""Notebook sources (scripts/nbsource.py): every notebook is what its source in course/ builds.

Also: cell ids stay put when a cell is inserted, an edited notebook is never silently overwritten
(``pull`` carries the edit back), markers are checked, and ``wrong``/``alt`` variants never reach a
notebook.
"""
from __future__ import annotations

import json
import pathlib
import shutil
import textwrap

import nbformat
import pytest

import nbsource

ROOT = nbsource.ROOT

TOY = textwrap.dedent('''\
    # Source of solutions/ps99_toy/ps99_toy.ipynb.

    # %% [markdown] nbg="locked:intro"
    # # Toy

    # %% nbg="setup"
    import math

    # %% nbg="answer:double"
    def double(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION

    # %% nbg="wrong:double:square"
    def double(x):
        return x * x

    # %% nbg="alt:double:sum"
    def double(x):
        return x + x

    # %% nbg="tests:test_double:2"
    assert double(2) == 4, "double(2)"
    ### BEGIN HIDDEN TESTS
    assert double(3) == 6, "double(3)"
    ### END HIDDEN TESTS

    # %% [markdown]
    # A plain remark.

    # %% [markdown] nbg="written:why:3"
    # Why?
    #
    # ### BEGIN SOLUTION
    # Because.
    # ### END SOLUTION
    ''')


@pytest.fixture()
def toy_root(tmp_path):
    (tmp_path / "course" / "problem_sets").mkdir(parents=True)
    (tmp_path / "course" / "lectures").mkdir()
    (tmp_path / "lectures").mkdir()
    (tmp_path / "solutions").mkdir()
    src = tmp_path / "course" / "problem_sets" / "ps99_toy.py"
    src.write_text(TOY)
    return tmp_path


def test_every_notebook_matches_its_source():
    problems = nbsource.check()
    assert not problems, "notebooks out of date with course/ (run `make notebooks`):\n" + "\n".join(problems)
    print(f"{len(nbsource.sources())} sources, every notebook in sync")


@pytest.mark.parametrize("src", nbsource.sources(), ids=lambda p: p.stem)
def test_source_round_trips(src):
    """A source is exactly what `pull` writes back from its own notebook (variants included)."""
    target = nbsource.target_of(src)
    nb = nbformat.read(target, as_version=4)
    again = nbsource.source_from_notebook(nb, str(target.relative_to(ROOT)), keep_variants_from=src)
    assert again == src.read_text(), (f"{src.name} is not in the canonical layout: "
                                              "run `python scripts/nbsource.py format`")


def test_toy_build_metadata_ids_and_variants(toy_root):
    changed = nbsource.build(root=toy_root)
    nb_path = toy_root / "solutions" / "ps99_toy" / "ps99_toy.ipynb"
    assert changed == [nb_path]
    nb = nbformat.read(nb_path, as_version=4)
    assert [c.id for c in nb.cells][:4] == ["intro", "setup", "double", "test_double"]
    meta = {c.id: c.metadata.get("nbgrader") for c in nb.cells}
    assert meta["test_double"] == {"schema_version": 3, "grade_id": "test_double", "grade": True,
                                   "solution": False, "locked": True, "task": False, "points": 2}
    assert meta["why"]["grade"] and meta["why"]["solution"] and meta["why"]["points"] == 3
    assert meta["setup"]["locked"] and not meta["setup"]["grade"]
    assert "x * x" not in nb_path.read_text() and "x + x" not in nb_path.read_text(), "a variant leaked"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    kinds = [(v.kind, v.answer_id, v.name) for v in nbsource.variants(toy_root / "course/problem_sets/ps99_toy.py")]
    assert kinds == [("wrong", "double", "square"), ("alt", "double", "sum")]
    assert nbsource.build(root=toy_root) == [], "a second build must change nothing"


def test_ids_stable_when_a_cell_is_inserted(toy_root):
    nbsource.build(root=toy_root)
    nb_path = toy_root / "solutions" / "ps99_toy" / "ps99_toy.ipynb"
    before = [c.id for c in nbformat.read(nb_path, as_version=4).cells]
    src = toy_root / "course/problem_sets/ps99_toy.py"
    src.write_text(src.read_text().replace('# %% nbg="setup"', '# %% [markdown]\n# New remark.\n\n# %% nbg="setup"'))
    nbsource.build(root=toy_root)
    after = [c.id for c in nbformat.read(nb_path, as_version=4).cells]
    assert len(after) == len(before) + 1
    assert [i for i in after if i in before] == before, "inserting a cell changed other cells' ids"


def test_edited_notebook_is_not_overwritten_and_pull_carries_the_edit(toy_root):
    nbsource.build(root=toy_root)
    nb_path = toy_root / "solutions" / "ps99_toy" / "ps99_toy.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\n\nAn instructor's note."
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    nbformat.write(nb, nb_path)
    edited = nb_path.read_text()
    src = toy_root / "course/problem_sets/ps99_toy.py"
    src.write_text(src.read_text().replace("import math", "import math  # changed"))
    with pytest.raises(nbsource.SourceError, match="pull"):
        nbsource.build(root=toy_root)
    assert nb_path.read_text() == edited, "a refused build must write nothing"
    nbsource.pull(nb_path, root=toy_root)
    text = src.read_text()
    assert "An instructor's note." in text and 'nbg="wrong:double:square"' in text, "pull lost the edit or a variant"
    assert "ran" not in text, "outputs must not enter the source"
    nbsource.build(root=toy_root, force=True)
    assert "An instructor's note." in nb_path.read_text()


@pytest.mark.parametrize("bad, match", [
    ('# %% nbg="tests:t1"\nassert True\n', "points"),
    ('# %% nbg="answer:bad id"\npass\n', "grade id"),
    ('# %% nbg="grade:t1:2"\npass\n', "KIND"),
    ('# %% [markdown] nbg="answer:a1"\n# text\n', "code cell"),
    ('# %% nbg="wrong:nosuch:x"\npass\n', "names no answer"),
    ('# %% nbg="answer:a1"\npass\n\n# %% nbg="tests:a1:2"\npass\n', "twice"),
])
def test_bad_markers_are_refused_with_the_cell_named(toy_root, bad, match):
    src = toy_root / "course/problem_sets/ps98_bad.py"
    src.write_text(bad)
    with pytest.raises(nbsource.SourceError, match=match):
        nbsource.notebook_from_source(src)
        nbsource.variants(src)


def test_variants_parse_in_every_problem_set():
    for src in nbsource.sources():
        if src.parent.name == "problem_sets":
            nbsource.variants(src)  # raises on a malformed or dangling variant
