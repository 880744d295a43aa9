"""Re-measure the course's numbers (``make benchmark``).

1. Executes every lecture and problem-set solution headless (fresh python3 kernel, TQDM_DISABLE=1,
   the notebook's folder as working directory) and prints its wall time beside its budget
   (COURSE.md section 5: lecture <= 60 s, solution <= 30 s, whole course < 10 min).
2. Runs every ``scripts/bench_*.py`` that defines ``main()``, in name order: topic benchmarks
   (SISA speed-up against 3RS/(2R+1), accuracy against S, ...) live there and print their own tables.

Usage::

    python scripts/benchmark.py                 # everything
    python scripts/benchmark.py --notebooks     # only the notebook timings
    python scripts/benchmark.py --topics sisa   # only scripts/bench_sisa.py
    python scripts/benchmark.py lectures/02_exact_unlearning.ipynb   # chosen notebooks

To add a topic benchmark, write ``scripts/bench_<topic>.py`` with a ``main()`` that prints what it
measured (and computes it: never print a number the code did not measure).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import sys
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nbrun  # noqa: E402

ROOT = nbrun.ROOT


def course_notebooks() -> list[pathlib.Path]:
    """Lectures, then solution notebooks, as the tests find them."""
    return nbrun.lectures() + [ROOT / "solutions" / n / f"{n}.ipynb" for n in nbrun.problem_sets()]


def time_notebooks(paths) -> int:
    """Execute and time each notebook; print a table; return the number that failed."""
    rows, failed = [], 0
    print(f"{'notebook':<58} {'wall s':>7} {'budget s':>9}  verdict")
    for path in paths:
        path = pathlib.Path(path).resolve()
        name = path.relative_to(ROOT).as_posix()
        try:
            run = nbrun.execute(path, allow_errors=True)
            seconds, error = run.seconds, (run.errors[0][1] if run.errors else "")
        except Exception as exc:  # a kernel that died, a timeout
            seconds, error = float("nan"), f"{type(exc).__name__}: {exc}"
        budget = nbrun.budget_for(path)
        verdict = f"ERROR {error[:60]}" if error else ("over budget" if seconds > budget else "ok")
        failed += bool(error)
        rows.append(seconds)
        print(f"{name:<58} {seconds:7.1f} {budget:9.0f}  {verdict}", flush=True)
    total = sum(s for s in rows if s == s)
    print(f"{'whole course':<58} {total:7.1f} {nbrun.COURSE_BUDGET_S:9.0f}  "
          f"{'ok' if total <= nbrun.COURSE_BUDGET_S else 'over budget'}")
    print(f"(threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, cpus={os.cpu_count()})")
    return failed


def topic_scripts(only=None) -> list[pathlib.Path]:
    """``scripts/bench_*.py`` files, optionally only the topics named in ``only``."""
    found = sorted((ROOT / "scripts").glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem[len("bench_"):] in only]
    return found


def run_topics(paths) -> int:
    """Import each script and call its ``main()``; return the number that failed."""
    failed = 0
    for path in paths:
        print(f"\n== {path.name} ==", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        start = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            if not callable(getattr(module, "main", None)):
                print(f"skipped: {path.name} defines no main()")
                continue
            saved, sys.argv = sys.argv, [str(path)]  # main() parses no options of ours
            try:
                module.main()
            finally:
                sys.argv = saved
        except SystemExit as exc:
            failed += bool(exc.code)
        except Exception:
            traceback.print_exc()
            failed += 1
        print(f"({path.name}: {time.perf_counter() - start:.1f} s)")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: the whole course)")
    parser.add_argument("--notebooks", dest="only_notebooks", action="store_true", help="skip topic benchmarks")
    parser.add_argument("--topics", nargs="*", default=None, help="only these topic benchmarks (bench_<topic>.py)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TQDM_DISABLE", "1")
    failed = 0
    if args.topics is None or args.notebooks:
        paths = args.notebooks or course_notebooks()
        if paths:
            failed += time_notebooks(paths)
        else:
            print("no notebooks yet")
    if not args.only_notebooks and not args.notebooks:
        failed += run_topics(topic_scripts(args.topics))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
