""".ci/install-chromium: quiet when chromium is there, never fails CI when apt-get cannot install it.

Runs the script with stand-in commands (a fake ``apt-get`` and ``id`` first on PATH), so nothing is
installed and no network is used.
"""
from __future__ import annotations

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "install-chromium"


def _run(tmp_path, chromium: str, apt_exit: int):
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "apt-get").write_text(f"#!/bin/sh\necho \"apt-get $*\" >> {tmp_path}/apt.log\n"
                                  f"echo 'E: Could not reach the archive' >&2\nexit {apt_exit}\n")
    (fake / "id").write_text("#!/bin/sh\necho 0\n")  # as root, like CI
    for f in fake.iterdir():
        f.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin", UNLEARNKIT_CHROMIUM=chromium)
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)


def test_install_chromium_does_nothing_when_present(tmp_path):
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    proc = _run(tmp_path, str(present), apt_exit=100)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert not (tmp_path / "apt.log").exists(), "apt-get ran although chromium was there"


def test_install_chromium_says_why_and_succeeds_when_apt_fails(tmp_path):
    proc = _run(tmp_path, str(tmp_path / "missing"), apt_exit=100)
    assert proc.returncode == 0, proc.stderr
    assert "could not install chromium" in proc.stdout and "browser tests will be skipped" in proc.stdout
    assert "Could not reach the archive" in proc.stdout
    assert (tmp_path / "apt.log").read_text().startswith("apt-get update")
