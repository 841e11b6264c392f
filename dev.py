#!/usr/bin/env python3
"""Set up and run Uppföljning with nothing but Python 3.11 and pip.

    python3 dev.py run     # install into .venv, then start the API + scheduler on SQLite with demo data
    python3 dev.py test    # install into .venv, then run the whole test suite (SQLite and PostgreSQL)

Extra arguments after ``test`` go to pytest; after ``run`` to ``uppfoljning serve``. ``test`` runs the tests in
one process per core (pytest-xdist, a test file's tests in one process, so module fixtures are built once; the
few long-running tests are spread and started first, see tests/spreading.py); ``-n 0`` runs them in this one
process, ``-n N`` in N.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".dev-installed"


def ensure_env() -> None:
    """Create .venv and install the project with its test extras when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("Python 3.11 or newer is needed")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing dependencies into .venv …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test,bench]"], check=True)
    STAMP.write_text(digest)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "setup"}:
        print(__doc__)
        return 2
    ensure_env()
    cmd, rest = sys.argv[1], sys.argv[2:]
    os.chdir(ROOT)
    if cmd == "setup":
        return 0
    if cmd == "run":
        os.environ.setdefault("UPPF_ENVIRONMENT", "development")  # opens the staff pages' development sign-in
        return subprocess.call([str(BIN / "uppfoljning"), "serve", *rest])
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *parallel(rest), *rest])


def parallel(args: list[str]) -> list[str]:
    """xdist's options for ``test``, unless the arguments choose for themselves."""
    chosen = {"-n", "--numprocesses", "--dist", "no:xdist"}
    if any(a in chosen or a.startswith(("-n", "--numprocesses=", "--dist=")) for a in args):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


if __name__ == "__main__":
    sys.exit(main())
