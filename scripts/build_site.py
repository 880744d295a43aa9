"""Build the course site: every ready lecture, executed, as HTML (``make site`` -> build/site/index.html).

What a self-learner reads beside the slides: each lecture with its printed numbers and figures, an
index with the course map from ``course/manifest.toml`` (every lecture in order with the slides it
covers, in the deck's order), and a search box. Problem sets are not on the site (their solutions
and hidden tests never are: :func:`leaks` checks every built file before the build is kept).

How it is built (Sphinx + myst-nb + furo, maintainers' tools from requirements-dev.txt):

1. The executed lectures come from build/executed/lectures/, where ``make test`` leaves each lecture
   it ran without an error (tests/test_notebooks.py, ``nbrun.save_executed``). A lecture that is
   missing there, or whose notebook changed since it was executed, is executed now (the only
   execution this script does; a failing cell stops the build).
2. Each executed copy is prepared for the web (:func:`prepare`): every figure gets alt text made
   from its titles, axis labels and legend (:func:`figure_alt`), and each interactive widget's
   output, which needs a running kernel, is replaced by a note pointing at the static figure above
   it, which shows the widget's default setting.
3. ``sphinx-build`` renders build/site-src/ (generated) into build/site/, with myst-nb's execution
   off; nothing is fetched at build time (``--offline`` runs it without a network to prove it).

    python scripts/build_site.py               # = make site
    python scripts/build_site.py --offline     # the same, sphinx-build in a namespace without network

tests/test_site.py builds the site this way after the notebook tests and checks it in Chromium.
"""
from __future__ import annotations

import argparse
import ast
import html.parser
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import manifest  # noqa: E402  (scripts/ is not a package)
import nbrun  # noqa: E402

ROOT = nbrun.ROOT
SOURCE = ROOT / "build" / "site-src"
OUT = ROOT / "build" / "site"
CONF = ROOT / "scripts" / "site" / "conf.py"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_NOTE = ("*Interactive widget: it needs a running kernel. Run this lecture in JupyterLab "
               "(`make lab`) to use it; the figure above it shows its default setting.*")
# Text that marks nbgrader solution or hidden-test regions: never on a page.
MARKERS = (nbrun.BEGIN_SOLUTION, nbrun.END_SOLUTION, nbrun.BEGIN_HIDDEN, nbrun.END_HIDDEN)


# ----------------------------------------------------------------------------- executed lectures
def executed_lectures(course: manifest.Course, root: pathlib.Path = ROOT, folder: pathlib.Path | None = None,
                      log=print) -> tuple[dict[str, pathlib.Path], list[str]]:
    """{stem: executed copy} of every ready lecture, and the stems executed now (missing or stale).

    Raises:
        RuntimeError: a lecture that had to be executed raised in a cell (its name and the error).
    """
    import nbformat

    found, ran = {}, []
    for lec in course.lectures:
        if not lec.ready:
            continue
        path = lec.notebook(root)
        saved = nbrun.executed_copy(path, folder)
        if saved is None:
            log(f"executing {path.relative_to(root)} (no up-to-date copy in build/executed/) ...")
            run = nbrun.execute(path, allow_errors=True)
            if run.errors:
                raise RuntimeError(f"{path.relative_to(root)}: cell {run.errors[0][0]} raised "
                                   f"{run.errors[0][1]}; the site shows only lectures that run cleanly")
            saved = nbrun.save_executed(run, folder)
            if saved is None:  # a lecture outside <root>/lectures (a test's copy): keep it beside the source
                saved = SOURCE.parent / "executed-elsewhere" / path.name
                saved.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(run.nb, saved)
            ran.append(lec.stem)
            log(f"  {run.seconds:.1f} s")
        found[lec.stem] = saved
    return found, ran


# ----------------------------------------------------------------------------- alt text
_TITLE = {"set_title": "title", "suptitle": "title", "title": "title", "set_xlabel": "x", "xlabel": "x",
          "set_ylabel": "y", "ylabel": "y"}


def _literal(node) -> str | None:
    """The text of a string literal; an f-string's fixed parts with "..." for each value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "..." for v in node.values)
    return None


def figure_words(source: str) -> dict[str, list[str]]:
    """Titles, axis labels and legend entries a code cell gives its figures (string literals only).

    Read from the cell's code: the first argument of ``set_title``/``suptitle``/``title``,
    ``set_xlabel``/``xlabel``, ``set_ylabel``/``ylabel``, the title and axis labels given to
    ``unlearnkit.viz.label(ax, title, xlabel, ylabel)``, and the keywords ``label=``, ``title=``,
    ``xlabel=`` and ``ylabel=`` (``ax.set(...)``).
    """
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return {}
    words: dict[str, list[str]] = {"title": [], "x": [], "y": [], "label": []}
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    for node in calls:  # in the order of the code
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _TITLE and node.args:
            words[_TITLE[name]].append(_literal(node.args[0]))
        if name == "label" and len(node.args) >= 4:  # unlearnkit.viz.label(ax, title, xlabel, ylabel)
            for kind, arg in zip(("title", "x", "y"), node.args[1:4]):
                words[kind].append(_literal(arg))
        for kw in node.keywords:  # label=..., and ax.set(title=..., xlabel=..., ylabel=...)
            kind = {"label": "label", "title": "title", "xlabel": "x", "ylabel": "y"}.get(kw.arg)
            if kind:
                words[kind].append(_literal(kw.value))

    def clean(text: str | None) -> str:
        text = re.sub(r"\\([A-Za-z]+|[|{}])", r"\1", (text or "").replace("$", ""))  # TeX: \alpha, \|w\|
        return " ".join(text.split())

    words = {k: [clean(t) for t in v if clean(t)] for k, v in words.items()}
    return {k: list(dict.fromkeys(v))[:6] for k, v in words.items() if v}  # at most 6 of each kind


def _plain(markdown: str) -> str:
    """Markdown as one line of plain text (emphasis, code marks, TeX dollars and links dropped)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*_`$#>]", "", text).replace("\\", "")
    return " ".join(text.split())


def _first_sentence(markdown: str, limit: int = 220) -> str:
    text = _plain(markdown)
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    text = m.group(1) if m else text
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def figure_alt(words: dict[str, list[str]], where: str, after: str = "") -> str:
    """Alt text of a figure: where it is, then what its code names (titles, axes, legend).

    A figure whose cell names nothing (drawn by a library function) is described by the first
    sentence of the text after it, which in the lectures says what the figure shows.
    """
    parts = []
    if words.get("title"):
        parts.append("titled " + ", ".join(f"'{t}'" for t in words["title"]))
    axes = [f"{axis} axis " + " / ".join(f"'{t}'" for t in words[axis]) for axis in ("x", "y") if words.get(axis)]
    if axes:
        parts.append(", ".join(axes))
    if words.get("label"):
        parts.append("showing " + ", ".join(f"'{t}'" for t in words["label"]))
    if not parts and after:
        parts.append(_first_sentence(after))
    return f"{where}: " + "; ".join(parts) if parts else where


# ----------------------------------------------------------------------------- preparing a lecture
def prepare(nb, number: str):
    """The executed lecture ``nb`` (changed in place) ready for the site: alt text, widget notes.

    Returns (figures, widgets): how many figures got alt text and how many widget outputs were
    replaced by the note.
    """
    import nbformat

    nb.metadata.pop("widgets", None)  # saved widget state: the site has no kernel to attach it to
    section, figures, widgets = f"lecture {number}", 0, 0
    cells = nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            heads = re.findall(r"^#{1,3}\s+(.+?)\s*$", cell.source, re.M)
            if heads:
                section = _plain(heads[-1])
            continue
        if cell.cell_type != "code":
            continue
        outputs, images = [], 0
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                widgets += 1
                out = nbformat.v4.new_output("display_data", data={"text/markdown": WIDGET_NOTE})
            images += any(mime in data for mime in IMAGE_MIMES)
            outputs.append(out)
        cell.outputs = outputs
        if images:
            # myst-nb takes image options per cell (metadata mystnb.image); a lecture's cell draws one figure
            after = next((c.source for c in cells[i + 1:] if c.cell_type == "markdown"), "")
            which = f"Figure {figures + 1}" if images == 1 else f"Figures {figures + 1} to {figures + images}"
            alt = figure_alt(figure_words(cell.source), f"{which} of lecture {number} ({section})", after)
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
            figures += images
    return figures, widgets


# ----------------------------------------------------------------------------- index page
def index_page(course: manifest.Course, commit: str | None = None) -> str:
    """index.md: what the site is, how to run the lectures, and the course map in the slides' order."""
    rows = ["| NN | lecture | slides it covers, in the deck's order | problem set | time (min) |",
            "| --- | --- | --- | --- | --- |"]
    ready = []
    for lec in course.lectures:
        if lec.ready:
            ready.append(lec)
            name = f"{{doc}}`{lec.title} <lectures/{lec.stem}>`"
        else:
            name = f"{lec.title} (planned)"
        ps = f"`{lec.problem_set}`" if lec.problem_set_ready else f"ps{lec.nn} (planned)"
        slides = "; ".join(f"{k}. {s}" for k, s in enumerate(lec.slides, start=1)).replace("|", "\\|")
        work = f"{lec.work_minutes['lecture']} + {lec.work_minutes['problem_set']}" if lec.work_minutes else ""
        rows.append(f"| {lec.nn} | {name} | {slides} | {ps} | {work} |")
    built = f" Built from commit `{commit}`." if commit else ""
    toc = "\n".join(f"lectures/{lec.stem}" for lec in ready)
    return f"""# unlearnkit: a course on machine unlearning

Every lecture of the course as it looks after *Run All*: the text, the code, the numbers it printed
and its figures. The course follows Vitaly Shmatikov's lecture slides on unlearning (facts and
order; all wording is ours): the map below lists each lecture with the slides it covers, in the
order of the slide deck.

To run the lectures yourself and move the widgets' sliders, get the course repository and run
`make lab` (its README says how). The problem sets are not on this site: students find them in the
repository's `exercises/` folder and check their answers there.{built}

## Course map

{chr(10).join(rows)}

Time: our estimate of the minutes a student spends on the lecture + on its problem set.

```{{toctree}}
:hidden:
:caption: Lectures

{toc}
```
"""


# ----------------------------------------------------------------------------- leaks
class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(path: pathlib.Path) -> str:
    """A built file as text: an HTML page's text content (tags dropped), any other file as it is."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".html":
        return raw
    parser = _Text()
    parser.feed(raw)
    return "".join(parser.parts)


def solution_lines(root: pathlib.Path = ROOT) -> list[str]:
    """Lines of solution code and hidden tests of every problem set, less those a lecture also shows."""
    import nbformat

    snippets = set()
    for name in nbrun.problem_sets(root):
        snippets.update(nbrun.solution_snippets(nbformat.read(root / "solutions" / name / f"{name}.ipynb", as_version=4)))
    lecture_text = "\n".join(c.source for p in nbrun.lectures(root) for c in nbformat.read(p, as_version=4).cells)
    return sorted(s for s in snippets if s not in lecture_text)


def leaks(out: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """"file: what" for every built file that holds an nbgrader marker, every page (and the search
    index) that holds a line of a solution or hidden test, and any file named after a problem set.

    The theme's own scripts under ``_static/`` are searched for markers only (a short solution line
    such as ``return score`` also occurs in Sphinx's search code)."""
    lines = solution_lines(root)
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if re.search(r"(^|/)ps\d\d_", rel) or "solutions/" in rel:
            found.append(f"{rel}: a problem-set file")
        if path.suffix not in (".html", ".js", ".txt", ".json", ".ipynb", ".md", ".py"):
            continue
        text = page_text(path)
        ours = not rel.startswith("_static/")
        hits = [m for m in MARKERS if m in text] + [s for s in lines if ours and s in text]
        if hits:
            found.append(f"{rel}: {hits[:3]}")
    return found


# ----------------------------------------------------------------------------- build
def _commit(root: pathlib.Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def offline_prefix() -> list[str]:
    """A command prefix that runs a program without network (a new network namespace), or [] when
    this machine does not allow one (``unshare`` missing, or user namespaces off)."""
    exe = shutil.which("unshare")
    if not exe:
        return []
    for prefix in ([exe, "-n"], [exe, "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return []


def build(out: pathlib.Path = OUT, *, root: pathlib.Path = ROOT, offline: bool = False,
          executed: pathlib.Path | None = None, log=print) -> dict:
    """Build the site into ``out`` and return what happened (seconds, executed, figures, widgets).

    Raises:
        RuntimeError: a lecture fails, ``offline=True`` where no network namespace can be made,
            sphinx-build fails (its output included), or a built file leaks a solution (the build is
            then deleted).
    """
    start = time.perf_counter()
    import nbformat

    course = manifest.load(root=root)
    prefix = offline_prefix() if offline else []
    if offline and not prefix:
        raise RuntimeError("--offline: cannot run sphinx-build without network here (no `unshare -n`)")
    lectures, ran = executed_lectures(course, root, executed, log=log)
    src = SOURCE if out == OUT else out.parent / (out.name + "-src")
    if src.exists():
        shutil.rmtree(src)
    (src / "lectures").mkdir(parents=True)
    shutil.copy2(CONF, src / "conf.py")
    (src / "index.md").write_text(index_page(course, _commit(root)), encoding="utf-8")
    figures = widgets = 0
    for lec in course.lectures:
        if lec.stem in lectures:
            nb = nbformat.read(lectures[lec.stem], as_version=4)
            f, w = prepare(nb, lec.nn)
            figures, widgets = figures + f, widgets + w
            nbformat.write(nb, src / "lectures" / f"{lec.stem}.ipynb")
    if out.exists():
        shutil.rmtree(out)
    cmd = [*prefix, sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-E",
           "-d", str(src / ".doctrees"), str(src), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=nbrun.kernel_env(), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    found = leaks(out, root)
    if found:
        shutil.rmtree(out)
        raise RuntimeError("the site would show solutions or hidden tests (build deleted):\n" + "\n".join(found))
    return {"seconds": time.perf_counter() - start, "executed": ran, "lectures": list(lectures),
            "figures": figures, "widgets": widgets, "offline": bool(prefix), "out": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help="output folder (default build/site)")
    parser.add_argument("--offline", action="store_true", help="run sphinx-build without network (unshare -n)")
    args = parser.parse_args(argv)
    try:
        info = build(args.out.resolve(), offline=args.offline)
    except (RuntimeError, manifest.ManifestError) as e:
        print(f"make site: {e}", file=sys.stderr)
        return 1
    print(f"site: {info['out'] / 'index.html'} ({len(info['lectures'])} lectures, {info['figures']} figures, "
          f"{info['widgets']} widgets as notes; executed now: {', '.join(info['executed']) or 'none'}; "
          f"{info['seconds']:.1f} s{', built without network' if info['offline'] else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
