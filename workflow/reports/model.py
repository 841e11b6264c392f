"""The shape every report has (rapportmodell): titled tables of rows, with optional charts.

One shape lets a single renderer per format (JSON, CSV, HTML, Excel, PDF) serve every report.
Every text for people is an English source string of the gettext catalogue: titles, column
labels and chart titles as plain strings marked with ``N_``, notes and cell labels as
:class:`Msg` (a ``str`` that remembers its message, parameters, plural and machine code), so
:func:`workflow.reports.localize.localize` can put the whole report into Swedish or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Msg(str):
    """A text for people: reads as its English form, and remembers how to say it in another language.

    ``msgid`` is the catalogue's source string with ``%(name)s`` parameters; ``plural`` and ``n``
    choose the plural form; ``context`` and ``code`` name a machine code whose label the catalogue
    holds (``Msg("Weak finances", context="value", code="weak_finances")``). Parameters may be
    ``Msg`` themselves, numbers or dates; each is put into the target language too.
    """

    msgid: str
    plural: str | None
    n: int | None
    context: str | None
    code: str | None
    params: dict[str, Any]

    def __new__(
        cls,
        msgid: str,
        *,
        plural: str | None = None,
        n: int | None = None,
        context: str | None = None,
        code: str | None = None,
        **params: Any,
    ) -> Msg:
        if plural is not None:
            params = {"n": n, **params}
        text = plural if plural is not None and n != 1 else msgid
        english = text % {k: _english(v) for k, v in params.items()} if params else text
        obj = super().__new__(cls, english)
        obj.msgid, obj.plural, obj.n, obj.context, obj.code, obj.params = msgid, plural, n, context, code, params
        return obj


def Plural(singular: str, plural: str, n: int, **params: Any) -> Msg:
    """A text whose form follows ``n`` (``"%(n)s rescission"`` / ``"%(n)s rescissions"``); ``n`` is a parameter."""
    return Msg(singular, plural=plural, n=n, **params)


def _english(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Msg):
        return str(v)
    return v


@dataclass(frozen=True, slots=True)
class Column:
    """A column: key in each row, label for people, and how to show it."""

    key: str
    label: str
    kind: str = "text"  # text | int | pct | date | money | year | code (a registry number: never broken)


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart drawn from a table's rows: one bar per row, one segment or bar per series column."""

    title: str
    label_key: str
    series: tuple[str, ...]
    kind: str = "stacked"  # stacked (100 % of n) | grouped (counts side by side)


@dataclass
class Table:
    """One section of a report: a titled table with its rows (each a dict keyed by column key)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    chart: Chart | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{k: _plain(v) for k, v in r.items() if not k.startswith("_")} for r in self.rows],
            "note": self.note,
        }


@dataclass
class Report:
    """A computed report for one organisation and period."""

    name: str
    title: str
    organisation: dict[str, Any]
    period_from: date
    period_to: date
    generated_at: datetime
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        """The table with ``key``; raise ``KeyError`` naming the ones there are."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"no table {key!r}; tables: {', '.join(t.key for t in self.tables)}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "report": self.name,
            "title": self.title,
            "organisation": self.organisation,
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "generated_at": self.generated_at.isoformat(),
            "notes": self.notes,
            "tables": [t.as_dict() for t in self.tables],
        }


def pct(count: int, n: int) -> float | None:
    """Percentage of ``count`` in ``n``, one decimal, from the stored counts; ``None`` when n is 0."""
    if n <= 0:
        return None
    return round(100.0 * count / n, 1)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Msg):
        return str(v)
    return v
