"""The written conventions (docs/COURSE.md sections 2 and 3), checked on what exists. Fast: notebooks
are read as JSON and the library as source text (nothing is executed or imported).

- Lectures (lectures/*.ipynb): a title cell "# Lecture NN: <manifest title>" with 3 to 5 goals under
  "**You will learn to**", **Prerequisites**, **Slides** and "**Time**: about N minutes" (N = the
  manifest's work_minutes.lecture); a setup cell right after it with imports, SEED, DEVICE and the
  plot style only; 3 to 6 numbered sections "## 1. ..."; "Check your understanding" with collapsible
  (<details>) answers; at least one ipywidgets widget whose function was also called above it (the
  static figure); "## What we measured" with no typed number, printed by a code cell; "## References"
  last, every entry with a year and a link.
- Problem sets (solutions/*/*.ipynb): a title cell "# Problem set NN · <manifest title>"; 3 to 6
  autograded test cells and at least one written (manually graded) answer; the visible part of every
  test cell (all of it above "### BEGIN HIDDEN TESTS") ends with print("visible tests passed..."), a
  message that starts with those words (it may go on to say what was checked).
- Library: every public function and class (in the ``__all__`` of ``unlearnkit`` and of its public
  modules) says "Introduced in lecture NN." in its own docstring, NN a lecture of the manifest, and the
  first ready lecture whose code uses it when one does.

KNOWN lists the deviations found when these checks were written, for the lead to fix in the notebook
sources (course/) and the library. A listed deviation that is fixed fails the test too (strike it from
KNOWN), so the list only shrinks.
"""
from __future__ import annotations

import ast
import functools
import json
import pathlib
import re
import warnings

import pytest

import manifest

ROOT = manifest.ROOT
COURSE = manifest.load()
VISIBLE_PASSED = "visible tests passed"  # how the last print of a visible test part starts
HIDDEN = "### BEGIN HIDDEN TESTS"

# (notebook stem or "library", rule) -> what deviates. Remove an entry once it is fixed.
KNOWN = {
    ("07_in_context_unlearning", "title"): 'title cell reads "# 07 · ...", not "# Lecture 07: ..."',
    ("07_in_context_unlearning", "references"): "the nanoGPT entry has no year",
    ("ps02_exact_unlearning", "title"): 'problem-set title "Exact unlearning: summation form and SISA" differs '
                                        "from the lecture's",
    ("ps03_auditing_and_forging", "title"): 'problem-set title "Auditing and forging" differs from the lecture\'s',
}
# Public functions and classes whose docstring does not say "Introduced in lecture NN." (most rely on
# their module's docstring, which names one lecture for the whole module). Remove a name once fixed.
KNOWN_UNDATED: set[str] = set()


def _read(path: pathlib.Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        src = c.get("source", "")
        c["source"] = "".join(src) if isinstance(src, list) else src
    return cells


def _ratchet(name: str, problems: dict[str, list[str]]):
    """Fail on a deviation KNOWN does not list, and on a KNOWN one that is gone."""
    new = {rule: msgs for rule, msgs in problems.items() if msgs and (name, rule) not in KNOWN}
    fixed = [rule for (nb, rule) in KNOWN if nb == name and not problems.get(rule)]
    lines = [f"{name}: [{rule}] {m}" for rule, msgs in new.items() for m in msgs]
    assert not lines, "convention broken (docs/COURSE.md section 3):\n" + "\n".join(lines)
    assert not fixed, f"{name}: fixed, strike from KNOWN in tests/test_conventions.py: {fixed}"


def _parse(source: str) -> ast.Module:
    """Parse notebook code quietly (an invalid escape warns at parse time; not this test's business)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _lecture_of(stem: str):
    m = re.match(r"(?:ps)?(\d\d)_", stem)
    try:
        return COURSE.lecture(int(m.group(1))) if m else None
    except KeyError:
        return None


# ----------------------------------------------------------------------------- lectures
def _markdown(cells) -> list[tuple[int, str]]:
    return [(i, c["source"]) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def _headings(cells, level: int = 2) -> list[tuple[int, str]]:
    """(cell index, heading text) of the markdown headings of one level, in order."""
    mark = "#" * level + " "
    return [(i, line[len(mark):].strip()) for i, src in _markdown(cells) for line in src.splitlines()
            if line.startswith(mark)]


def title_problems(cells, stem: str) -> list[str]:
    lec = _lecture_of(stem)
    if lec is None:
        return [f"{stem} is not in course/manifest.toml"]
    if not cells or cells[0]["cell_type"] != "markdown":
        return ["the first cell is not the markdown title cell"]
    text, out = cells[0]["source"], []
    first = text.splitlines()[0] if text else ""
    if first != f"# Lecture {lec.nn}: {lec.title}":
        out.append(f"first line {first!r}, want {'# Lecture ' + lec.nn + ': ' + lec.title!r} (manifest title)")
    goals = re.search(r"\*\*You will learn to:?\*\*:?\s*\n((?:\s*\d+\..*\n?(?:[ \t]+\S.*\n?)*)+)", text)
    n_goals = len(re.findall(r"(?m)^\d+\. ", goals.group(1))) if goals else 0
    if not 3 <= n_goals <= 5:
        out.append(f"{n_goals} numbered goals under **You will learn to** (want 3 to 5)")
    for label in ("Prerequisites", "Slides"):
        if not re.search(rf"\*\*{label}:?\*\*", text):
            out.append(f"no **{label}** in the title cell")
    time = re.search(r"\*\*Time:?\*\*:?\s*about (\d+) minutes", text)
    if not time:
        out.append('no "**Time**: about N minutes" in the title cell')
    elif lec.work_minutes and int(time.group(1)) != lec.work_minutes["lecture"]:
        out.append(f"title cell says {time.group(1)} minutes, the manifest's work_minutes.lecture is "
                   f"{lec.work_minutes['lecture']}")
    return out


_SETUP_CALLS = {"viz.use_style", "torch.set_num_threads"}


def setup_problems(cells) -> list[str]:
    """Cell 1 is the setup cell: imports, SEED = <int>, DEVICE = unlearnkit.device(), viz.use_style()."""
    if len(cells) < 2 or cells[1]["cell_type"] != "code":
        return ["the cell after the title is not the setup code cell"]
    tree = _parse(cells[1]["source"])
    seen, out = set(), []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in ("SEED", "DEVICE")):
            name, value = node.targets[0].id, ast.unparse(node.value)
            ok = (isinstance(node.value, ast.Constant) and type(node.value.value) is int) if name == "SEED" \
                else value == "unlearnkit.device()"
            if ok:
                seen.add(name)
                continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = ast.unparse(node.value.func)
            if func in _SETUP_CALLS:
                seen.add(func)
                continue
        out.append(f"setup cell line {node.lineno} does more than imports, seed, device and style: "
                   f"{ast.unparse(node)[:60]!r}")
    for need in ("SEED", "DEVICE", "viz.use_style"):
        if need not in seen:
            out.append(f"setup cell lacks {need}" + (" = ..." if need.isupper() else "()"))
    return out


def section_problems(cells) -> list[str]:
    numbers = [int(m.group(1)) for _, h in _headings(cells) if (m := re.match(r"(\d+)\. ", h))]
    if numbers != list(range(1, len(numbers) + 1)):
        return [f'numbered sections "## N. ..." run {numbers}, not 1, 2, ...']
    if not 3 <= len(numbers) <= 6:
        return [f"{len(numbers)} numbered sections (want 3 to 6)"]
    return []


def understanding_problems(cells) -> list[str]:
    marks = [i for i, src in _markdown(cells)
             if re.search(r"(?m)^(## |\*\*)Check your understanding", src)]
    if not marks:
        return ['no "Check your understanding" (a "## " heading or a bold line)']
    if not any("<details>" in src for i, src in _markdown(cells) if i >= marks[0]):
        return ['no collapsible answer (<details>) after "Check your understanding"']
    return []


def _calls(node) -> set[str]:
    return {ast.unparse(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}


def widget_problems(cells) -> list[str]:
    """At least one widgets.interact(f, ...); f (or what it calls) is also called at top level above it."""
    defs: dict[str, ast.AST] = {}
    called: set[str] = set()          # called by top-level statements so far
    found, out = 0, []
    for i, c in enumerate(cells):
        if c["cell_type"] != "code":
            continue
        try:
            tree = _parse(c["source"])
        except SyntaxError:
            continue
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                defs[stmt.name] = stmt
                continue
            for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
                if ast.unparse(call.func).split(".")[-1] not in ("interact", "interactive", "interact_manual"):
                    continue
                found += 1
                target = call.args[0] if call.args else None
                names = ({target.id} if isinstance(target, ast.Name) else _calls(target) if target else set())
                for name in list(names):
                    if name in defs:
                        names |= _calls(defs[name])
                if not names & called:
                    out.append(f"cell {i}: the widget's function ({', '.join(sorted(names)) or '?'}) is not "
                               f"called above it, so there is no static figure for readers without a kernel")
            called |= _calls(stmt)
    if not found:
        out.append("no ipywidgets widget (widgets.interact)")
    return out


def measured_problems(cells) -> list[str]:
    heads = _headings(cells)
    at = [i for i, h in heads if h.lower() == "what we measured"]
    if not at:
        return ['no "## What we measured" section']
    start = at[0]
    following = [i for i, _ in heads if i > start]
    end = following[0] if following else len(cells)
    text = cells[start]["source"].split("## What we measured", 1)[1]
    if end == start:  # the next heading is in the same cell
        text = text.split("\n## ", 1)[0]
    else:
        text += "".join(cells[j]["source"] for j in range(start + 1, end) if cells[j]["cell_type"] == "markdown")
        text = text.split("\n## ", 1)[0]
    out = []
    typed = re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?i)lectures? \d\d|section \d", "", text))
    if typed:
        out.append(f'"What we measured" types numbers {typed[:5]}: print them from variables instead')
    if not any(cells[j]["cell_type"] == "code" and "print(" in cells[j]["source"] for j in range(start + 1, end + 1)
               if j < len(cells)):
        out.append('no code cell prints the numbers of "What we measured"')
    return out


def reference_problems(cells) -> list[str]:
    heads = _headings(cells)
    if not heads or heads[-1][1] != "References":
        return ['"## References" is not the last section']
    text = cells[heads[-1][0]]["source"].split("## References", 1)[1]
    entries = re.split(r"(?m)^- ", text)[1:]
    if not entries:
        return ["no reference entries (\"- ...\" lines)"]
    out = []
    for e in entries:
        one = " ".join(e.split())
        if not re.search(r"https?://", one):
            out.append(f"no link: {one[:70]!r}")
        if not re.search(r"\b(19|20)\d\d\b", one):
            out.append(f"no year: {one[:70]!r}")
    return out


LECTURE_RULES = {"title": title_problems, "setup": setup_problems, "sections": section_problems,
                 "check-your-understanding": understanding_problems, "widget": widget_problems,
                 "what-we-measured": measured_problems, "references": reference_problems}


@pytest.mark.parametrize("path", sorted((ROOT / "lectures").glob("*.ipynb")), ids=lambda p: p.stem)
def test_lecture_has_the_course_shape(path):
    cells = _read(path)
    problems = {rule: (check(cells, path.stem) if rule == "title" else check(cells))
                for rule, check in LECTURE_RULES.items()}
    _ratchet(path.stem, problems)


def test_the_lecture_rules_can_fail():
    md = lambda src: {"cell_type": "markdown", "source": src, "metadata": {}}
    code = lambda src: {"cell_type": "code", "source": src, "metadata": {}}
    lec = COURSE.lectures[0]
    title = (f"# Lecture {lec.nn}: {lec.title}\n\n**You will learn to**\n1. a;\n2. b;\n3. c.\n\n"
             f"**Prerequisites**: none. **Slides**: some.\n**Time**: about {lec.work_minutes['lecture']} minutes.")
    assert title_problems([md(title)], lec.stem) == []
    assert len(title_problems([md(title.replace("3. c.", "").replace("**Slides**", "Slides"))], lec.stem)) == 2
    assert title_problems([md(title.replace("about", "about 1"))], lec.stem)  # 1 60 minutes: no "about N minutes"
    setup = "import torch\nfrom unlearnkit import viz\nimport unlearnkit\nSEED = 0\nDEVICE = unlearnkit.device()\nviz.use_style()"
    assert setup_problems([md(""), code(setup)]) == []
    assert setup_problems([md(""), code(setup + "\nx = torch.zeros(3)")])
    assert setup_problems([md(""), code(setup.replace("SEED = 0", "SEED = 0.5"))])
    sections = [md(f"## {i}. Why?") for i in (1, 2, 3)]
    assert section_problems(sections) == [] and section_problems(sections[:2]) and section_problems(sections[::2])
    assert understanding_problems([md("## Check your understanding\n1. Q?\n<details>A</details>")]) == []
    assert understanding_problems([md("## Check your understanding\n1. Q? A.")])
    static = [code("def show(k=1):\n    plt.plot([k])"), code("show()"), code("widgets.interact(show, k=(1, 3))")]
    assert widget_problems(static) == []
    assert widget_problems([static[0], static[2]]) and widget_problems(static[:2])
    lam = [code("def panel(k):\n    draw(k)"), code("draw(1)"), code("widgets.interact(lambda k: panel(k), k=(1, 3))")]
    assert widget_problems(lam) == []
    measured = [md("## What we measured"), code("print(f'{acc:.2f}')"), md("## References\n- A. B. *T*. V, 2020. https://x")]
    assert measured_problems(measured) == [] and reference_problems(measured) == []
    assert measured_problems([md("## What we measured\nAccuracy 0.93."), code("x = 1")]) == [
        "\"What we measured\" types numbers ['0.93']: print them from variables instead",
        'no code cell prints the numbers of "What we measured"']
    assert len(reference_problems([md("## References\n- A. B. *T*. Somewhere.")])) == 2


# ----------------------------------------------------------------------------- problem sets
def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def ps_title_problems(cells, name: str) -> list[str]:
    lec = _lecture_of(name)
    if lec is None:
        return [f"{name} is not in course/manifest.toml"]
    first = cells[0]["source"].splitlines()[0] if cells and cells[0]["source"] else ""
    want = f"# Problem set {lec.nn} · {lec.title}"
    return [] if first == want else [f"first line {first!r}, want {want!r} (manifest title)"]


def ps_task_problems(cells) -> list[str]:
    tests = [c for c in cells if c["cell_type"] == "code" and _nbg(c).get("grade") and _nbg(c).get("points")]
    written = [c for c in cells if c["cell_type"] == "markdown" and _nbg(c).get("grade") and _nbg(c).get("solution")]
    out = []
    if not 3 <= len(tests) <= 6:
        out.append(f"{len(tests)} autograded test cells (want 3 to 6)")
    if not written:
        out.append("no written (manually graded) answer cell")
    return out


def _ends_with_passed(visible: str) -> bool:
    """Whether the last statement of a test cell's visible part prints "visible tests passed...". """
    try:
        body = _parse(visible).body
    except SyntaxError:
        return False
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and ast.unparse(last.value.func) == "print" and last.value.args):
        return False
    first = last.value.args[0]
    if isinstance(first, ast.JoinedStr):
        first = first.values[0] if first.values else None
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith(VISIBLE_PASSED)


def visible_passed_problems(cells) -> list[str]:
    out = []
    for i, c in enumerate(cells):
        if c["cell_type"] == "code" and _nbg(c).get("grade") and not _ends_with_passed(c["source"].split(HIDDEN, 1)[0]):
            out.append(f"test cell {i} ({_nbg(c).get('grade_id')}): its visible part does not end with "
                       f'print("{VISIBLE_PASSED}...")')
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("ps*/ps*.ipynb")), ids=lambda p: p.stem)
def test_problem_set_follows_the_conventions(path):
    cells = _read(path)
    problems = {"title": ps_title_problems(cells, path.stem), "tasks": ps_task_problems(cells),
                "visible-passed": visible_passed_problems(cells)}
    _ratchet(path.stem, problems)


def test_the_problem_set_rules_can_fail():
    meta = lambda **kw: {"nbgrader": kw}
    code = lambda src, **kw: {"cell_type": "code", "source": src, "metadata": meta(**kw)}
    good = [code(f'assert f() == 1\nprint("{VISIBLE_PASSED}")\n{HIDDEN}\nassert f(2) == 2\n### END HIDDEN TESTS',
                 grade=True, points=1, grade_id="a"),
            code(f'assert f() == 1\nprint(f"{VISIBLE_PASSED}: f() is {{f()}}",\n      "and more")',
                 grade=True, points=1, grade_id="b")]
    assert visible_passed_problems(good) == []
    late = [code(f'print("{VISIBLE_PASSED}")\nassert f() == 1', grade=True, points=1, grade_id="b")]
    assert visible_passed_problems([code('assert f() == 1\nprint("all good")', grade=True, points=1, grade_id="c")])
    assert visible_passed_problems(late) and ps_task_problems(late) == [
        "1 autograded test cells (want 3 to 6)", "no written (manually graded) answer cell"]


# ----------------------------------------------------------------------------- library docstrings
# Read from the source (parsing is fast, importing torch is not): a module's __all__ may be built from
# list and tuple literals, names bound to them, list()/tuple() of them, + and +=; a name it lists is
# followed through relative imports to its definition, or (a lazy re-export through __getattr__) found
# as the one top-level definition of that name in the package.
PACKAGE = ROOT / "unlearnkit"
INTRODUCED = re.compile(r"Introduced in lecture (\d\d)\b")
_TREES: dict[pathlib.Path, ast.Module] = {}


def _tree(path: pathlib.Path) -> ast.Module:
    if path not in _TREES:
        _TREES[path] = _parse(path.read_text(encoding="utf-8"))
    return _TREES[path]


@functools.lru_cache(maxsize=None)
def _module_path(dotted: str) -> pathlib.Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def _package_of(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1])  # the package a relative import starts from


def _all(path: pathlib.Path) -> list[str]:
    """A module's ``__all__``, evaluated from its source."""
    bound: dict[str, list[str]] = {}

    def value(node) -> list[str]:
        if isinstance(node, (ast.List, ast.Tuple)):
            return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return value(node.left) + value(node.right)
        if isinstance(node, ast.Name) and node.id in bound:
            return bound[node.id]
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("list", "tuple") and len(node.args) == 1:
            return value(node.args[0])
        raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno}: cannot read __all__ from the source "
                             f"({ast.unparse(node)[:60]}); extend _all in tests/test_conventions.py")

    for node in _tree(path).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "__all__":
                bound[name] = value(node.value)
            elif isinstance(node.value, (ast.List, ast.Tuple)):
                try:
                    bound[name] = value(node.value)
                except AssertionError:
                    pass
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            bound["__all__"] = bound.get("__all__", []) + value(node.value)
    return bound.get("__all__", [])


@functools.lru_cache(maxsize=None)
def _definitions() -> dict[str, list[tuple[pathlib.Path, ast.AST]]]:
    found: dict[str, list] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in _tree(path).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.setdefault(node.name, []).append((path, node))
    return found


@functools.lru_cache(maxsize=None)
def _resolve(path: pathlib.Path, name: str, depth: int = 0):
    """("def", file, node), ("module", file) or None (a constant, or nothing found) for ``name`` of a module."""
    if depth > 10:
        return None
    for node in _tree(path).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return "def", path, node
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return None
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) != name:
                    continue
                if node.level:
                    base = _package_of(path).split(".")
                    base = base[:len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if not source.startswith("unlearnkit"):
                    return None
                sub = _module_path(f"{source}.{alias.name}")
                target = _module_path(source)
                if sub is not None and (target is None or _resolve(target, alias.name, depth + 1) is None):
                    return "module", sub
                return _resolve(target, alias.name, depth + 1) if target else None
    matches = _definitions().get(name, [])
    return ("def", *matches[0]) if len(matches) == 1 else None


def public_api() -> list[tuple[ast.AST, pathlib.Path, list[str]]]:
    """Each public function or class of unlearnkit (its definition and file) with every public name that
    reaches it ("data.make_blobs", "unlearnkit.derive_seed", both "lm.GPT" and "models.GPT", ...).
    Public: in the ``__all__`` of ``unlearnkit`` or of a module that ``unlearnkit.__all__`` names."""
    top = PACKAGE / "__init__.py"
    modules = {"unlearnkit": top}
    for name in _all(top):
        r = _resolve(top, name)
        if r and r[0] == "module":
            modules[name] = r[1]
    found: dict[int, tuple] = {}
    for short, path in modules.items():
        for name in _all(path):
            r = _resolve(path, name)
            if r and r[0] == "def":
                found.setdefault(id(r[2]), (r[2], r[1], []))[2].append(f"{short}.{name}")
    return list(found.values())


def _lecture_code() -> dict[int, str]:
    code = {}
    for lec in COURSE.lectures:
        if lec.ready and lec.notebook().exists():
            code[lec.number] = "\n".join(c["source"] for c in _read(lec.notebook()) if c["cell_type"] == "code")
    return code


def _first_use(names: list[str], code: dict[int, str]) -> int | None:
    """The first lecture whose code uses one of ``names`` ("data.make_blobs") qualified or imported."""
    for number in sorted(code):
        src = code[number]
        for qual in names:
            short, name = qual.split(".", 1)
            mod = "unlearnkit" if short == "unlearnkit" else f"unlearnkit.{short}"
            if (re.search(rf"(?<![\w.]){re.escape(short)}\.{name}\b", src)
                    or re.search(rf"unlearnkit\.{re.escape(short)}\.{name}\b", src)
                    or re.search(rf"from {re.escape(mod)} import [^\n]*\b{name}\b", src)):
                return number
    return None


def docstring_problems(api, code) -> tuple[list[str], set[str]]:
    """(problems, every public name of the functions and classes whose own docstring lacks
    "Introduced in lecture NN")."""
    problems, undated = [], set()
    numbers = set(COURSE.numbers())
    for node, path, names in sorted(api, key=lambda item: item[2][0]):
        claims = [int(n) for n in INTRODUCED.findall(ast.get_docstring(node) or "")]
        if not claims:
            undated.update(names)
            continue
        where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {names[0]}"
        first = _first_use(names, code)
        if len(set(claims)) > 1:
            problems.append(f"{where}: names several introducing lectures {sorted(set(claims))}")
        if claims[0] not in numbers:
            problems.append(f"{where}: introduced in lecture {claims[0]:02d}, which the manifest lacks")
        elif first is not None and claims[0] != first:
            problems.append(f"{where}: says lecture {claims[0]:02d}, but lecture {first:02d} uses it first")
    return problems, undated


def test_public_functions_name_the_lecture_that_introduces_them():
    api, code = public_api(), _lecture_code()
    assert len(api) > 50, f"found only {len(api)} public functions and classes: is the resolver broken?"
    problems, undated = docstring_problems(api, code)
    hints = []
    for node, path, names in api:
        if set(names) & undated and not set(names) & KNOWN_UNDATED:
            first = _first_use(names, code)
            where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {names[0]}"
            hints.append(f"{where}: add 'Introduced in lecture {first:02d}.'" if first else
                         f"{where}: add 'Introduced in lecture NN.' (no ready lecture uses it yet)")
    assert not problems + hints, "docstrings (docs/COURSE.md section 2):\n" + "\n".join(problems + sorted(hints))
    fixed = sorted(KNOWN_UNDATED - undated)
    assert not fixed, f"now dated (or gone), strike from KNOWN_UNDATED in tests/test_conventions.py: {fixed}"


def test_the_docstring_rule_can_fail():
    code = {1: "from unlearnkit import data\ntrain = data.make_blobs(10)", 2: "data.make_blobs(5)"}
    assert _first_use(["data.make_blobs"], code) == 1
    assert _first_use(["lm.GPT", "models.GPT"], {7: "m = lm.GPT(cfg)"}) == 7
    assert _first_use(["unlearnkit.derive_seed"], {4: "from unlearnkit import approximate, derive_seed"}) == 4
    assert _first_use(["data.make_blobs"], {3: "mydata.make_blobs(1)"}) is None

    tree = ast.parse('def late():\n    """Introduced in lecture 04."""\n'
                     'def dated_twice():\n    """Introduced in lecture 01. Introduced in lecture 02."""\n'
                     'def undated():\n    """No lecture."""\n')
    late, dated_twice, undated = tree.body
    api = [(late, ROOT / "x.py", ["data.make_blobs"]), (dated_twice, ROOT / "x.py", ["x.dated_twice"]),
           (undated, ROOT / "x.py", ["x.undated"])]
    problems, missing = docstring_problems(api, code)
    assert missing == {"x.undated"}
    assert any("lecture 01 uses it first" in p for p in problems), problems
    assert any("several introducing lectures" in p for p in problems), problems
