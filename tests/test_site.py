"""The course site (`make site`, scripts/build_site.py), as its reader meets it.

The site is built once per module from the lectures the notebook tests executed and saved
(build/executed/lectures/; a missing or stale one is executed by the build), with sphinx-build in a
namespace without network where this machine allows one. `make test` runs these tests in a second
pytest run after the others (markers ``site`` and ``browser``), so the executions are there.

- marker ``site``: the build (offline, every ready lecture, the course map with the slides in order,
  the search page, no solution or hidden test in any built file, only local assets: MathJax too);
- markers ``site`` and ``browser``: every lecture page in headless Chromium (Debian's chromium via
  playwright, tests/_browser.py): its figures load (naturalWidth > 0) with alt text, no traceback
  or stderr block, no JavaScript error, and the search box finds a lecture; every formula of every
  lecture page opened from disk (file://, every other request refused) is typeset by the MathJax the
  site ships (scripts/site/conf.py), with its fonts. Skipped, with the reason, where chromium or
  playwright is missing.

The helpers (alt text, widget notes, leak check) are tested on small notebooks without a build.
"""
from __future__ import annotations

import contextlib
import html
import re
import time

import nbformat
import pytest

import _browser
import build_site
import manifest
import nbrun

site = pytest.mark.site


def _image_count(nb) -> int:
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if any(m in o.get("data", {}) for m in build_site.IMAGE_MIMES))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The site built into a temporary folder: build_site.build's answer, with its build seconds."""
    out = tmp_path_factory.mktemp("site") / "html"
    offline = bool(build_site.offline_prefix())
    info = build_site.build(out, offline=offline, log=lambda *a: None)
    print(f"\nsite built in {info['seconds']:.1f} s ({len(info['lectures'])} lectures, {info['figures']} figures, "
          f"executed now: {info['executed'] or 'none'}, without network: {info['offline']})")
    return info


# ----------------------------------------------------------------------------- the build
@site
def test_site_builds_from_the_executed_lectures(built):
    course = manifest.load()
    ready = [lec for lec in course.lectures if lec.ready]
    out = built["out"]
    assert built["lectures"] == [lec.stem for lec in ready]
    for lec in ready:
        assert (out / "lectures" / f"{lec.stem}.html").is_file(), f"no page for {lec.stem}"
        # the executions are kept for the next build (and were reused when the test run made them)
        assert nbrun.executed_copy(lec.notebook()) is not None, f"{lec.stem}: no up-to-date executed copy"
    assert (out / "search.html").is_file() and (out / "searchindex.js").is_file(), "no search page"
    assert built["figures"] > 0


@site
def test_site_is_built_without_network(built):
    if not built["offline"]:
        pytest.skip("this machine cannot make a network namespace (`unshare -n`), so the build ran with "
                    "network; it fetched nothing by design (scripts/site/conf.py), but that is not proved here")
    assert built["offline"]


@site
def test_site_index_has_the_course_map_in_the_slides_order(built):
    text = build_site.page_text(built["out"] / "index.html")
    text = " ".join(text.split()).translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))  # smart quotes
    pos = -1
    for lec in manifest.load().lectures:
        assert lec.title in text, f"the course map lacks lecture {lec.nn}: {lec.title}"
        for slide in lec.slides:
            slide = " ".join(slide.split())
            at = text.find(slide, pos + 1)
            assert at > pos, f"lecture {lec.nn}'s slide {slide!r} is missing or out of the deck's order"
            pos = at
        if not lec.ready:
            assert f"{lec.title} (planned)" in text
    html = (built["out"] / "index.html").read_text()
    for lec in manifest.load().lectures:
        assert (f'href="lectures/{lec.stem}.html"' in html) == lec.ready, lec.stem


@site
def test_site_shows_no_solution_and_only_local_assets(built):
    out = built["out"]
    assert build_site.leaks(out) == []
    assert not list(out.rglob("*.ipynb")), "the site should not carry notebook files"
    remote = set()
    for page in out.rglob("*.html"):
        for url in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', page.read_text()):
            remote.add(url.split("?")[0])
    assert not remote, f"pages load assets from the network: {sorted(remote)}"
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not shipped with the site"


# ----------------------------------------------------------------------------- in Chromium
def _page_problems(page, url: str, name: str, title: str, want_figures: int) -> list[str]:
    """What is wrong with one lecture page as Chromium shows it ([] when nothing)."""
    problems = []
    page.goto(url, wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
    imgs = page.evaluate("""Array.from(document.querySelectorAll('article img')).map(i => ({
        src: i.getAttribute('src') || '', alt: i.getAttribute('alt') || '', w: i.naturalWidth}))""")
    figures = [i for i in imgs if "_images/" in i["src"]]
    h1 = page.locator("article h1").first.inner_text() if page.locator("article h1").count() else ""
    if title not in " ".join(h1.split()):
        problems.append(f"{name}: first heading is {h1!r}, not its title {title!r}")
    if len(figures) != want_figures:
        problems.append(f"{name}: {len(figures)} figures on the page, {want_figures} in the executed notebook")
    for i in figures:
        if i["w"] <= 0:
            problems.append(f"{name}: figure {i['src']} did not load")
        if not i["alt"].startswith("Figure") or i["src"].split("/")[-1] in i["alt"]:
            problems.append(f"{name}: figure {i['src']} has no alt text ({i['alt']!r})")
    bad = page.evaluate("""Array.from(document.querySelectorAll('.output.traceback, .output.stderr'))
        .map(e => e.innerText.slice(0, 200))""")
    if bad:
        problems.append(f"{name}: error or stderr output: {bad[:2]}")
    body = page.locator("article").inner_text() if page.locator("article").count() else ""
    for phrase in ("Traceback (most recent call last)", "Error displaying widget", "BEGIN SOLUTION"):
        if phrase in body:
            problems.append(f"{name}: the page shows {phrase!r}")
    return problems


@site
@pytest.mark.browser
def test_site_pages_render_in_chromium(built):
    reason = _browser.skip_reason()
    if reason:
        pytest.skip(reason)
    out = built["out"]
    src = out.parent / (out.name + "-src")
    ready = [lec for lec in manifest.load().lectures if lec.ready]
    start = time.perf_counter()
    problems = []
    with _browser.static_server(out) as base, _browser.chromium(base) as b:
        for lec in ready:
            want = _image_count(nbformat.read(src / "lectures" / f"{lec.stem}.ipynb", as_version=4))
            problems += _page_problems(b.page, base + f"lectures/{lec.stem}.html", lec.stem, lec.title, want)
        # the search box: the longest word of the first lecture's title finds its page
        page = b.page
        word = max(re.findall(r"[A-Za-z]{5,}", ready[0].title), key=len)
        page.goto(base + "index.html", wait_until="load")
        page.locator("input[name=q]").first.fill(word)
        page.locator("input[name=q]").first.press("Enter")
        page.wait_for_selector(f'#search-results a[href*="{ready[0].stem}"]', timeout=20_000)
        seconds = time.perf_counter() - start
    print(f"\n{len(ready)} lecture pages checked in Chromium in {seconds:.1f} s; "
          f"requests blocked (outside the local server): {sorted(set(b.blocked))}")
    problems += [f"JavaScript error: {e}" for e in b.errors]
    assert not problems, "\n".join(problems)


def _maths_problems(page, url: str, name: str, wait_ms: int = 20_000) -> tuple[int, list[str]]:
    """(formulas on the page, what is wrong with their typesetting): each ``.math`` element that
    Sphinx writes must hold a MathJax container, with no TeX error, and MathJax's font must load."""
    page.goto(url, wait_until="load")
    maths = page.locator(".math").count()
    if not maths:
        return 0, []
    try:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=wait_ms)
        page.evaluate("MathJax.startup.promise.then(() => document.fonts.ready).then(() => true)")
    except Exception as exc:  # playwright's TimeoutError: MathJax never started
        return maths, [f"{name}: MathJax did not start ({str(exc).splitlines()[0]})"]
    r = page.evaluate("""() => ({
        untypeset: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container'))
            .map(e => e.textContent.slice(0, 60)),
        errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error')),
        font: Array.from(document.fonts).filter(f => f.family === 'MJXTEX').map(f => f.status)})""")
    problems = []
    if r["untypeset"]:
        problems.append(f"{name}: {len(r['untypeset'])} of {maths} formulas not typeset, e.g. {r['untypeset'][:2]}")
    if r["errors"]:
        problems.append(f"{name}: TeX errors {r['errors'][:3]}")
    if r["font"] != ["loaded"]:
        problems.append(f"{name}: MathJax's font MJXTEX is {r['font'] or 'missing'}, not loaded")
    return maths, problems


@contextlib.contextmanager
def _offline_page():
    """A Chromium page that may load file:// URLs only (and data:/blob:): tests/_browser.py's
    :func:`~_browser.chromium` with ``file://`` as its origin. Yields (page, refused URLs, failed URLs)."""
    with _browser.chromium("file://") as b:
        failed = []
        b.page.on("requestfailed", lambda req: failed.append(req.url))
        yield b.page, b.blocked, failed


@site
@pytest.mark.browser
def test_site_maths_is_typeset_offline(built):
    """Lecture pages opened from disk typeset their formulas with no request leaving file://."""
    reason = _browser.skip_reason()
    if reason:
        pytest.skip(reason)
    out = built["out"]
    start = time.perf_counter()
    problems, counts = [], {}
    with _offline_page() as (page, blocked, failed):
        for lec in [lec for lec in manifest.load().lectures if lec.ready]:
            counts[lec.stem], found = _maths_problems(page, (out / "lectures" / f"{lec.stem}.html").as_uri(),
                                                      lec.stem)
            problems += found
    print(f"\nformulas typeset offline in {time.perf_counter() - start:.1f} s: {counts}")
    assert sum(counts.values()) > 0, "no lecture page has a formula: the check tested nothing"
    assert not blocked, f"pages asked for the network: {sorted(set(blocked))[:5]}"
    assert not [u for u in failed if u not in blocked], f"requests that failed inside the site: {sorted(set(failed))[:5]}"
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_maths_check_catches_a_page_that_needs_the_cdn(tmp_path):
    """The same check on a page whose MathJax comes from a CDN: nothing is typeset offline."""
    reason = _browser.skip_reason()
    if reason:
        pytest.skip(reason)
    page_file = tmp_path / "cdn.html"
    page_file.write_text('<html><head><script defer src="https://cdn.example.org/mathjax/tex-chtml.js"></script>'
                         '</head><body><span class="math notranslate nohighlight">\\(x^2\\)</span></body></html>')
    with _offline_page() as (page, blocked, failed):
        maths, problems = _maths_problems(page, page_file.as_uri(), "cdn", wait_ms=2_000)
    assert maths == 1 and blocked == ["https://cdn.example.org/mathjax/tex-chtml.js"]
    assert problems and "MathJax did not start" in problems[0]


@pytest.mark.browser
def test_page_check_catches_a_broken_page(tmp_path):
    """The page check above fails on a missing figure, a figure without alt text, a stderr block
    and a traceback (a hand-made page; no build)."""
    reason = _browser.skip_reason()
    if reason:
        pytest.skip(reason)
    import base64

    (tmp_path / "_images").mkdir()
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    (tmp_path / "_images" / "ok.png").write_bytes(base64.b64decode(png))
    (tmp_path / "page.html").write_text(
        '<html><body><article><h1>Lecture 09: Demo</h1>'
        '<img src="_images/ok.png" alt="Figure 1 of lecture 09 (demo): titled \'x\'">'
        '<img src="_images/ok.png" alt="_images/ok.png"><img src="_images/missing.png" alt="Figure 3">'
        '<div class="output stderr"><pre>UserWarning: careful</pre></div>'
        '<pre>Traceback (most recent call last):</pre></article></body></html>')
    with _browser.static_server(tmp_path) as base, _browser.chromium(base) as b:
        problems = _page_problems(b.page, base + "page.html", "demo", "Demo", 3)
    assert len(problems) == 4, problems
    assert "ok.png has no alt text" in problems[0] and "missing.png did not load" in problems[1], problems
    assert "stderr output" in problems[2] and "Traceback" in problems[3], problems


# ----------------------------------------------------------------------------- helpers, no build
def test_figure_alt_reads_titles_labels_and_legend():
    code = ('fig, ax = plt.subplots()\nax.plot(x, y, label="retrained")\nax.plot(x, z, label=f"NegGrad, a={a}")\n'
            'ax.set_title(f"Forged step {k} of {n}")\nax.set_xlabel("steps")\nax.set_ylabel("$\\\\|w\\\\|$")\n%matplotlib inline')
    words = build_site.figure_words(code)
    assert words == {"title": ["Forged step ... of ..."], "x": ["steps"], "y": ["|w|"],
                     "label": ["retrained", "NegGrad, a=..."]}
    alt = build_site.figure_alt(words, "Figure 1 of lecture 03 (5. Forging)")
    assert alt == ("Figure 1 of lecture 03 (5. Forging): titled 'Forged step ... of ...'; x axis 'steps', "
                   "y axis '|w|'; showing 'retrained', 'NegGrad, a=...'")
    # nothing named in the cell: the first sentence of the text after the figure
    assert build_site.figure_alt({}, "Figure 2", "Read the **figure** from left to right. Then more.") == \
        "Figure 2: Read the figure from left to right."


def test_prepare_gives_alt_text_and_replaces_widgets():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    fig = nbformat.v4.new_code_cell('plt.title("loss")\nplt.show()')
    fig.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
                   nbformat.v4.new_output("stream", name="stdout", text="0.25\n")]
    widget = nbformat.v4.new_code_cell("widgets.interact(f, k=widgets.IntSlider())")
    widget.outputs = [nbformat.v4.new_output("display_data", data={
        build_site.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "interactive(...)"})]
    nb.cells = [nbformat.v4.new_markdown_cell("## 2. Losses"), fig, widget]
    assert build_site.prepare(nb, "04") == (1, 1)
    assert "widgets" not in nb.metadata
    assert fig.metadata["mystnb"]["image"]["alt"] == "Figure 1 of lecture 04 (2. Losses): titled 'loss'"
    assert fig.outputs[1].text == "0.25\n"  # printed numbers stay
    assert widget.outputs == [nbformat.v4.new_output("display_data", data={"text/markdown": build_site.WIDGET_NOTE})]


def test_leak_check_finds_a_solution_line(tmp_path):
    lines = build_site.solution_lines()
    if not lines:
        pytest.skip("no problem set has solution lines to look for")
    line = lines[0]
    (tmp_path / "page.html").write_text(f"<pre><span>{html.escape(line[:5])}</span>{html.escape(line[5:])}</pre>")
    (tmp_path / "clean.html").write_text("<p>nothing here</p>")
    (tmp_path / "marker.js").write_text(f"// {nbrun.BEGIN_HIDDEN}")
    found = build_site.leaks(tmp_path)
    assert [f.split(":")[0] for f in found] == ["marker.js", "page.html"], found


def test_save_executed_keeps_lectures_only(tmp_path):
    lecture = nbrun.lectures()[0]
    nb = nbformat.read(lecture, as_version=4)
    run = nbrun.Run(lecture, nb, 1.0)
    saved = nbrun.save_executed(run, tmp_path)
    assert saved == tmp_path / lecture.name
    assert nbrun.executed_copy(lecture, tmp_path) == saved
    assert nbformat.read(saved, as_version=4).metadata["unlearnkit_executed"]["source_sha256"] == nbrun.digest(lecture)
    # a run with a failing cell removes the old copy; a solution notebook is never saved
    assert nbrun.save_executed(nbrun.Run(lecture, nb, 1.0, [(3, "ValueError: x")]), tmp_path) is None
    assert not saved.exists()
    ps = nbrun.problem_sets()
    if ps:
        sol = nbrun.ROOT / "solutions" / ps[0] / f"{ps[0]}.ipynb"
        assert nbrun.save_executed(nbrun.Run(sol, nbformat.read(sol, as_version=4), 1.0), tmp_path) is None
        assert not (tmp_path / sol.name).exists()
