"""Pages of a list (sidor): by page number, or after a cursor (keyset), always with the total count.

A cursor is opaque to clients: the sort it was made for and the sort-key values of the last
row it ended on. The next page starts right after that row, so rows added or removed meanwhile
never shift it (as an offset would), and it costs the same on the last page as on the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, or_, select

from workflow.engine.errors import InvalidInput

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a reader asks for: ``page`` (from 1), or the page after ``cursor``; ``page_size`` rows."""

    page: int = 1
    page_size: int = 25
    cursor: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"page_size must be between 1 and {MAX_PAGE_SIZE}", rule="page_size")
        if self.page < 1:
            raise InvalidInput("page must be 1 or more", rule="page")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows (as mappings), the total count, and the cursor of the page after it (if any)."""

    items: list[dict[str, Any]]
    total: int
    page: int | None
    page_size: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a list's order: the row's field ``name``, its expression, direction, and whether it may be null.

    Nulls sort last in either direction (on both databases).
    """

    name: str
    expr: Any
    descending: bool = False
    nullable: bool = False

    def order_by(self) -> list[Any]:
        """The ORDER BY terms of this key.

        ``NULLS LAST`` rather than an ``IS NULL`` term first: both databases then read an index on the key in
        order (PostgreSQL's ascending B-tree keeps nulls last; SQLite 3.30 and later walks the nulls after the
        rest) instead of sorting every matching row.
        """
        term = self.expr.desc() if self.descending else self.expr.asc()
        return [term.nulls_last()] if self.nullable else [term]

    def after(self, value: Any) -> ColumnElement[bool]:
        """Rows that sort strictly after ``value`` on this key."""
        if value is None:
            return false()  # nulls are last: nothing sorts after a null but its ties
        beyond = self.expr < value if self.descending else self.expr > value
        return or_(beyond, self.expr.is_(None)) if self.nullable else beyond

    def equal(self, value: Any) -> ColumnElement[bool]:
        """Rows tied with ``value`` on this key."""
        return self.expr.is_(None) if value is None else self.expr == value  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Order:
    """A named order of a list: its keys, the last of which is unique (the id)."""

    name: str
    keys: Sequence[SortKey]

    def order_by(self) -> list[Any]:
        return [term for key in self.keys for term in key.order_by()]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows after the one with these key values (lexicographic, null-aware)."""
        branches = []
        for i, key in enumerate(self.keys):
            ties = [k.equal(v) for k, v in zip(self.keys[:i], values[:i], strict=True)]
            branches.append(and_(*ties, key.after(values[i])))
        return or_(*branches)


def fetch(
    conn: Connection, query: Select[Any], order: Order, request: PageRequest, count: Select[Any] | None = None
) -> Page:
    """The page ``request`` asks for of ``query`` (not yet ordered) in ``order``, with the total count.

    ``count`` counts the same rows more cheaply where the caller knows how (without the joins that only add
    columns); by default the query's rows are counted.
    """
    if count is None:
        count = select(func.count()).select_from(query.order_by(None).subquery())
    total = int(conn.execute(count).scalar_one())
    ordered = query.order_by(*order.order_by()).limit(request.page_size + 1)
    if request.cursor is not None:
        ordered = ordered.where(order.after(_decode(request.cursor, order)))
        page = None
    else:
        ordered = ordered.offset((request.page - 1) * request.page_size)
        page = request.page
    rows = [dict(r) for r in conn.execute(ordered).mappings().all()]  # one fetch, not one per row
    more = len(rows) > request.page_size
    rows = rows[: request.page_size]
    cursor = _encode(order, [rows[-1][k.name] for k in order.keys]) if more else None
    return Page(rows, total, page, request.page_size, cursor)


def _encode(order: Order, values: list[Any]) -> str:
    raw = json.dumps([order.name, [_plain(v) for v in values]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, text), *_ = value.items()
        if tag == "dt":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
    if value is None or isinstance(value, int | str):
        return value
    raise ValueError("unexpected cursor value")


def _decode(cursor: str, order: Order) -> list[Any]:
    """The key values in ``cursor``; refused if it was not made by this list in this order."""
    try:
        name, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        typed = [_typed(v) for v in values]
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidInput("the cursor is not one this list gave out", rule="cursor") from exc
    if name != order.name or len(typed) != len(order.keys):
        raise InvalidInput(f"the cursor was made for another sort than {order.name!r}", rule="cursor")
    return typed
