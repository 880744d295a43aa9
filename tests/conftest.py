"""Shared test settings and fixtures.

- Progress bars off, CPU device, and one torch/BLAS thread per pytest-xdist worker (so two workers
  on two cores do not fight over them); notebook kernels inherit this environment.
- ``runs``: a per-worker cache of notebook executions, so a solution notebook executed by
  tests/test_notebooks.py is reused by the grading checks in tests/test_grading.py.
- With pytest-xdist (``-n 2``), a scheduler that sends every test of one notebook or problem set
  (parameter id ``NN_topic`` or ``psNN_topic``) to the same worker, so that the cache is shared,
  and the heaviest groups first. (xdist's own ``--dist loadgroup`` does this through the
  ``xdist_group`` mark, but silently stops grouping with pytest 9.2: pytest-xdist issue #1386.)
- At the end of the run, a table of every notebook's wall time against its budget.
"""
from __future__ import annotations

import os
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("UNLEARNKIT_DEVICE", "cpu")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet debugger warning in kernels
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
if _workers > 1:
    _threads = str(max(1, (os.cpu_count() or 1) // _workers))
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, _threads)


class RunCache:
    """Executions keyed by a name, computed once per worker."""

    def __init__(self):
        self._done = {}

    def get(self, key, make):
        if key not in self._done:
            self._done[key] = make()
        return self._done[key]


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a test module's torch work on one thread, restoring the caller's setting afterwards.

    Tiny models train fastest on one thread (two workers share two cores); bitwise comparisons in a
    module always compare runs made with the same thread count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def runs():
    return RunCache()


_GROUP = re.compile(r"\[((?:ps)?\d\d_[A-Za-z0-9_]+)\]$")
_TOY = re.compile(r"test_grading\.py::test_(toy|hanging)")


def notebook_group(nodeid: str) -> str:
    """The scheduling group of a test: its notebook or problem set, "toy", or the test itself."""
    m = _GROUP.search(nodeid)
    if m:
        return m.group(1)
    return "toy" if _TOY.search(nodeid) else nodeid


class _NotebookSchedulerPlugin:
    """Registered only when pytest-xdist is active (its hook is unknown otherwise)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        if config.getoption("dist") != "load":
            return None  # an explicit --dist choice wins
        from xdist.scheduler import LoadScopeScheduling

        class NotebookScheduling(LoadScopeScheduling):
            """LoadScope with one scope per notebook / problem set (bigger groups are sent first)."""

            def _split_scope(self, nodeid):
                return notebook_group(nodeid)

        return NotebookScheduling(config, log)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_NotebookSchedulerPlugin(), "unlearnkit-notebook-scheduler")


def pytest_collection_modifyitems(items):
    """Executions first (lectures are the longest single tests), library unit tests after."""
    heavy = lambda item: 0 if item.get_closest_marker("notebook") or item.get_closest_marker("grading") else 1
    items.sort(key=heavy)  # stable: keeps the order within each kind


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's wall time (recorded by tests as the user property "wall_s")."""
    rows = []
    for reports in terminalreporter.stats.values():
        for rep in reports:
            props = dict(getattr(rep, "user_properties", ()) or ())
            if getattr(rep, "when", None) == "call" and "wall_s" in props:
                rows.append((props["notebook"], props["wall_s"], props["budget_s"]))
    if not rows:
        return
    terminalreporter.section("notebook wall times (headless, this machine)")
    total = 0.0
    for name, wall, budget in sorted(set(rows)):
        total += wall
        flag = "  OVER BUDGET" if wall > budget else ""
        terminalreporter.write_line(f"{wall:7.1f} s  (budget {budget:4.0f} s)  {name}{flag}")
    terminalreporter.write_line(f"{total:7.1f} s  in all (budget for the course 600 s)")
