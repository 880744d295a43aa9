"""The repository as a new user and an instructor meet it: committed notebooks, releases, pins,
the student bundle, the README's commands. Fast (no notebook is executed here).

Notebooks and problem sets are discovered, so these checks cover whatever content exists.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import re
import subprocess
import zipfile

import nbformat
import pytest

import make_release
import nbrun

ROOT = nbrun.ROOT
LECTURE_NAME = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
PS_NAME = re.compile(r"^ps\d\d_[a-z0-9]+(_[a-z0-9]+)*$")
IGNORED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


def committed_notebooks() -> list[pathlib.Path]:
    """Every notebook git tracks or would add (outside a git checkout: those in the course folders)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.ipynb"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
        found = [ROOT / line for line in out if line and (ROOT / line).is_file()]
    except (OSError, subprocess.CalledProcessError):
        found = nbrun.all_notebooks()
    return sorted(found)


def rel(path) -> str:
    return pathlib.Path(path).relative_to(ROOT).as_posix()


# ----------------------------------------------------------------------------- notebooks
def test_committed_notebooks_are_clean():
    """No outputs, no execution counts, no execution timings, and the python3 kernelspec."""
    problems = []
    for path in committed_notebooks():
        nb = nbformat.read(path, as_version=4)
        spec = nb.metadata.get("kernelspec", {})
        if spec.get("name") != "python3" or spec.get("language") != "python":
            problems.append(f"{rel(path)}: kernelspec {spec} (want name python3, language python)")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.get("outputs"):
                problems.append(f"{rel(path)}: cell {i} has outputs")
            if cell.get("execution_count") is not None:
                problems.append(f"{rel(path)}: cell {i} has an execution count")
            if "execution" in cell.get("metadata", {}):
                problems.append(f"{rel(path)}: cell {i} has execution timings in its metadata")
    assert not problems, "clear outputs (scripts/nbbuild.write does) and commit again:\n" + "\n".join(problems)


def test_notebook_names_follow_the_layout():
    """lectures/NN_topic.ipynb; solutions/psNN_topic/psNN_topic.ipynb; nothing else in those folders."""
    problems = []
    lectures = ROOT / "lectures"
    if lectures.is_dir():
        for p in lectures.glob("*.ipynb"):
            if not LECTURE_NAME.match(p.name):
                problems.append(f"lectures/{p.name}: name is not NN_topic.ipynb")
        for p in lectures.rglob("*.ipynb"):
            if p.parent != lectures and not IGNORED & set(p.parts):
                problems.append(f"{rel(p)}: lecture notebooks live directly in lectures/ (not tested there)")
    for top in ("solutions", "exercises"):
        base = ROOT / top
        if not base.is_dir():
            continue
        for entry in base.iterdir():
            if entry.name in IGNORED:
                continue
            if not entry.is_dir():
                problems.append(f"{rel(entry)}: {top}/ holds only problem-set folders")
            elif not PS_NAME.match(entry.name):
                problems.append(f"{rel(entry)}: folder name is not psNN_topic")
            elif not (entry / f"{entry.name}.ipynb").is_file():
                problems.append(f"{rel(entry)}: no {entry.name}.ipynb inside (one name for folder and notebook)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("top", ["solutions", "exercises"])
def test_assignment_folders_are_flat_and_notebook_only(top):
    """nbgrader copies any other file of solutions/NAME/ into the release verbatim and ignores
    notebooks in subfolders (NBGRADER.md): each folder holds exactly NAME.ipynb."""
    problems = []
    for name in nbrun.problem_sets(ROOT, top):
        for entry in (ROOT / top / name).iterdir():
            if entry.name in IGNORED:
                continue
            if entry.name != f"{name}.ipynb":
                problems.append(f"{rel(entry)}: only {name}.ipynb may be in {top}/{name}/")
    assert not problems, "\n".join(problems)


def test_every_release_has_a_source_and_vice_versa():
    sources, releases = set(nbrun.problem_sets(ROOT, "solutions")), set(nbrun.problem_sets(ROOT, "exercises"))
    assert not sources - releases, f"not released yet (run make exercises): {sorted(sources - releases)}"
    assert not releases - sources, f"released without a source in solutions/: {sorted(releases - sources)}"


@pytest.mark.parametrize("name", nbrun.problem_sets(ROOT, "exercises") or [pytest.param(None, marks=pytest.mark.skip("no problem set yet"))])
def test_release_holds_no_solution_or_hidden_test(name):
    path = ROOT / "exercises" / name / f"{name}.ipynb"
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{rel(path)} contains {marker!r}"
    source = ROOT / "solutions" / name / f"{name}.ipynb"
    if source.exists():
        release = nbformat.read(path, as_version=4)
        body = "\n".join(c.source for c in release.cells)
        leaked = [s for s in nbrun.solution_snippets(nbformat.read(source, as_version=4)) if s in body]
        assert not leaked, f"{rel(path)} contains solution or hidden-test lines: {leaked[:5]}"


def test_leak_detector_can_fail():
    """solution_snippets finds a solution line and ignores lines shared with visible code."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    secret_value = x * 42\n"
                                          "    shared_line = x + 1\n    ### END SOLUTION\n"),
                nbformat.v4.new_code_cell("shared_line = x + 1\n### BEGIN HIDDEN TESTS\n"
                                          "assert f(1) == 42, 'hidden'\n### END HIDDEN TESTS")]
    assert nbrun.solution_snippets(nb) == ["assert f(1) == 42, 'hidden'", "secret_value = x * 42"]


# ----------------------------------------------------------------------------- pins
def _requirements() -> dict[str, str]:
    """The pins of requirements.txt (students) and requirements-dev.txt (maintainers and CI)."""
    pins = {}
    lines = (ROOT / "requirements.txt").read_text().splitlines() + (ROOT / "requirements-dev.txt").read_text().splitlines()
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line == "-r requirements.txt":
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)", line)
        assert m, f"requirements.txt: {line!r} is not an exact pin name==version"
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pyproject_dependencies_are_all_pinned():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _requirements()
    wanted = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        wanted += extra
    names = {_norm(re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0]) for d in wanted}
    missing = sorted(names - set(pins))
    assert not missing, f"pyproject.toml depends on {missing} but requirements*.txt pin no version"
    # and pyproject states ranges only (a platform's own torch must satisfy it)
    exact = [d for d in project["dependencies"] if "==" in d]
    assert not exact, f"pyproject.toml should give ranges, not pins: {exact}"


def test_installed_versions_are_the_pins():
    """The environment the tests run in is the pinned one (make test installs it)."""
    wrong = []
    for name, version in _requirements().items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name}: not installed")
            continue
        if have.split("+")[0] != version.split("+")[0]:
            wrong.append(f"{name}: {have} installed, {version} pinned")
    assert not wrong, "reinstall with `make setup` (or pip install -r requirements.txt):\n" + "\n".join(wrong)


def test_environment_yml_and_makefile_install_the_same_pins():
    env = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*python\s*=\s*3\.11\s*$", env, re.M), "environment.yml: python=3.11"
    pip_lines = [ln.strip().lstrip("-").strip() for ln in env.splitlines()]
    assert "-r requirements.txt" in pip_lines, "environment.yml must pip-install -r requirements.txt"
    assert "-e ." in pip_lines, "environment.yml must pip-install -e ."
    assert not re.search(r"^\s*-\s*(torch|pytorch|numpy)\b", env, re.M), "no conda-side pins that could differ"
    # what `make setup` would run in a fresh venv (dry run: nothing is executed)
    dry = subprocess.run(["make", "-n", "-B", "setup", "VENV=/nonexistent-venv"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"pip install .*-r requirements\.txt", dry), dry
    assert re.search(r"pip install .*--no-deps -e \.", dry), dry
    cuda = subprocess.run(["make", "-n", "-B", "setup", "VENV=/nonexistent-venv", "TORCH_INDEX=https://example.invalid/whl"],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "--index-url https://example.invalid/whl" in cuda and "requirements" in cuda


def test_make_lab_allows_root_only_for_root():
    dry = subprocess.run(["make", "-n", "lab", f"STAMP={os.devnull}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    lab = [ln for ln in dry.splitlines() if "jupyter lab" in ln]
    assert lab, dry
    assert ("--allow-root" in lab[-1]) == (os.geteuid() == 0)
    assert "--notebook-dir=." in lab[-1]


# ----------------------------------------------------------------------------- README, CI, licences
def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S)
    assert first_block, "README.md should open with a code block of commands"
    return [ln.strip() for ln in first_block.group(1).splitlines() if ln.strip() and not ln.strip().startswith("#")]


def test_readme_opens_with_the_two_commands():
    assert _readme_commands()[:2] == ["make lab", "make test"]


def test_ci_runs_exactly_the_readme_test_command():
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    commands = [ln for ln in lines if not ln.startswith(("set ", "cd "))]
    # optional prerequisites README names (Debian's chromium for the browser tests), then exactly its command
    prepare = [ln for ln in commands[:-1] if re.fullmatch(r"bash \.ci/install-[a-z]+", ln)]
    assert commands == prepare + [_readme_commands()[1]], commands


def test_licences_are_present_and_named_in_readme():
    code = (ROOT / "LICENSE").read_text()
    content = (ROOT / "LICENSE-CONTENT").read_text()
    assert "MIT License" in code and "Permission is hereby granted" in code
    assert "Creative Commons Attribution 4.0" in content
    readme = (ROOT / "README.md").read_text()
    assert "MIT" in readme and "CC BY 4.0" in readme


def test_readme_course_map_matches_the_manifest():
    """README's course map is what `make course-map` writes from course/manifest.toml, and its links
    resolve (tests/test_manifest.py checks the manifest against the files, and docs/COURSE.md's outline)."""
    import course_map
    import manifest

    assert "README.md" not in course_map.stale(), "README.md's course map is out of date: run `make course-map`"
    readme = (ROOT / "README.md").read_text()
    region = readme.split(course_map.README[1], 1)[1].split(course_map.README[2], 1)[0]
    rows = [ln for ln in region.splitlines() if re.match(r"^\|\s*\d\d\s*\|", ln)]
    assert len(rows) == len(manifest.load().lectures), "the course map lists every lecture of the manifest"
    for row in rows:
        for link in re.findall(r"\]\(([^)]+\.ipynb)\)", row):
            assert (ROOT / link).exists(), f"README links {link}, which does not exist"


# ----------------------------------------------------------------------------- the student bundle
def test_release_bundle_has_no_solutions(tmp_path):
    dest = make_release.build(tmp_path / "release_bundle")
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    for required in (*make_release.FILES, *make_release.STUDENT_FILES):
        assert required in files, f"the bundle lacks {required}"
    assert any(f.startswith("unlearnkit/") and f.endswith("__init__.py") for f in files)
    tops = {f.split("/")[0] for f in files}
    assert not tops & {"solutions", "scripts", "tests", ".ci", ".git", ".venv", "solution_release",
                       "submitted", "autograded", "feedback", "gradebook.db"}, tops
    own = {f.split("/")[0] for f in make_release.STUDENT_FILES}  # the bundle's README.md, Makefile, jupyter_config/
    assert tops <= set(make_release.FOLDERS) | set(make_release.FILES) | own, tops
    for name in nbrun.problem_sets(ROOT, "exercises"):
        assert f"exercises/{name}/{name}.ipynb" in files
    for path in nbrun.lectures():
        assert f"lectures/{path.name}" in files
    for f in files:
        if f.endswith((".ipynb", ".py")):
            text = (dest / f).read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, f
    with zipfile.ZipFile(dest.with_suffix(".zip")) as zf:
        assert {n.split("/", 1)[1] for n in zf.namelist()} == files


def test_release_bundle_refuses_a_leaking_exercise(tmp_path):
    course = tmp_path / "course"
    (course / "exercises" / "ps99_leak").mkdir(parents=True)
    (course / "exercises" / "ps99_leak" / "ps99_leak.ipynb").write_text(json.dumps({"cells": [], "x": "### BEGIN SOLUTION"}))
    for f in make_release.REQUIRED:
        (course / f).parent.mkdir(parents=True, exist_ok=True)
        (course / f).write_text("x")
    subprocess.run(["git", "init", "-q"], cwd=course, check=True)  # the bundle is built from what git tracks
    subprocess.run(["git", "add", "."], cwd=course, check=True)
    with pytest.raises(RuntimeError, match="ps99_leak"):
        make_release.build(tmp_path / "out", root=course)
    assert not (tmp_path / "out").exists()


def test_make_exercises_refuses_a_bad_source(tmp_path):
    """An executed source or an extra file in the assignment folder is refused before nbgrader runs."""
    import make_exercises

    folder = tmp_path / "solutions" / "ps99_demo"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, folder / "ps99_demo.ipynb")
    make_exercises.check_source("ps99_demo", tmp_path)  # clean: accepted
    nb.cells[0].execution_count = 1
    nbformat.write(nb, folder / "ps99_demo.ipynb")
    with pytest.raises(ValueError, match="was executed"):
        make_exercises.check_source("ps99_demo", tmp_path)
    nb.cells[0].execution_count = None
    nbformat.write(nb, folder / "ps99_demo.ipynb")
    (folder / "helper.py").write_text("ANSWER = 42\n")
    with pytest.raises(ValueError, match="helper.py"):
        make_exercises.check_source("ps99_demo", tmp_path)
