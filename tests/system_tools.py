"""System programs some tests need besides Python: WeasyPrint's Pango, and poppler to read PDFs back.

Like the browser tests' Chromium: when one is missing the test installs it if it may (root with
apt-get, under CI, ``UPPF_REQUIRE_PG=1`` or ``UPPF_INSTALL_TOOLS=1``); under CI a program still
missing fails the test, elsewhere it is skipped, so ``python3 dev.py test`` runs on a machine with
only Python and pip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

import pytest

PANGO_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")
POPPLER_PACKAGE = "poppler-utils"


def _may_install() -> bool:
    wanted = bool(os.environ.get("CI")) or any(
        os.environ.get(v) == "1" for v in ("UPPF_REQUIRE_PG", "UPPF_INSTALL_TOOLS")
    )
    return wanted and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _install(*packages: str) -> None:
    subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=False, capture_output=True, timeout=900)


def _missing(what: str, packages: tuple[str, ...]) -> None:
    hint = f"{what} is needed: apt-get install -y {' '.join(packages)}"
    if os.environ.get("CI"):
        pytest.fail(hint)
    pytest.skip(hint)


@lru_cache(maxsize=1)
def _weasyprint_loads() -> bool:
    from workflow.documents.pdf import html_to_pdf
    from workflow.engine.errors import Unavailable

    try:
        html_to_pdf("<!doctype html><title>x</title><p>x</p>")
    except (OSError, Unavailable):  # WeasyPrint loads Pango with ctypes when first imported
        return False
    return True


def need_pdf_printing() -> None:
    """WeasyPrint can print (the system's Pango is there), or the test installs it, skips or fails."""
    if _weasyprint_loads():
        return
    if _may_install():
        _install(*PANGO_PACKAGES)
        _weasyprint_loads.cache_clear()
        if _weasyprint_loads():
            return
    _missing("Pango (for WeasyPrint's PDF printing)", PANGO_PACKAGES)


def pdf_tool(tool: str) -> str:
    """The path of a poppler program (``pdftotext``, ``pdfinfo``, ``pdftoppm``), installed if it may be."""
    found = shutil.which(tool)
    if found is None and _may_install():
        _install(POPPLER_PACKAGE)
        found = shutil.which(tool)
    if found is None:
        _missing(f"{tool} (poppler)", (POPPLER_PACKAGE,))
    assert found is not None
    return found
