"""Execute course notebooks and drive nbgrader: the machinery shared by the tests and the benchmark.

Nothing here is needed to study the course. The test suite (``tests/test_notebooks.py``,
``tests/test_grading.py``) and ``scripts/benchmark.py`` import it; a maintainer can use it to check
one problem set by hand::

    python scripts/nbrun.py lectures/02_exact_unlearning.ipynb     # execute, print wall time

Conventions it relies on (COURSE.md sections 1 and 4): lectures are ``lectures/NN_topic.ipynb``;
problem sets are ``solutions/psNN_topic/psNN_topic.ipynb`` (flat folder, notebook only) with their
nbgrader release in ``exercises/psNN_topic/``.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL = "python3"

# Budgets of COURSE.md section 5, in seconds of headless execution on 2 CPU cores.
LECTURE_BUDGET_S = 60.0
SOLUTION_BUDGET_S = 30.0
COURSE_BUDGET_S = 600.0

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


# ----------------------------------------------------------------------------- discovery
def lectures(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Lecture notebooks ``lectures/*.ipynb`` in name order."""
    return sorted((root / "lectures").glob("*.ipynb"))


def problem_sets(root: pathlib.Path = ROOT, folder: str = "solutions") -> list[str]:
    """Names of the problem sets: folders of ``folder`` holding a notebook of the same name."""
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").exists())


def all_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every committed notebook in lectures/, solutions/ and exercises/ (any depth), sorted."""
    found = []
    for top in ("lectures", "solutions", "exercises"):
        if (root / top).is_dir():
            found += [p for p in (root / top).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found)


def budget_for(path: pathlib.Path) -> float:
    """The headless execution budget (s) of a lecture or solution notebook."""
    return SOLUTION_BUDGET_S if "solutions" in pathlib.Path(path).parts else LECTURE_BUDGET_S


# ----------------------------------------------------------------------------- execution
def kernel_env(extra: dict | None = None) -> dict:
    """The environment a notebook kernel gets: this one, progress bars off, plus ``extra``."""
    env = dict(os.environ)
    env["TQDM_DISABLE"] = "1"
    # nbgrader calls helpers such as `alembic` by name: put this interpreter's bin folder first.
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


def _sliced_channel_class():
    """A kernel-client channel that waits for messages in 1 s slices.

    Seen here twice: a lecture's kernel had replied and sat idle while nbclient waited out the
    whole 600 s cell timeout and then carried on as if nothing happened (a missed wake-up of the
    asyncio ZMQ poll). Polling in short slices re-checks the socket every second.
    """
    from queue import Empty
    from time import monotonic

    from jupyter_client.channels import AsyncZMQSocketChannel

    class SlicedChannel(AsyncZMQSocketChannel):
        async def get_msg(self, timeout=None):
            deadline = None if timeout is None else monotonic() + timeout
            while True:
                left = 1.0 if deadline is None else max(0.0, min(1.0, deadline - monotonic()))
                try:
                    return await super().get_msg(timeout=left)
                except Empty:
                    if deadline is not None and monotonic() >= deadline:
                        raise

    return SlicedChannel


def _kernel_manager_class():
    """An AsyncKernelManager whose clients use the sliced channels (nbclient's kernel_manager_class)."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Type

    channel = _sliced_channel_class()

    class SlicedKernelClient(AsyncKernelClient):
        shell_channel_class = Type(channel)
        iopub_channel_class = Type(channel)

    class SlicedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.client_factory = SlicedKernelClient

    return SlicedKernelManager


@dataclass
class Run:
    """One headless execution: the executed notebook, its wall time (s) and the cells that failed."""

    path: pathlib.Path
    nb: nbformat.NotebookNode
    seconds: float
    errors: list = field(default_factory=list)  # (cell index, "Ename: value")


def execute(path, *, nb: nbformat.NotebookNode | None = None, allow_errors: bool = False,
            timeout: int = 600, cwd=None) -> Run:
    """Execute a notebook top to bottom in a fresh ``python3`` kernel and time it.

    ``nb`` (optional) is executed instead of the file's contents, still in the file's folder (or
    ``cwd``). With ``allow_errors=False`` the first failing cell raises ``CellExecutionError``.
    """
    from nbclient import NotebookClient  # imported here so discovery works without it

    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4) if nb is None else nb
    folder = pathlib.Path(cwd) if cwd is not None else path.parent
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}},
                            kernel_manager_class=_kernel_manager_class())
    start = time.perf_counter()
    client.execute(env=kernel_env())
    seconds = time.perf_counter() - start
    errors = [(i, f"{o.get('ename')}: {o.get('evalue')}")
              for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.output_type == "error"]
    return Run(path, nb, seconds, errors)


# ----------------------------------------------------------------------------- executed lectures
# The test run keeps every lecture it executed without an error here (git-ignored), outputs included;
# `make site` (scripts/build_site.py) builds the course site from these copies instead of running
# the lectures again, and executes only a lecture that is missing or whose notebook changed since.
EXECUTED = ROOT / "build" / "executed" / "lectures"


def digest(path) -> str:
    """SHA-256 of a file's bytes: which version of a notebook an executed copy was made from."""
    import hashlib

    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def save_executed(run: Run, folder: pathlib.Path | None = None) -> pathlib.Path | None:
    """Keep the executed copy of a lecture (``lectures/NN_topic.ipynb`` only) for the course site.

    Writes ``<folder>/NN_topic.ipynb`` (default :data:`EXECUTED`) with the notebook's digest in its
    metadata (``unlearnkit_executed``), atomically. A run with a failing cell, or of anything but a
    lecture (a solution notebook must never reach the site), writes nothing, and a failed run removes
    an older copy of the same lecture. Returns the path written, or None.
    """
    import copy

    path = pathlib.Path(run.path).resolve()
    if path.parent != (ROOT / "lectures").resolve() or path.suffix != ".ipynb":
        return None
    folder = pathlib.Path(folder) if folder is not None else EXECUTED
    target = folder / path.name
    if run.errors:
        target.unlink(missing_ok=True)
        return None
    nb = copy.deepcopy(run.nb)
    nb.metadata["unlearnkit_executed"] = {"source_sha256": digest(path), "seconds": round(run.seconds, 1)}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, target)
    return target


def executed_copy(path, folder: pathlib.Path | None = None) -> pathlib.Path | None:
    """The saved executed copy of lecture ``path`` if it was made from the notebook as it is now."""
    path = pathlib.Path(path)
    saved = (pathlib.Path(folder) if folder is not None else EXECUTED) / path.name
    if not saved.exists():
        return None
    meta = nbformat.read(saved, as_version=4).metadata.get("unlearnkit_executed", {})
    return saved if meta.get("source_sha256") == digest(path) else None


def cell_seconds(nb) -> list[tuple[float, int, str]]:
    """(seconds, cell index, first line) of each executed code cell, slowest first.

    Read from the timestamps nbclient records in ``cell.metadata.execution`` (from the kernel's
    start of execution to its reply).
    """
    from datetime import datetime

    out = []
    for i, cell in enumerate(nb.cells):
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            secs = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                    - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            out.append((secs, i, (cell.source.strip().splitlines() or [""])[0][:60]))
    return sorted(out, reverse=True)


def stderr_text(cell) -> str:
    """Everything a code cell wrote to stderr."""
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.get("name") == "stderr")


def error_text(cell) -> str:
    """The error a code cell raised ("" if none)."""
    return "".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                   if o.output_type == "error")


def has_execute_result(cell) -> bool:
    return any(o.output_type == "execute_result" for o in cell.get("outputs", []))


# ----------------------------------------------------------------------------- nbgrader cells
def nbg(cell) -> dict:
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(nbg(cell).get("grade")) and not nbg(cell).get("solution")


def is_answer_cell(cell) -> bool:
    return bool(nbg(cell).get("solution"))


def test_cells(nb) -> list[tuple[int, object]]:
    """(index, cell) of every autograded test cell."""
    return [(i, c) for i, c in enumerate(nb.cells) if is_test_cell(c)]


def _regions(text: str, begin: str, end: str) -> list[tuple[int, int, str]]:
    """(begin line, end line, indentation) of each ``begin``/``end`` region of ``text``."""
    lines, out, start = text.splitlines(), [], None
    for i, line in enumerate(lines):
        if line.strip() == begin:
            start = i
        elif line.strip() == end and start is not None:
            out.append((start, i, lines[start][: len(lines[start]) - len(lines[start].lstrip())]))
            start = None
    return out


def splice_solutions(release, source, stub_lines: list[str]):
    """The release notebook with each stub replaced by the source's solution code (a copy).

    Matches answer cells by ``grade_id``; inside a cell, the k-th stub (the configured code stub,
    indented like its ``### BEGIN SOLUTION``) receives the body of the k-th solution region. Text
    around the stub is kept from the *release*, so a stub that drifted from its solution shows up
    when the spliced notebook runs. Written (markdown) answers get the source's text.
    """
    release = nbformat.from_dict(release)
    by_id = {nbg(c).get("grade_id"): c for c in source.cells if is_answer_cell(c)}
    for cell in release.cells:
        if not is_answer_cell(cell):
            continue
        src = by_id.get(nbg(cell).get("grade_id"))
        if src is None:
            raise KeyError(f"release answer cell {nbg(cell).get('grade_id')!r} has no source cell")
        if cell.cell_type == "markdown":
            cell.source = src.source
            continue
        src_lines = src.source.splitlines()
        bodies = [(src_lines[a + 1:b], ind) for a, b, ind in _regions(src.source, BEGIN_SOLUTION, END_SOLUTION)]
        lines, out, i, k = cell.source.splitlines(), [], 0, 0
        while i < len(lines):
            if k < len(bodies):
                body, ind = bodies[k]
                stub = [ind + s if s else s for s in stub_lines]
                if lines[i:i + len(stub)] == stub:
                    out += body
                    i += len(stub)
                    k += 1
                    continue
            out.append(lines[i])
            i += 1
        if k != len(bodies):
            raise ValueError(f"answer cell {nbg(cell).get('grade_id')!r}: found {k} stubs for "
                             f"{len(bodies)} solution regions")
        cell.source = "\n".join(out)
    return release


def code_stub_lines(root: pathlib.Path = ROOT) -> list[str]:
    """The Python code stub that nbgrader_config.py gives ClearSolutions, as lines."""
    from nbgrader.preprocessors import ClearSolutions

    stub = ClearSolutions(config=load_config(root)).code_stub["python"]
    return stub.splitlines()


# ----------------------------------------------------------------------------- nbgrader
def load_config(root: pathlib.Path = ROOT):
    """nbgrader_config.py of the course at ``root``, loaded by traitlets as nbgrader loads it."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def nbgrader(*args: str, cwd, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run the ``nbgrader`` command line from the course folder ``cwd``; output captured."""
    exe = pathlib.Path(sys.executable).parent / "nbgrader"
    cmd = [str(exe) if exe.exists() else "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=timeout,
                          env=kernel_env())
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def copy_course(dst: pathlib.Path, names=(), root: pathlib.Path = ROOT) -> pathlib.Path:
    """A minimal course at ``dst``: nbgrader_config.py, the grading plug-ins it loads
    (scripts/nbgrader_plugins.py) and ``solutions/<name>`` for each name."""
    dst = pathlib.Path(dst)
    (dst / "scripts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dst / "nbgrader_config.py")
    shutil.copy2(root / "scripts" / "nbgrader_plugins.py", dst / "scripts" / "nbgrader_plugins.py")
    for name in names:
        shutil.copytree(root / "solutions" / name, dst / "solutions" / name)
    return dst


def tree_bytes(folder: pathlib.Path) -> dict[str, bytes]:
    """{relative path: bytes} of every file under ``folder``."""
    folder = pathlib.Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def solution_snippets(source) -> list[str]:
    """Lines of solution code and hidden tests that a release must never contain.

    A line counts when it is at least 12 characters long (stripped), sits inside a solution or
    hidden-test region of ``source``, and appears nowhere else in ``source``, not even as part of a
    longer line (so a line a visible test shares with the solution, or the head of a call that the
    formatter split over lines, such as ``assert torch.allclose(``, is not mistaken for a leak).
    """
    inside, outside = set(), set()
    for cell in source.cells:
        lines = cell.source.splitlines()
        marked = set()
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            for a, b, _ in _regions(cell.source, begin, end):
                marked.update(range(a, b + 1))
                inside.update(ln.strip() for ln in lines[a + 1:b])
        outside.update(ln.strip() for i, ln in enumerate(lines) if i not in marked)
    outside_text = "\n".join(outside)
    return sorted(s for s in inside - outside
                  if len(s) >= 12 and not s.startswith("#") and s not in outside_text)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        run = execute(arg)
        print(f"{arg}: {run.seconds:.1f} s (budget {budget_for(pathlib.Path(arg)):.0f} s)")
