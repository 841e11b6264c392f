"""A report in the reader's language (översättning): every text for people from the gettext catalogue.

The report modules write English source strings (``N_``-marked titles and column labels,
:class:`~workflow.reports.model.Msg` notes and cell labels). :func:`localize` returns a copy of
a report in which each of them is Swedish (the default) or English, machine codes shown by
their catalogue label, and the rows that hold a total marked (``_total``), so every renderer
works from one localized report and none of them translates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from workflow.i18n import DEFAULT_LOCALE, LOCALES, format_day, format_number, translations
from workflow.reports.model import Chart, Column, Msg, Report, Table

#: Source strings that read the same in every language (symbols), never counted as untranslated.
SAME_EVERYWHERE = frozenset({"n", "%", "", "–"})
_PARAM = re.compile(r"%\(\w+\)s")
TOTAL = "Total"


@dataclass
class Translator:
    """Puts source strings into ``locale``; remembers every string the catalogue lacked (``missing``)."""

    locale: str = DEFAULT_LOCALE
    missing: set[str] = field(default_factory=set)

    def text(self, source: str) -> str:
        """A title, label or note: a ``Msg`` with its parameters, or a plain source string."""
        if isinstance(source, Msg):
            return self.msg(source)
        return self._gettext(source)

    def msg(self, m: Msg) -> str:
        """A ``Msg`` in the locale: the code's catalogue label, else its message with parameters."""
        t = translations(self.locale)
        if m.context and m.code:
            found = str(t.pgettext(m.context, m.code))
            if found != m.code:
                return found
        if m.plural is not None:
            text = str(t.ngettext(m.msgid, m.plural, m.n if m.n is not None else 0))
            if self.locale != "en" and text in (m.msgid, m.plural):
                self.missing.add(m.msgid)
        else:
            text = self._gettext(m.msgid)
        if not m.params:
            return text
        return text % {k: self.value(v) for k, v in m.params.items()}

    def value(self, v: Any) -> Any:
        """A parameter or cell for people: messages translated, numbers and dates in the locale's form."""
        if isinstance(v, Msg):
            return self.msg(v)
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, int | float):
            return format_number(self.locale, v)
        if isinstance(v, datetime | date):
            return format_day(self.locale, v if isinstance(v, date) else v.date(), "short")
        return v

    def _gettext(self, source: str) -> str:
        if source in SAME_EVERYWHERE or not any(ch.isalpha() for ch in _PARAM.sub("", source)):
            return source
        found = str(translations(self.locale).gettext(source))
        if found == source and self.locale != "en":
            self.missing.add(source)
        return found


def localize(report: Report, locale: str = DEFAULT_LOCALE, translator: Translator | None = None) -> Report:
    """``report`` with every text for people in ``locale`` (``sv`` or ``en``); numbers stay numbers."""
    tr = translator or Translator(locale if locale in LOCALES else DEFAULT_LOCALE)
    return replace(
        report,
        title=tr.text(report.title),
        notes=[tr.text(n) for n in report.notes],
        tables=[_table(t, tr) for t in report.tables],
    )


def _table(t: Table, tr: Translator) -> Table:
    first = t.columns[0].key if t.columns else None
    rows = []
    for r in t.rows:
        out = {k: (tr.msg(v) if isinstance(v, Msg) else v) for k, v in r.items()}
        if first is not None and r.get(first) == TOTAL:
            out["_total"] = True
        rows.append(out)
    chart = t.chart and Chart(tr.text(t.chart.title), t.chart.label_key, t.chart.series, t.chart.kind)
    return Table(
        t.key,
        tr.text(t.title),
        [Column(c.key, tr.text(c.label), c.kind) for c in t.columns],
        rows,
        note=tr.text(t.note) if t.note else "",
        chart=chart,
    )
