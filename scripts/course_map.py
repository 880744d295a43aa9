"""Write README.md's course map and docs/COURSE.md section 3's outline from course/manifest.toml.

Both are generated between markers; everything outside them is left alone. A ready problem set's
tasks are the "## Task N (...): title" headings of its notebook in solutions/; a planned one's come
from the manifest's ``tasks``.

    python scripts/course_map.py            # print both tables
    python scripts/course_map.py --write    # rewrite them in place (`make course-map`)
    python scripts/course_map.py --check    # exit 1, naming the file, when either is out of date

Standard library only (Python 3.11+).
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import manifest  # noqa: E402  (scripts/ is not a package)

ROOT = manifest.ROOT
README = ("README.md", "<!-- course-map:start -->", "<!-- course-map:end -->")
OUTLINE = ("docs/COURSE.md", "<!-- course-outline:start -->", "<!-- course-outline:end -->")
TASK = re.compile(r"^## Task (\d+) \(([^)]*)\)(?::\s*(.*?))?\s*$", re.M)


def task_titles(path: pathlib.Path) -> list[str]:
    """The tasks of a problem-set notebook from its "## Task N (points[, written]): title" headings."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    titles = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        for m in TASK.finditer("".join(src) if isinstance(src, list) else src):
            title = m.group(3) or ("a written answer" if "written" in m.group(2) else f"task {m.group(1)}")
            titles.append(f"(written) {title}" if "written" in m.group(2) and m.group(3) else title)
    return titles


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_table(course: manifest.Course, root: pathlib.Path = ROOT) -> str:
    """The course map for students: what exists is linked, the rest is marked planned."""
    rows = ["| NN | lecture | problem set (student version) | slides covered | time (min) |",
            "| --- | --- | --- | --- | --- |"]
    for lec in course.lectures:
        name = f"[{lec.title}](lectures/{lec.stem}.ipynb)" if lec.ready else f"{lec.title} (planned)"
        ps = (f"[{lec.problem_set}](exercises/{lec.problem_set}/{lec.problem_set}.ipynb)" if lec.problem_set_ready
              else f"ps{lec.nn} (planned)")
        work = lec.work_minutes
        time = f"{work['lecture']} + {work['problem_set']}" if work else ""
        rows.append(f"| {lec.nn} | {name} | {ps} | {_cell('; '.join(lec.slides))} | {time} |")
    rows += ["", "Time: our estimate of the minutes a student spends on the lecture + on its problem set."]
    return "\n".join(rows)


def outline_table(course: manifest.Course, root: pathlib.Path = ROOT) -> str:
    """The design's outline (docs/COURSE.md section 3), with status, tasks, specification and times."""
    m = course.measured
    rows = ["| NN | file stem | lecture | status | covers (slides) | problem set: tasks | spec | work (min) | runs (s) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for lec in course.lectures:
        if lec.problem_set_ready:
            tasks = task_titles(lec.solution(root))
            ps = f"`{lec.problem_set}`: " + "; ".join(f"{i}. {t}" for i, t in enumerate(tasks, start=1))
        else:
            ps = f"`{lec.problem_set}` (planned), to ask for: " + "; ".join(lec.tasks)
        spec = ", ".join(dict.fromkeys(ref.split(" (")[0].split(";")[0] for ref in lec.references))
        work = f"{lec.work_minutes['lecture']} + {lec.work_minutes['problem_set']}" if lec.work_minutes else ""
        run = lec.run_seconds or {}
        runs = " + ".join(f"{run[k]:.0f}" for k in ("lecture", "solution") if k in run)
        rows.append(f"| {lec.nn} | `{lec.stem}` | {_cell(lec.title)} | {lec.status} | {_cell('; '.join(lec.slides))} "
                    f"| {_cell(ps)} | [{_cell(spec)}](REFERENCES.md#{lec.anchor}) | {work} | {runs} |")
    rows += ["",
             "Generated from `course/manifest.toml` by `make course-map` (edit the manifest, not this table; a "
             "ready problem set's tasks are its notebook's task headings). Work: estimated minutes for the "
             "lecture + its problem set (the lecture's figure is the time its title cell states). Runs: headless "
             "wall time of the lecture + its solution notebook, measured with "
             f"`{m['command']}` on {m['date']} at commit {m['commit']} ({m['machine']}; "
             f"{m['total_seconds']:.0f} s for the whole course)."]
    return "\n".join(rows)


def _regions(root: pathlib.Path) -> list[tuple[pathlib.Path, str, str, str]]:
    course = manifest.load(root=root)
    return [(root / README[0], README[1], README[2], readme_table(course, root)),
            (root / OUTLINE[0], OUTLINE[1], OUTLINE[2], outline_table(course, root))]


def _replace(path: pathlib.Path, start: str, end: str, body: str) -> tuple[str, str]:
    """(old text, new text) of ``path`` with the region between the markers replaced by ``body``."""
    text = path.read_text(encoding="utf-8")
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"{path}: expected the markers {start} and {end} once each, in that order, "
                         f"around the generated table")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return text, f"{head}{start}\n{body}\n{end}{tail}"


def stale(root: pathlib.Path = ROOT) -> list[str]:
    """The files whose generated region differs from what the manifest gives (relative paths)."""
    out = []
    for path, start, end, body in _regions(root):
        old, new = _replace(path, start, end, body)
        if old != new:
            out.append(path.relative_to(root).as_posix())
    return out


def write(root: pathlib.Path = ROOT) -> list[str]:
    """Rewrite both generated regions; return the files that changed."""
    changed = []
    for path, start, end, body in _regions(root):
        old, new = _replace(path, start, end, body)
        if old != new:
            path.write_text(new, encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    return changed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if "--write" in argv:
            changed = write()
            print("updated: " + ", ".join(changed) if changed else "README.md and docs/COURSE.md already up to date")
        elif "--check" in argv:
            out = stale()
            if out:
                print("out of date with course/manifest.toml (run `make course-map`): " + ", ".join(out),
                      file=sys.stderr)
                return 1
            print("README.md and docs/COURSE.md match course/manifest.toml")
        else:
            for _, _, _, body in _regions(ROOT):
                print(body, end="\n\n")
    except ValueError as e:  # ManifestError, or a file without its markers
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
