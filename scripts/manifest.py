"""Read and check the course manifest ``course/manifest.toml``, and the prose that cites it.

The manifest is the one place that says which lectures exist ("ready") and which are "planned", with
their titles, slides, problem sets, specification sections in docs/REFERENCES.md, measured run times
and estimated working times. ``scripts/course_map.py`` generates README.md's course map and
docs/COURSE.md section 3 from it; tests/test_manifest.py checks the rest of the repository against it.

Cross-references to another lecture's status follow one convention, checked by :func:`stale_mentions`:
a mention of a *planned* lecture or problem set is written with the marker "(planned" right after it,
e.g. "lecture 05 (planned)", "lecture 06 (planned: forget and retain questions)", "ps05 (planned)";
the marker on a *ready* one is stale, and a planned one without it is stale too.

    python scripts/manifest.py            # validate, print one line per lecture
    python scripts/manifest.py --mentions # also list every stale mention of a lecture's status

Needs Python 3.11+ (``tomllib``); standard library only.
"""
from __future__ import annotations

import bisect
import json
import pathlib
import re
import sys
import tomllib
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = pathlib.Path("course") / "manifest.toml"
STATUSES = ("ready", "planned")

_NAME = r"[a-z0-9]+(?:_[a-z0-9]+)*"
_REQUIRED = {"number": int, "stem": str, "title": str, "status": str, "problem_set": str,
             "slides": list, "references": list}
_OPTIONAL = {"problem_set_status": str, "run_seconds": dict, "work_minutes": dict, "tasks": list}
_MEASURED = {"command": str, "date": str, "commit": str, "machine": str, "total_seconds": (int, float)}


class ManifestError(ValueError):
    """The manifest is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Lecture:
    """One lecture of the course and its problem set, as the manifest states them."""

    number: int
    stem: str
    title: str
    status: str
    problem_set: str
    problem_set_status: str
    slides: tuple[str, ...]
    references: tuple[str, ...]
    run_seconds: dict | None = None    # {"lecture": s, "solution": s} (ready only)
    work_minutes: dict | None = None   # {"lecture": min, "problem_set": min}
    tasks: tuple[str, ...] = ()        # planned problem sets only

    @property
    def nn(self) -> str:
        return f"{self.number:02d}"

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def problem_set_ready(self) -> bool:
        return self.problem_set_status == "ready"

    @property
    def anchor(self) -> str:
        """The id of the anchor above this lecture's first section in docs/REFERENCES.md."""
        return f"lecture-{self.nn}"

    def notebook(self, root: pathlib.Path = ROOT) -> pathlib.Path:
        return root / "lectures" / f"{self.stem}.ipynb"

    def source(self, root: pathlib.Path = ROOT) -> pathlib.Path:
        return root / "course" / "lectures" / f"{self.stem}.py"

    def solution(self, root: pathlib.Path = ROOT) -> pathlib.Path:
        return root / "solutions" / self.problem_set / f"{self.problem_set}.ipynb"

    def release(self, root: pathlib.Path = ROOT) -> pathlib.Path:
        return root / "exercises" / self.problem_set / f"{self.problem_set}.ipynb"

    def problem_set_source(self, root: pathlib.Path = ROOT) -> pathlib.Path:
        return root / "course" / "problem_sets" / f"{self.problem_set}.py"


@dataclass(frozen=True)
class Course:
    lectures: tuple[Lecture, ...]
    measured: dict

    def lecture(self, number: int | str) -> Lecture:
        """The lecture numbered ``number`` (1 or "01"); KeyError if the manifest has none."""
        n = int(number)
        for lec in self.lectures:
            if lec.number == n:
                return lec
        raise KeyError(f"the manifest has no lecture {n:02d}")

    def numbers(self) -> list[int]:
        return [lec.number for lec in self.lectures]


# ----------------------------------------------------------------------------- reading
def load(path: pathlib.Path | str | None = None, root: pathlib.Path = ROOT) -> Course:
    """Read and validate the manifest (default ``<root>/course/manifest.toml``).

    Raises:
        ManifestError: the file is missing, is not TOML, or an entry breaks a rule (the message names
            the entry and the field).
    """
    path = pathlib.Path(path) if path is not None else root / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ManifestError(f"{path}: cannot read the course manifest ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{path}: not valid TOML: {e}") from None
    return parse(data, where=str(path))


def parse(data: dict, where: str = str(MANIFEST)) -> Course:
    """Validate the manifest's parsed TOML ``data`` and return it as a :class:`Course`."""
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected a TOML table at the top level")
    unknown = sorted(set(data) - {"measured", "lecture"})
    if unknown:
        raise ManifestError(f"{where}: unknown top-level key(s) {unknown}; expected [measured] and [[lecture]]")
    measured = _measured(data.get("measured"), where)
    entries = data.get("lecture")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{where}: no [[lecture]] entries")
    lectures = tuple(_lecture(entry, i, where) for i, entry in enumerate(entries, start=1))
    numbers = [lec.number for lec in lectures]
    if numbers != list(range(1, len(lectures) + 1)):
        raise ManifestError(f"{where}: field 'number' must run 1, 2, ... in order without gaps; got {numbers}")
    for field in ("stem", "problem_set"):
        values = [getattr(lec, field) for lec in lectures]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ManifestError(f"{where}: field '{field}' repeats {dupes}")
    return Course(lectures=lectures, measured=measured)


def _measured(table, where: str) -> dict:
    if not isinstance(table, dict):
        raise ManifestError(f"{where}: missing [measured] table (how run_seconds were measured)")
    for key, kind in _MEASURED.items():
        if key not in table:
            raise ManifestError(f"{where}, [measured]: missing field '{key}'")
        if not isinstance(table[key], kind) or isinstance(table[key], bool):
            raise ManifestError(f"{where}, [measured]: field '{key}' has the wrong type ({type(table[key]).__name__})")
    unknown = sorted(set(table) - set(_MEASURED))
    if unknown:
        raise ManifestError(f"{where}, [measured]: unknown field(s) {unknown}")
    return dict(table)


def _lecture(entry, index: int, where: str) -> Lecture:
    label = f"{where}, [[lecture]] entry {index}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{label}: expected a table")
    if isinstance(entry.get("number"), int):
        label += f" (lecture {entry['number']:02d})"

    def fail(field: str, message: str):
        raise ManifestError(f"{label}: field '{field}' {message}")

    for key, kind in _REQUIRED.items():
        if key not in entry:
            fail(key, "is missing")
        if not isinstance(entry[key], kind) or isinstance(entry[key], bool):
            fail(key, f"must be a {kind.__name__}, got {type(entry[key]).__name__} {entry[key]!r}")
    for key, kind in _OPTIONAL.items():
        if key in entry and not isinstance(entry[key], kind):
            fail(key, f"must be a {kind.__name__}, got {type(entry[key]).__name__} {entry[key]!r}")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ManifestError(f"{label}: unknown field(s) {unknown} (allowed: {sorted(set(_REQUIRED) | set(_OPTIONAL))})")

    number = entry["number"]
    if not 1 <= number <= 99:
        fail("number", f"must be 1..99, got {number}")
    nn = f"{number:02d}"
    stem = entry["stem"]
    if not re.fullmatch(rf"{nn}_{_NAME}", stem):
        fail("stem", f"must be '{nn}_topic' (lower case, underscores), got {stem!r}")
    problem_set = entry["problem_set"]
    if problem_set != f"ps{stem}":
        fail("problem_set", f"must be 'ps' + stem = {'ps' + stem!r}, got {problem_set!r}")
    title = entry["title"].strip()
    if not title or title != entry["title"]:
        fail("title", f"must be non-empty without surrounding spaces, got {entry['title']!r}")
    status = entry["status"]
    if status not in STATUSES:
        fail("status", f"must be one of {STATUSES}, got {status!r}")
    ps_status = entry.get("problem_set_status", status)
    if ps_status not in STATUSES:
        fail("problem_set_status", f"must be one of {STATUSES}, got {ps_status!r}")
    if status == "planned" and ps_status == "ready":
        fail("problem_set_status", "cannot be 'ready' while the lecture is planned")
    slides = _strings(entry["slides"], "slides", fail)
    references = _strings(entry["references"], "references", fail)

    run_seconds = entry.get("run_seconds")
    if status == "ready":
        if run_seconds is None:
            fail("run_seconds", "is missing: a ready lecture records its measured headless run time")
        wanted = {"lecture", "solution"} if ps_status == "ready" else {"lecture"}
        if set(run_seconds) != wanted:
            fail("run_seconds", f"must have exactly the keys {sorted(wanted)}, got {sorted(run_seconds)}")
        for key, value in run_seconds.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                fail("run_seconds", f"'{key}' must be a positive number of seconds, got {value!r}")
    elif run_seconds is not None:
        fail("run_seconds", "is given for a planned lecture: nothing to measure yet")

    work = entry.get("work_minutes")
    if work is None and status == "ready":
        fail("work_minutes", "is missing: a ready lecture states an estimated working time")
    if work is not None:
        if set(work) != {"lecture", "problem_set"}:
            fail("work_minutes", f"must have exactly the keys ['lecture', 'problem_set'], got {sorted(work)}")
        for key, value in work.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                fail("work_minutes", f"'{key}' must be a positive whole number of minutes, got {value!r}")

    tasks = entry.get("tasks")
    if ps_status == "planned" and not tasks:
        fail("tasks", "is missing: a planned problem set lists what it is meant to ask")
    if ps_status == "ready" and tasks is not None:
        fail("tasks", "is given for a ready problem set: its notebook's task headings are the list")
    tasks = _strings(tasks, "tasks", fail) if tasks is not None else ()

    return Lecture(number=number, stem=stem, title=title, status=status, problem_set=problem_set,
                   problem_set_status=ps_status, slides=slides, references=references,
                   run_seconds=dict(run_seconds) if run_seconds else None,
                   work_minutes=dict(work) if work else None, tasks=tasks)


def _strings(values: list, field: str, fail) -> tuple[str, ...]:
    if not values:
        fail(field, "must be a non-empty list of strings")
    for v in values:
        if not isinstance(v, str) or not v.strip():
            fail(field, f"must hold non-empty strings only, got {v!r}")
    return tuple(values)


# ----------------------------------------------------------------------------- files against the manifest
def file_problems(course: Course, root: pathlib.Path = ROOT) -> list[str]:
    """Where the files disagree with the statuses: each problem as one line naming the file."""
    problems = []

    def rel(p: pathlib.Path) -> str:
        return p.relative_to(root).as_posix()

    for lec in course.lectures:
        for path in (lec.notebook(root), lec.source(root)):
            if path.exists() != lec.ready:
                problems.append(f"{rel(path)}: {'missing' if lec.ready else 'exists'}, but the manifest says "
                                f"lecture {lec.nn} is {lec.status}")
        for path in (lec.solution(root), lec.release(root), lec.problem_set_source(root)):
            if path.exists() != lec.problem_set_ready:
                problems.append(f"{rel(path)}: {'missing' if lec.problem_set_ready else 'exists'}, but the manifest "
                                f"says problem set {lec.problem_set} is {lec.problem_set_status}")
    stems = {lec.stem for lec in course.lectures}
    sets = {lec.problem_set for lec in course.lectures}
    for p in sorted((root / "lectures").glob("*.ipynb")):
        if p.stem not in stems:
            problems.append(f"{rel(p)}: not in course/manifest.toml")
    for top in ("solutions", "exercises"):
        if (root / top).is_dir():
            for p in sorted((root / top).iterdir()):
                if p.is_dir() and p.name.startswith("ps") and p.name not in sets:
                    problems.append(f"{rel(p)}: not in course/manifest.toml")
    return problems


def reference_headings(root: pathlib.Path = ROOT) -> list[tuple[int, str]]:
    """The level-2 headings of docs/REFERENCES.md as (line number, text)."""
    lines = (root / "docs" / "REFERENCES.md").read_text(encoding="utf-8").splitlines()
    return [(i, ln[3:].strip()) for i, ln in enumerate(lines, start=1) if ln.startswith("## ")]


def reference_problems(course: Course, root: pathlib.Path = ROOT) -> list[str]:
    """Each lecture's references are headings of docs/REFERENCES.md, with its anchor right above the first;
    every level-2 heading there belongs to some lecture."""
    lines = (root / "docs" / "REFERENCES.md").read_text(encoding="utf-8").splitlines()
    headings = {text: line for line, text in reference_headings(root)}
    problems = []
    for lec in course.lectures:
        for ref in lec.references:
            if ref not in headings:
                problems.append(f"lecture {lec.nn}: references {ref!r} is not a '## ' heading of docs/REFERENCES.md")
        first = headings.get(lec.references[0])
        if first is None:
            continue
        above, i = [], first - 2
        while i >= 0 and (not lines[i].strip() or lines[i].lstrip().startswith("<a id=")):
            above.append(lines[i])
            i -= 1
        if f'<a id="{lec.anchor}"></a>' not in "".join(above):
            problems.append(f'docs/REFERENCES.md:{first}: put <a id="{lec.anchor}"></a> on the line above '
                            f"lecture {lec.nn}'s first section ({lec.references[0][:40]}...)")
    claimed = {ref for lec in course.lectures for ref in lec.references}
    for line, text in reference_headings(root):
        if text not in claimed:
            problems.append(f"docs/REFERENCES.md:{line}: section {text[:60]!r} belongs to no lecture in the manifest")
    return problems


# ----------------------------------------------------------------------------- cross-references
# A mention: "lecture 05", "Lecture 05", "lectures 06 to 08", "lectures 02 and 03", "lectures 02-04",
# "lectures 01, 02 and 04", "problem set 05", "ps05", "ps05_measuring_unlearning". A line break, with a
# comment's "#", may sit inside it (jupytext sources and wrapped docstrings break lines anywhere). A list
# of numbers only follows the plural ("lecture 04, 10 models" is one mention of lecture 04).
_WS = r"(?:[ \t]+|[ \t]*\n[ \t]*#?[ \t]*)"      # at least one space or a line break
_SEP = r"[ \t]*(?:\n[ \t]*#?[ \t]*)?"             # possibly nothing
_LIST = rf"\d\d(?:(?:{_SEP},{_SEP}(?:and{_WS})?|{_WS}and{_WS}|{_WS}to{_WS}|{_SEP}[-\u2013]{_SEP})\d\d)*"
MENTION = re.compile(
    rf"\b(?P<one>[Ll]ecture|[Pp]roblem{_WS}set){_WS}(?P<num>\d\d)(?!\d)"
    rf"|\b(?P<many>[Ll]ectures|[Pp]roblem{_WS}sets){_WS}(?P<nums>{_LIST})(?!\d)"
    rf"|\bps(?P<psnum>\d\d)(?:_{_NAME})?(?![0-9A-Za-z])")
MARKER = re.compile(rf"`?{_SEP}\(planned\b")


@dataclass(frozen=True)
class Mention:
    """One mention of lectures or problem sets by number in a scanned file."""

    where: str          # "path:line" or "path cell N line M"
    text: str           # the matched words, e.g. "lecture 05"
    numbers: tuple[int, ...]
    problem_set: bool   # a problem set (psNN, "problem set NN") rather than a lecture
    marked: bool        # followed by the "(planned" marker


def _numbers(nums: str) -> tuple[int, ...]:
    """ "06 to 08" -> (6, 7, 8); "02 and 04" -> (2, 4); "02-04" -> (2, 3, 4)."""
    out: list[int] = []
    span = False
    for token in re.findall(r"\d\d|to|-|\u2013", nums):
        if token in ("to", "-", "\u2013"):
            span = True
        elif span and out:
            out.extend(range(out[-1] + 1, int(token) + 1))
            span = False
        else:
            out.append(int(token))
    return tuple(out)


def scan_text(text: str, label) -> list[Mention]:
    """Mentions in ``text``; ``label(offset)`` names where one starts ("path:line")."""
    found = []
    for m in MENTION.finditer(text):
        if m.group("psnum"):
            numbers, is_ps = (int(m.group("psnum")),), True
        elif m.group("num"):
            numbers, is_ps = (int(m.group("num")),), m.group("one").lower().startswith("problem")
        else:
            numbers, is_ps = _numbers(m.group("nums")), m.group("many").lower().startswith("problem")
        found.append(Mention(where=label(m.start()), text=re.sub(r"[\s#]+", " ", m.group(0)), numbers=numbers,
                             problem_set=is_ps, marked=bool(MARKER.match(text, m.end()))))
    return found


def _labeller(text: str, where: str):
    """offset -> ``where`` with "{line}" replaced by the 1-based line of ``text``."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def label(offset: int) -> str:
        return where.replace("{line}", str(bisect.bisect_right(starts, offset)))
    return label


def scanned_files(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """The files whose prose may mention another lecture's status."""
    files = sorted((root / "lectures").glob("*.ipynb")) + sorted((root / "solutions").glob("*/*.ipynb"))
    files += sorted((root / "course").rglob("*.py")) + sorted((root / "unlearnkit").rglob("*.py"))
    files += [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    return [f for f in files if f.is_file() and ".ipynb_checkpoints" not in f.parts]


def owner(path: pathlib.Path, root: pathlib.Path = ROOT) -> int | None:
    """The lecture a file belongs to (it may name its own lecture freely), or None: lectures/NN_*.ipynb,
    solutions/psNN_*/*.ipynb, course/lectures/NN_*.py, course/problem_sets/psNN_*.py."""
    parts = path.relative_to(root).parts
    if parts[0] not in ("lectures", "solutions", "course"):
        return None
    m = re.match(r"(?:ps)?(\d\d)_", path.name)
    return int(m.group(1)) if m else None


def mentions(root: pathlib.Path = ROOT) -> list[tuple[pathlib.Path, Mention]]:
    """Every mention of a lecture or problem set by number in :func:`scanned_files`.

    Headings of docs/REFERENCES.md are skipped: they say which lecture a specification section is for,
    and the manifest's ``references`` are checked against them instead (:func:`reference_problems`)."""
    out = []
    for path in scanned_files(root):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            for i, cell in enumerate(nb.get("cells", [])):
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else src
                out += [(path, m) for m in scan_text(src, _labeller(src, f"{rel} cell {i} line {{line}}"))]
            continue
        text = path.read_text(encoding="utf-8")
        if rel == "docs/REFERENCES.md":
            text = re.sub(r"(?m)^#.*$", lambda h: " " * len(h.group(0)), text)
        out += [(path, m) for m in scan_text(text, _labeller(text, f"{rel}:{{line}}"))]
    return out


def stale_mentions(course: Course, root: pathlib.Path = ROOT) -> list[str]:
    """Mentions that disagree with the manifest, one line each ("path:line: 'text': why").

    Rules: a mention marked "(planned" must name planned lectures (problem sets) only; a mention of a
    planned lecture (problem set) must carry the marker; a number the manifest lacks is an error. A
    lecture's own files (its notebook, problem set and their sources) may name it freely."""
    problems = []
    numbers = set(course.numbers())
    for path, m in mentions(root):
        own = owner(path, root)
        for n in m.numbers:
            if n == own:
                continue
            what = "problem set" if m.problem_set else "lecture"
            if n not in numbers:
                problems.append(f"{m.where}: {m.text!r}: the manifest has no {what} {n:02d}")
                continue
            lec = course.lecture(n)
            planned = (lec.problem_set_status if m.problem_set else lec.status) == "planned"
            if m.marked and not planned:
                problems.append(f"{m.where}: {m.text!r} is marked planned, but {what} {n:02d} is ready: "
                                f"drop the marker and check what the sentence claims")
            elif planned and not m.marked:
                problems.append(f"{m.where}: {m.text!r}: {what} {n:02d} is planned; write "
                                f"'{'ps' if m.problem_set else 'lecture '}{n:02d} (planned)' or reword")
    return problems


# ----------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        course = load()
    except ManifestError as e:
        print(e, file=sys.stderr)
        return 1
    for lec in course.lectures:
        run = lec.run_seconds or {}
        print(f"{lec.nn}  {lec.status:8s} {lec.stem:30s} {lec.title}"
              + (f"  (runs {run['lecture']:.0f} s" + (f" + {run['solution']:.0f} s" if "solution" in run else "") + ")"
                 if run else ""))
    problems = file_problems(course) + reference_problems(course)
    if "--mentions" in argv:
        problems += stale_mentions(course)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
