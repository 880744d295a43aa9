"""Headless Chromium for the browser tests (tests/test_site.py, tests/test_lab_browser.py).

Debian's ``chromium`` package (``/usr/bin/chromium``; .ci/run installs it) driven by the pip
``playwright`` package (requirements-dev.txt). Playwright's own browser download is never used: it
cannot be fetched here. Where either is missing, :func:`skip_reason` says which and how to get it,
and the tests skip with that reason (pytest -ra lists it).

Pages may load only from the one local origin a test names (its own server on 127.0.0.1): every
other request is aborted and listed (a CDN script, for instance), so a test never reaches outside
this machine and a page that needs the network shows up in the list.
"""
from __future__ import annotations

import contextlib
import http.server
import os
import pathlib
import shutil
import socket
import threading

CHROMIUM = pathlib.Path(os.environ.get("UNLEARNKIT_CHROMIUM", "/usr/bin/chromium"))


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} not found: the browser tests need Debian's chromium package "
                "(`apt-get install chromium`, which .ci/run does when it runs as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def static_server(folder: pathlib.Path):
    """Serve ``folder`` at http://127.0.0.1:PORT/ from a thread; yields the base URL."""
    handler = lambda *a, **kw: _QuietHandler(*a, directory=str(folder), **kw)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Browser:
    """One headless Chromium with one page; requests outside ``origin`` are aborted and recorded."""

    def __init__(self, playwright, origin: str):
        self.origin = origin.rstrip("/")
        self.blocked: list[str] = []
        self.errors: list[str] = []  # uncaught JavaScript exceptions
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"{self.page.url}: {exc}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith((self.origin + "/", "data:", "blob:")) or url == self.origin:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self):
        with contextlib.suppress(Exception):
            self.context.close()
        self.browser.close()


@contextlib.contextmanager
def chromium(origin: str):
    """A :class:`Browser` allowed to load from ``origin`` only; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = Browser(pw, origin)
        try:
            yield b
        finally:
            b.close()


def jupyter_exe() -> pathlib.Path | None:
    """The ``jupyter`` command of the environment running the tests (.venv under `make test`)."""
    import sys

    exe = pathlib.Path(sys.executable).parent / "jupyter"
    if exe.exists():
        return exe
    found = shutil.which("jupyter")
    return pathlib.Path(found) if found else None
