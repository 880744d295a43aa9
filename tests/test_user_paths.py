"""Every user's path, as that user meets it (issue 15): the student with the bundle, the student's and
the instructor's JupyterLab, a shared server with two students, grading a class in parallel, and
collecting an LMS download.

- The bundle is built by scripts/make_release.py, unpacked from its zip into an empty folder, and
  its own README is followed headless: `make setup` (for real, with pip kept offline: the bundle's
  .venv sees this machine's installed packages through a .pth file, so pip finds every pin already
  satisfied and builds the editable install with the installed setuptools), `make lab` (a real
  server, asked which extensions it serves), `make check PS=...` on the untouched and on a solved
  problem set, and the file the README says to hand in.
- `make lab` and `make lab-instructor` start real JupyterLab servers on free localhost ports; each
  is asked for its page config (the lab extensions switched off) and for nbgrader's routes (the
  server extensions loaded), then stopped.
- The shared server: an exchange in a temporary folder, the instructor's commands from the course
  root, and two students with their own HOME (and so their own ~/.jupyter config, fetched folder
  and exchange cache). On a real server nbgrader takes the student id from the Linux user name
  (nbgrader.utils.get_username; JUPYTERHUB_USER for the shared 'jovyan' account); both students
  here are one Linux user, so each one's config names the id (CourseDirectory.student_id, which
  submit and fetch_feedback honour). Everything else is what a real student types.
- An LMS download: five students' notebooks in a zip, `nbgrader zip_collect` with README's file-name
  pattern; then scripts/grade_class.py with 2 workers against a sequential `nbgrader autograde` of
  the same five students: the gradebooks must be equal, grade by grade.

Each slow test builds one temporary course with the toy problem set of tests/test_grading.py
(marker `grading`), except the bundle, which ships the real course.
"""
from __future__ import annotations

import contextlib
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
import time
import urllib.error
import urllib.request
import zipfile

import nbformat
import pytest

import grade_class
import make_release
import nbrun
from test_grading import TOY, write_toy

ROOT = nbrun.ROOT
TOKEN = "user-paths-test"
# nbgrader's lab plugins (what `jupyter labextension list` calls them) and JupyterLab's news plugin
INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:menu"}
STUDENT_PLUGINS = {"@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list"}
NEWS = "@jupyterlab/apputils-extension:announcements"
README_PS = "ps01_why_unlearn"  # the problem set the bundle test checks with `make check`


# ----------------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(**extra) -> dict:
    """This environment without Jupyter path overrides, progress bars off, plus ``extra``."""
    env = nbrun.kernel_env()
    for var in ("JUPYTER_CONFIG_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
                "JUPYTER_RUNTIME_DIR", "JUPYTER_TOKEN", "VIRTUAL_ENV"):
        env.pop(var, None)
    env.update(extra)
    return env


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


@contextlib.contextmanager
def serving(cmd: list[str], cwd, env: dict, port: int, timeout: float = 150):
    """Run ``cmd`` (a JupyterLab started by make) until it answers on ``port``; yield its base URL
    and a function returning its log so far; stop it (its whole process group) afterwards."""
    log = pathlib.Path(cwd) / f".lab-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env={**env, "JUPYTER_TOKEN": TOKEN, "BROWSER": "true"},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                if _get(f"{base}/api/status?token={TOKEN}")[0] == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start ({' '.join(cmd)}):\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, log.read_text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.unlink(missing_ok=True)


def lab_state(base: str, log: str) -> dict:
    """What a running JupyterLab serves: its page config's disabled and federated lab extensions,
    the HTTP status of nbgrader's routes, and the server extensions its log says it linked."""
    status, page = _get(f"{base}/lab?token={TOKEN}")
    assert status == 200, status
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    config = json.loads(found.group(1))
    routes = {path: _get(f"{base}{path}?token={TOKEN}")[0]
              for path in ("/formgrader", "/formgraders", "/assignments/validate", "/assignments")}
    linked = set(re.findall(r"(nbgrader\.server_extensions\.\w+) \| extension was successfully linked", log))
    return {"disabled": set(config["disabledExtensions"]),
            "federated": {e["name"] for e in config["federated_extensions"]},
            "routes": routes, "linked": linked}


def assert_student_lab(state: dict) -> None:
    """nbgrader's instructor tools and the news toast off; Validate (and the assignment list) on."""
    assert "@jupyter/nbgrader" in state["federated"], state["federated"]
    assert INSTRUCTOR_PLUGINS | {NEWS} <= state["disabled"], state["disabled"]
    assert not STUDENT_PLUGINS & state["disabled"], state["disabled"]
    # formgrader and the course list are not served; validate and the assignment list are
    # (a route answers 405 to a GET it does not take, 400 to a request without a course; 404: not there)
    assert state["routes"]["/formgrader"] == 404 and state["routes"]["/formgraders"] == 404, state["routes"]
    assert state["routes"]["/assignments/validate"] == 405 and state["routes"]["/assignments"] != 404, state["routes"]
    assert state["linked"] == {"nbgrader.server_extensions.validate_assignment",
                               "nbgrader.server_extensions.assignment_list"}, state["linked"]


def _nbg(*args, cwd, env=None, check=True):
    exe = pathlib.Path(sys.executable).parent / "nbgrader"
    proc = subprocess.run([str(exe), *args], cwd=cwd, env=env or _clean_env(), capture_output=True, text=True,
                          timeout=600)
    if check:
        assert proc.returncode == 0, f"nbgrader {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _toy_course(tmp_path, config: str = "") -> pathlib.Path:
    """A temporary course: nbgrader_config.py (+ ``config``), the grading plug-ins, the toy problem
    set released by README's step 1 (into exercises/ and the gradebook)."""
    course = nbrun.copy_course(tmp_path / "course")
    for name in ("make_exercises.py", "grade_class.py", "nbrun.py"):
        shutil.copy2(ROOT / "scripts" / name, course / "scripts" / name)
    if config:
        with open(course / "nbgrader_config.py", "a") as fh:
            fh.write("\n# added by tests/test_user_paths.py as README's instructor guide says\n" + config)
    write_toy(course)
    subprocess.run([sys.executable, "scripts/make_exercises.py", TOY, "--gradebook"], cwd=course, check=True,
                   capture_output=True, env=_clean_env())
    return course


def _answers(course: pathlib.Path, solved: set[str]) -> nbformat.NotebookNode:
    """The toy release with the solution of the answer cells in ``solved`` spliced in."""
    release = nbformat.read(course / "exercises" / TOY / f"{TOY}.ipynb", as_version=4)
    source = nbformat.read(course / "solutions" / TOY / f"{TOY}.ipynb", as_version=4)
    full = nbrun.splice_solutions(release, source, nbrun.code_stub_lines(course))
    for mine, stub in zip(full.cells, release.cells):
        if nbrun.nbg(mine).get("solution") and nbrun.nbg(mine).get("grade_id") not in solved:
            mine.source = stub.source
    return full


def _gradebook(course: pathlib.Path, assignment: str = TOY) -> dict:
    """Everything autograde writes for ``assignment``, per student: timestamp, notebook flags,
    every grade and comment."""
    from nbgrader.api import Gradebook

    course_id, url = grade_class.course_settings(course)
    out = {}
    with Gradebook(url, course_id=course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            nbs = {}
            for nb in sub.notebooks:
                nbs[nb.name] = {
                    "flagged": nb.flagged, "late_penalty": nb.late_submission_penalty,
                    "grades": {g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                               for g in nb.grades},
                    "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments}}
            out[sub.student.id] = {"timestamp": sub.timestamp, "score": sub.score, "code_score": sub.code_score,
                                   "notebooks": nbs}
    return out


def _text(page: pathlib.Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))


def _shared_venv_files() -> dict:
    """(size, mtime) of the files in the shared .venv that an install could touch (unlearnkit's)."""
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in site.iterdir() if "unlearnkit" in p.name}


# ----------------------------------------------------------------------------- JupyterLab in the repository
@pytest.mark.grading
def test_make_lab_is_the_students_and_lab_instructor_the_instructors(tmp_path):
    """`make lab` and `make lab-instructor`, each a real server, asked what it serves."""
    course = tmp_path / "course"
    course.mkdir()
    for f in ("Makefile", "requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy2(ROOT / f, course / f)  # copy2 keeps mtimes: make sees the set-up as done
    for folder in ("scripts/bundle/jupyter_config", "scripts/jupyter_instructor"):
        shutil.copytree(ROOT / folder, course / folder)
    (course / ".venv").symlink_to(ROOT / ".venv")
    env = _clean_env(HOME=str(tmp_path / "home"))
    # -o: never (re)install the shared environment from a test, whatever the pins' mtimes say
    port = _free_port()
    with serving(["make", "-o", ".venv/.installed", "lab", f"LAB_PORT={port}"], course, env, port) as (base, log):
        student = lab_state(base, log())
    assert_student_lab(student)
    assert not (course / "gradebook.db").exists(), "the student's JupyterLab created a gradebook"

    port = _free_port()
    with serving(["make", "-o", ".venv/.installed", "lab-instructor", f"LAB_PORT={port}"], course, env, port) as (base, log):
        teacher = lab_state(base, log())
    assert not (INSTRUCTOR_PLUGINS | STUDENT_PLUGINS) & teacher["disabled"], teacher["disabled"]
    assert NEWS in teacher["disabled"], teacher["disabled"]
    assert teacher["routes"]["/formgrader"] != 404 and teacher["routes"]["/formgraders"] != 404, teacher["routes"]
    assert teacher["linked"] == {f"nbgrader.server_extensions.{e}" for e in
                                 ("formgrader", "course_list", "validate_assignment", "assignment_list")}


# ----------------------------------------------------------------------------- the student bundle
def test_bundle_readme_names_only_what_the_bundle_has():
    """The bundle's README: every `make X` is a target of the bundle's Makefile, every path it names
    is in the bundle, and it is not the maintainers' README."""
    readme = (ROOT / make_release.STUDENT / "README.md").read_text()
    makefile = (ROOT / make_release.STUDENT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", readme))
    assert {"lab", "check", "setup"} <= named, named
    assert named <= targets, f"README names make targets the bundle's Makefile lacks: {named - targets}"
    assert "make test" not in readme and "solutions/" not in readme and "make release" not in readme
    shipped = {d for d in make_release.bundle_files(ROOT)}
    tops = {p.split("/")[0] for p in shipped}
    for path in re.findall(r"`([A-Za-z_.-]+(?:/[A-Za-z_.-]*)*)`", readme):
        if "/" in path or path.endswith((".txt", ".toml", ".yml", ".md")) or path in {"LICENSE", "LICENSE-CONTENT"}:
            first = path.split("/")[0]
            if first in {".venv", "psNN_topic.ipynb"} or "NN" in path:
                continue  # made by make setup / a pattern
            assert first in tops or path in shipped, f"the bundle's README names {path}, which the bundle lacks"


@pytest.mark.grading
def test_bundle_unpacked_follows_its_readme(tmp_path):
    """make_release -> unzip into an empty folder -> README: make setup, make lab, make check, submit."""
    out = tmp_path / "out"
    built = subprocess.run([sys.executable, "scripts/make_release.py", str(out / "release_bundle")], cwd=ROOT,
                           capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert built.returncode == 0, built.stderr
    student = tmp_path / "student"
    student.mkdir()
    with zipfile.ZipFile(out / "release_bundle.zip") as zf:
        zf.extractall(student)
    bundle = student / "release_bundle"
    assert nbrun.tree_bytes(bundle) == nbrun.tree_bytes(out / "release_bundle"), "the zip differs from the folder"
    assert (bundle / "README.md").read_bytes() == (ROOT / make_release.STUDENT / "README.md").read_bytes()
    assert (bundle / "Makefile").read_bytes() == (ROOT / make_release.STUDENT / "Makefile").read_bytes()
    assert not {"solutions", "scripts", "tests", "nbgrader_config.py"} & {p.name for p in bundle.iterdir()}

    # README, "Set up": make setup. The .venv sees this machine's packages (a .pth file, and JupyterLab's
    # data folders linked), so pip finds each pin installed and needs no network; make does the rest.
    venv = bundle / ".venv"
    base = pathlib.Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    shared = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    own = next((venv / "lib").glob("python3*/site-packages"))
    (own / "shared-course-packages.pth").write_text(f"{shared}\n")
    (venv / "share" / "jupyter").mkdir(parents=True)
    for folder in ("lab", "labextensions", "nbextensions"):
        if (ROOT / ".venv" / "share" / "jupyter" / folder).exists():
            (venv / "share" / "jupyter" / folder).symlink_to(ROOT / ".venv" / "share" / "jupyter" / folder)
    shutil.copytree(ROOT / ".venv" / "etc" / "jupyter", venv / "etc" / "jupyter")
    before = _shared_venv_files()
    env = _clean_env(HOME=str(tmp_path / "home"), PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",
                     PIP_DISABLE_PIP_VERSION_CHECK="1")
    setup = subprocess.run(["make", "setup"], cwd=bundle, env=env, capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert _shared_venv_files() == before, "the bundle's set-up changed the shared .venv"
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import unlearnkit; print(unlearnkit.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert where.stdout.strip() == str(bundle / "unlearnkit" / "__init__.py"), where.stdout + where.stderr
    kernel = json.loads((venv / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(venv / "bin" / "python"), kernel["argv"]

    # README, "Set up and start": make lab gives the student's JupyterLab
    port = _free_port()
    with serving(["make", "lab", f"LAB_PORT={port}"], bundle, env, port) as (url, log):
        state = lab_state(url, log())
    assert_student_lab(state)

    # README, "Check your answers": make check PS=..., on the untouched and on a solved problem set
    exercise = bundle / "exercises" / README_PS / f"{README_PS}.ipynb"
    untouched = subprocess.run(["make", "check", f"PS={README_PS}"], cwd=bundle, env=env, capture_output=True,
                               text=True, timeout=600)
    assert "NotImplementedError" in untouched.stdout and "Success!" not in untouched.stdout, untouched.stdout[-2000:]
    release = nbformat.read(exercise, as_version=4)
    source = nbformat.read(ROOT / "solutions" / README_PS / f"{README_PS}.ipynb", as_version=4)
    nbformat.write(nbrun.splice_solutions(release, source, nbrun.code_stub_lines(ROOT)), exercise)
    solved = subprocess.run(["make", "check", f"PS={README_PS}"], cwd=bundle, env=env, capture_output=True,
                            text=True, timeout=600)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout[-3000:] + solved.stderr
    # README, "Submit": the file to hand in is where it says, under the name nbgrader expects
    for name in nbrun.problem_sets(bundle, "exercises"):
        assert (bundle / "exercises" / name / f"{name}.ipynb").is_file()
    nameless = subprocess.run(["make", "check"], cwd=bundle, env=env, capture_output=True, text=True)
    assert nameless.returncode != 0 and README_PS in nameless.stdout, nameless.stdout


@pytest.mark.grading
def test_release_refuses_what_must_not_reach_students(tmp_path):
    """make_release refuses outside a git checkout, a lecture with outputs, an exercise that is not
    nbgrader's release, and leaves out (and lists) files git does not track."""
    course = tmp_path / "course"
    for rel in (*make_release.REQUIRED, "nbgrader_config.py", "scripts/nbgrader_plugins.py",
                "scripts/make_exercises.py"):
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, course / rel)
    write_toy(course)
    subprocess.run([sys.executable, "scripts/make_exercises.py", TOY], cwd=course, check=True, capture_output=True,
                   env=_clean_env())
    lecture = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    (course / "lectures").mkdir()
    nbformat.write(lecture, course / "lectures" / "01_demo.ipynb")
    with pytest.raises(RuntimeError, match="not a git checkout"):
        make_release.build(tmp_path / "b1", root=course)
    subprocess.run(["git", "init", "-q"], cwd=course, check=True)
    subprocess.run(["git", "add", "."], cwd=course, check=True)
    (course / "lectures" / "my_scratch.ipynb").write_text("{}")  # untracked: left out
    dest = make_release.build(tmp_path / "b2", root=course)
    assert (dest / "lectures" / "01_demo.ipynb").exists() and not (dest / "lectures" / "my_scratch.ipynb").exists()
    assert make_release.left_out(course) == ["lectures/my_scratch.ipynb"]

    lecture.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    lecture.cells[0].execution_count = 1
    nbformat.write(lecture, course / "lectures" / "01_demo.ipynb")
    with pytest.raises(RuntimeError, match=r"lectures/01_demo.ipynb: cells \[0\] hold outputs"):
        make_release.build(tmp_path / "b3", root=course)
    lecture.cells[0].outputs, lecture.cells[0].execution_count = [], None
    lecture.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(lecture, course / "lectures" / "01_demo.ipynb")
    with pytest.raises(RuntimeError, match="saved widget state"):
        make_release.build(tmp_path / "b4", root=course)
    del lecture.metadata["widgets"]
    nbformat.write(lecture, course / "lectures" / "01_demo.ipynb")

    # the source changed after the release was generated: exercises/ is stale
    src = course / "solutions" / TOY / f"{TOY}.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source += "\nOne more sentence."
    nbformat.write(nb, src)
    with pytest.raises(RuntimeError, match=f"exercises/{TOY}/{TOY}.ipynb: differs from what nbgrader generates"):
        make_release.build(tmp_path / "b5", root=course)
    assert not any((tmp_path / f"b{i}").exists() for i in (1, 3, 4, 5))


# ----------------------------------------------------------------------------- a shared server
@pytest.mark.grading
def test_shared_server_two_students_through_an_exchange(tmp_path):
    """README, "A shared server": release, fetch, submit, collect, autograde, feedback, fetch_feedback."""
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # README: sudo mkdir -p /srv/nbgrader/exchange && sudo chmod 777 /srv/nbgrader/exchange
    course = _toy_course(tmp_path, f'c.Exchange.root = "{exchange}"\n')
    nbg = lambda *a, **k: _nbg(*a, cwd=course, **k)  # noqa: E731  (the instructor, in the course root)
    nbg("release_assignment", TOY)
    inbound = exchange / "unlearnkit" / "inbound"
    assert (exchange / "unlearnkit" / "outbound" / TOY / f"{TOY}.ipynb").is_file()
    assert inbound.stat().st_mode & 0o007 == 0o003, oct(inbound.stat().st_mode)  # others write, cannot list

    homes, answers = {}, {"alice": {"add", "mean_of"}, "bob": {"add"}}
    for student, solved in answers.items():
        home = tmp_path / f"home_{student}"
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f'c.Exchange.root = "{exchange}"\n'
            'c.CourseDirectory.course_id = "unlearnkit"\n'
            f'c.CourseDirectory.student_id = "{student}"  # one Linux user plays both students here\n')
        env = _clean_env(HOME=str(home))
        listed = _nbg("list", cwd=home, env=env)
        assert f"unlearnkit {TOY}" in listed.stdout + listed.stderr, listed.stdout + listed.stderr
        _nbg("fetch_assignment", TOY, cwd=home, env=env)
        fetched = home / TOY / f"{TOY}.ipynb"
        assert fetched.read_bytes() == (course / "exercises" / TOY / f"{TOY}.ipynb").read_bytes()
        nbformat.write(_answers(course, solved), fetched)
        _nbg("submit", TOY, cwd=home, env=env)
        homes[student] = (home, env)
    assert not (tmp_path / "home_bob" / "submitted").exists()

    nbg("collect", TOY)
    for student, solved in answers.items():
        got = nbformat.read(course / "submitted" / student / TOY / f"{TOY}.ipynb", as_version=4)
        assert got.cells == _answers(course, solved).cells, student
        assert (course / "submitted" / student / TOY / "timestamp.txt").is_file()
    nbg("autograde", TOY, "--force")
    nbg("generate_feedback", TOY, "--force")
    nbg("release_feedback", TOY)
    book = _gradebook(course)
    assert {s: b["code_score"] for s, b in book.items()} == {"alice": 5.0, "bob": 2.0}, book
    feedback = exchange / "unlearnkit" / "feedback"
    assert feedback.stat().st_mode & 0o077 == 0o011, oct(feedback.stat().st_mode)  # others pass, cannot list

    for student, (home, env) in homes.items():
        _nbg("fetch_feedback", TOY, cwd=home, env=env)
        pages = list((home / TOY / "feedback").glob(f"*/{TOY}.html"))
        assert len(pages) == 1, pages
        text = _text(pages[0])
        score = book[student]["code_score"]
        assert re.search(rf"Score:\s*{score:.1f}\s*/\s*6\.0", text), (student, text[:500])
        assert "hidden_add_check" not in text and "hidden_mean_check" not in text, "feedback shows hidden tests"


# ----------------------------------------------------------------------------- grading a class
# README's zip_collect pattern (instructor guide, "Collecting from an LMS"), checked against README below
LMS_PATTERN = (r'c.FileNameCollectorPlugin.named_regexp = '
               r'r".*/[a-z]+(?:_late)?_(?P<student_id>\d+)_\d+_(?P<file_id>ps\d\d_[a-z0-9_]+?)(?:-\d+)?\.ipynb$"')


@pytest.mark.grading
def test_lms_zip_then_parallel_grading_gives_the_sequential_grades(tmp_path):
    """README's LMS path and class recipe: five students' notebooks in an LMS zip, `nbgrader zip_collect`
    with README's pattern, then `nbgrader autograde` in one copy of the course and
    `scripts/grade_class.py --workers 2` in another: the two gradebooks must be equal, grade by grade."""
    assert LMS_PATTERN in (ROOT / "README.md").read_text(), "README's zip_collect pattern is not the one tested"
    course = _toy_course(tmp_path, LMS_PATTERN + "\n")
    # student number -> (LMS file name, answers solved); 1005 also writes a written answer and leaves
    # a stray raise above mean_of, so that cell errors and test_mean_of fails
    class_ = {"1001": ("doejane_1001_9001", {"add", "mean_of"}), "1002": ("roejohn_late_1002_9002", {"add"}),
              "1003": ("poeann_1003_9003", set()), "1004": ("leebo_1004_9004", {"mean_of"}),
              "1005": ("kimsu_1005_9005", {"add", "mean_of"})}
    archive = course / "downloaded" / TOY / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for student, (prefix, solved) in class_.items():
            nb = _answers(course, solved)
            if student == "1005":
                for cell in nb.cells:
                    if nbrun.nbg(cell).get("grade_id") == "why_empty":
                        cell.source += "\n\nIt would divide by zero."
                    if nbrun.nbg(cell).get("grade_id") == "mean_of":
                        cell.source = "raise ValueError('left in by mistake')\n" + cell.source
            suffix = "-1" if student == "1002" else ""  # a re-upload
            zf.writestr(f"{prefix}_{TOY}{suffix}.ipynb", nbformat.writes(nb))
        zf.writestr("roejohn_late_1002_9002_notes.txt", "not a notebook: skipped")
    _nbg("zip_collect", TOY, cwd=course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(class_)
    for i, student in enumerate(class_):  # submission times, as the exchange's collect writes them
        (course / "submitted" / student / TOY / "timestamp.txt").write_text(f"2026-03-0{i + 1} 12:00:00.000000 UTC")
    parallel = tmp_path / "parallel"
    shutil.copytree(course, parallel)  # points at itself: CourseDirectory.root is nbgrader_config.py's folder

    start = time.perf_counter()
    _nbg("autograde", TOY, "--force", cwd=course)
    sequential_s = time.perf_counter() - start
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "scripts/grade_class.py", TOY, "--workers", "2"], cwd=parallel,
                         capture_output=True, text=True, env=_clean_env(), timeout=600)
    parallel_s = time.perf_counter() - start
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 submissions autograded by 2 workers" in run.stdout and "5 merged" in run.stdout, run.stdout
    print(f"\n{len(class_)} toy submissions: sequential autograde {sequential_s:.1f} s, "
          f"grade_class.py --workers 2 {parallel_s:.1f} s")

    seq, par = _gradebook(course), _gradebook(parallel)
    assert set(seq) == set(class_) and par == seq, (seq, par)
    assert [seq[s]["code_score"] for s in class_] == [5.0, 2.0, 0.0, 3.0, 2.0], seq
    assert all(seq[s]["timestamp"] is not None for s in class_)
    for student in class_:  # the same executed notebooks (outputs) in autograded/
        a = nbformat.read(course / "autograded" / student / TOY / f"{TOY}.ipynb", as_version=4)
        b = nbformat.read(parallel / "autograded" / student / TOY / f"{TOY}.ipynb", as_version=4)
        assert [c.get("outputs") for c in a.cells] == [c.get("outputs") for c in b.cells], student
    log = (parallel / f"nbgrader_grade_class_{TOY}.log").read_text()
    assert log.count("===== worker") == 2 and "worker 0: 3 students (1001, 1003, 1005)" in log, log[:500]
    # the rest of README's steps run on the merged gradebook
    _nbg("generate_feedback", TOY, "--force", cwd=parallel)
    _nbg("export", cwd=parallel)
    _nbg("export", cwd=course)
    rows = lambda c: sorted((c / "grades.csv").read_text().splitlines())  # noqa: E731  (row order: insertion)
    assert rows(parallel) == rows(course)


def test_grade_class_refuses_bad_requests(tmp_path):
    with pytest.raises(ValueError, match="workers must be at least 1"):
        grade_class.split(["a"], 0)
    with pytest.raises(TypeError, match="workers must be an int"):
        grade_class.split(["a"], 2.0)
    assert grade_class.split(["a", "b", "c"], 2) == [["a", "c"], ["b"]]
    assert grade_class.split(["a"], 4) == [["a"]]
    course = nbrun.copy_course(tmp_path / "course")
    (course / "submitted" / "alice" / TOY).mkdir(parents=True)
    with pytest.raises(ValueError, match="gradebook.db does not exist: release the problem set first"):
        grade_class.grade(TOY, 2, root=course)
    with pytest.raises(ValueError, match=r"students \['bob'\] have no submission"):
        grade_class.grade(TOY, 2, root=course, students=["bob"])
    assert not (course / "autograded").exists()
