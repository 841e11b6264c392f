"""Reading a board matter's HTML in tests: its table rows by class, each cell's text (stdlib parser only)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Rows(HTMLParser):
    def __init__(self, row_class: str) -> None:
        super().__init__()
        self.row_class = row_class
        self.rows: list[dict[str, object]] = []
        self._row: dict[str, object] | None = None
        self._cell: list[str] | None = None
        self._cell_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and self.row_class in (a.get("class") or "").split():
            self._row = {"attrs": a, "cells": []}
        elif tag == "td" and self._row is not None:
            self._cell, self._cell_class = [], a.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            cells = self._row["cells"]
            assert isinstance(cells, list)
            cells.append((self._cell_class, " ".join("".join(self._cell).split())))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rows(html: str, row_class: str) -> list[dict[str, object]]:
    """Every ``<tr class=row_class>``: its attributes and its cells as (class, text)."""
    parser = _Rows(row_class)
    parser.feed(html)
    return parser.rows


def sections(html: str) -> list[str]:
    """The text of every ``<h2>``, in order."""

    class _H2(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.out: list[str] = []
            self._in = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "h2":
                self._in = True
                self.out.append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "h2":
                self._in = False

        def handle_data(self, data: str) -> None:
            if self._in:
                self.out[-1] += data

    p = _H2()
    p.feed(html)
    return [" ".join(t.split()) for t in p.out]
