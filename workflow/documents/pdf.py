"""HTML to PDF (pdf) with WeasyPrint, in the product's own fonts: reports today, board matters next.

:func:`html_to_pdf` is the one function every printable document goes through. The document
brings its own print CSS (``@page`` size A4, margins, page numbers in the margin boxes); this
module adds only the vendored DejaVu Sans (``workflow/static/fonts``, Bitstream Vera licence, in
``LICENSE-DejaVu.txt``), so a PDF looks the same on every machine and nothing is fetched from the
network: WeasyPrint may read ``file:`` URLs below the fonts folder and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog

from workflow.engine.errors import Unavailable

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
#: The family every printed document names first.
FAMILY = "DejaVu Sans"
FONT_CSS = f"""
@font-face {{ font-family: "{FAMILY}"; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); font-weight: normal; }}
@font-face {{ font-family: "{FAMILY}"; src: url("{(FONTS / "DejaVuSans-Bold.ttf").as_uri()}"); font-weight: bold; }}
html {{ font-family: "{FAMILY}", sans-serif; }}
"""
log = structlog.get_logger("workflow.documents.pdf")


def _fetch_local_fonts(url: str, timeout: int = 10, ssl_context: Any = None) -> Any:
    """WeasyPrint's URL fetcher, limited to the vendored fonts: a document cannot make it read anything else."""
    from weasyprint.urls import default_url_fetcher

    if not url.startswith(FONTS.as_uri() + "/"):
        raise ValueError("only the product's own fonts are loaded when printing")
    return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a complete HTML document (its ``@page`` rules decide size, margins and page numbers)."""
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except OSError as exc:  # WeasyPrint loads the system's Pango with ctypes when first imported
        raise Unavailable(
            "PDF printing is not available on this server: WeasyPrint needs the system's Pango "
            "(apt-get install libpango-1.0-0 libpangoft2-1.0-0); HTML, Excel and CSV work without it",
            rule="pdf_printing",
        ) from exc

    fonts = FontConfiguration()
    doc = HTML(string=html, url_fetcher=_fetch_local_fonts)
    pdf = doc.write_pdf(stylesheets=[CSS(string=FONT_CSS, font_config=fonts)], font_config=fonts)
    assert pdf is not None
    log.debug("document.pdf", bytes=len(pdf))
    return pdf
