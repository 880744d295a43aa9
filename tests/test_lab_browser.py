"""A real JupyterLab in headless Chromium runs one lecture and its widget works (marker ``browser``).

What a student gets from `make lab`: JupyterLab from this environment with the students' settings
(JUPYTER_CONFIG_PATH=scripts/bundle/jupyter_config, as the Makefile sets it), started by the test on
a free port of 127.0.0.1 with a random token, on a temporary folder holding a copy of one lecture
(the quickest ready lecture that has a slider, from the manifest's run times). Chromium opens it,
runs Run > Run All Cells, and the test checks that every cell ran, no cell wrote an error or to
stderr, an ipywidgets slider is drawn, and moving it with the keyboard changes its readout and
redraws the widget's output. The server is shut down afterwards (its kernels with it).

Skipped, with the reason, where Debian's chromium or playwright is missing (tests/_browser.py).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request

import pytest

import _browser
import manifest
import nbrun

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = 240  # the lecture's headless time is well under a minute; the page adds a little


def _lecture_with_a_slider():
    """The ready lecture with an ipywidgets slider that runs quickest (manifest run_seconds)."""
    lectures = [lec for lec in manifest.load().lectures if lec.ready
                and re.search(r"\b(Int|Float|Selection)(Range)?Slider\(", lec.notebook().read_text())]
    assert lectures, "no ready lecture has an ipywidgets slider"
    return min(lectures, key=lambda lec: lec.run_seconds["lecture"])


def _get(url: str, timeout: float = 5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


@pytest.fixture
def lab(tmp_path):
    """(base URL, token, notebook name, process) of a JupyterLab started for this test, stopped after."""
    reason = _browser.skip_reason()
    if reason:
        pytest.skip(reason)
    jupyter = _browser.jupyter_exe()
    if jupyter is None:
        pytest.skip("no jupyter command in this environment (make setup installs JupyterLab)")
    lec = _lecture_with_a_slider()
    work = tmp_path / "course"
    work.mkdir()
    shutil.copy2(lec.notebook(), work / lec.notebook().name)
    port, token = _browser.free_port(), secrets.token_hex(16)
    env = nbrun.kernel_env({
        "JUPYTER_CONFIG_PATH": str(nbrun.ROOT / "scripts" / "bundle" / "jupyter_config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),      # no maintainer's own settings
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    })
    cmd = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # as `make lab` does for root (containers, CI)
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token, lec.notebook().name, proc
    finally:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=10).close()
        except OSError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        log.close()


def test_lab_runs_a_lecture_and_draws_its_slider(lab):
    base, token, name, proc = lab
    start = time.perf_counter()
    with _browser.chromium(base) as b:
        page = b.page
        page.set_default_timeout(60_000)
        page.goto(f"{base}/lab/tree/{name}?token={token}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        # wait for the kernel (the status bar reads "Python 3 (unlearnkit) | Idle"; the toolbar's
        # indicator says idle before any kernel exists), then Run > Run All Cells, as a student would
        page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"^(?!No Kernel).*\| Idle$")).first.wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        opened = time.perf_counter() - start
        # every code cell gets an execution number (the prompt "[*]" while it runs)
        page.wait_for_function("""() => {
            const p = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt'));
            return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent));
        }""", timeout=RUN_TIMEOUT_S * 1000, polling=500)
        ran = time.perf_counter() - start
        stderr = page.evaluate("""Array.from(document.querySelectorAll(
            '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
            .map(e => e.innerText.slice(0, 300))""")
        assert not stderr, f"{name}: cells wrote errors or to stderr in JupyterLab: {stderr[:2]}"
        # the interact widget (ipywidgets: a VBox of class widget-interact) holding a slider
        box = page.locator(".jp-NotebookPanel .widget-interact").filter(has=page.locator(".widget-slider")).first
        box.wait_for(state="attached", timeout=30_000)
        slider = box.locator(".widget-slider").first
        slider.scroll_into_view_if_needed()
        body = page.locator(".jp-NotebookPanel").inner_text()
        assert "Error displaying widget" not in body
        # move the slider with the keyboard: its readout changes and the widget's output is redrawn
        readout = slider.locator(".widget-readout")
        before = readout.inner_text()
        shown = box.locator(".widget-output").inner_html()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowLeft")
        if readout.inner_text() == before:  # already at its minimum
            handle.press("ArrowRight")
        page.wait_for_function("([el, old]) => el.innerText !== old", arg=[readout.element_handle(), before],
                               timeout=10_000)
        after = readout.inner_text()
        page.wait_for_function("([el, old]) => el.innerHTML !== old && el.innerHTML.length > 0",
                               arg=[box.locator(".widget-output").element_handle(), shown], timeout=60_000)
        errors = list(b.errors)
    seconds = time.perf_counter() - start
    print(f"\n{name} in JupyterLab: opened and started in {opened:.1f} s, all cells ran at {ran:.1f} s, "
          f"slider {before!r} -> {after!r} redrawn; {seconds:.1f} s in the browser; "
          f"requests blocked (not the local server): {sorted(set(b.blocked))}")
    assert after != before
    assert not errors, errors
    assert proc.poll() is None, "the server stopped during the test"
