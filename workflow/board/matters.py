"""Board matters (tjänsteutlåtanden) composed from the reports and the case register.

The figures and lists come from the report query functions (:func:`workflow.reports.board_queries.report`)
and the case view (:func:`workflow.cases.queries.case_view`), never counted again here; the text around them
is the organisation's current template (:mod:`workflow.board.templates`). The product wraps the body in a
print-ready A4 document with the municipality's name and the registry number in every page's header.
A generated matter is stored with its HTML, so what went to the board stays as it was; its PDF is that HTML
through :func:`workflow.documents.pdf.html_to_pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy import Connection, select

from states import params as P
from workflow import i18n
from workflow.board import templates
from workflow.cases.scoping import Viewer, sees_individuals
from workflow.engine.errors import InvalidInput
from workflow.reports import terminations
from workflow.reports.catalogue import build_report
from workflow.reports.localize import Translator, localize
from workflow.reports.model import Msg, Report
from workflow.reports.render import css_string
from workflow.reports.scope import Period
from workflow.schema.tables import BOARD_TEMPLATE

#: The agreement states from which a termination or rescission may be put to the board.
LIVE_AGREEMENT_STATES = ("active", "suspended", "termination_investigation")
#: What the board may be asked to decide about a single agreement, and the grounds each takes.
MEASURES = {"terminate": P.TERMINATION_REASON.choices, "rescind": P.RESCISSION_GROUND.choices}
MEASURE_LABELS = {"terminate": i18n.N_("termination"), "rescind": i18n.N_("rescission")}
TITLES = {
    "annual": i18n.N_("Annual report on the follow-up of providers %(start)s – %(end)s"),
    "terminations": i18n.N_("Terminated and rescinded agreements %(start)s – %(end)s"),
    "decisions": i18n.N_("Report of decisions taken under delegation %(start)s – %(end)s"),
    "termination": i18n.N_("Proposed %(measure)s of agreement %(agreement)s"),
}
#: Free texts the author may give a matter; the template decides where they stand.
INPUT_FIELDS = ("background", "assessment", "proposal")
MAX_INPUT = 4000


@dataclass(frozen=True, slots=True)
class Template:
    """The template a matter is rendered with: stored (id and version) or the product's own (version 0)."""

    id: int | None
    version: int
    source: str

    @property
    def label(self) -> str:
        return f"v{self.version}" if self.id is not None else "v0"


@dataclass(frozen=True, slots=True)
class Composed:
    """A rendered matter, ready to be stored."""

    title: str
    html: str
    template: Template


@dataclass(frozen=True, slots=True)
class Subject:
    """What a matter is about: a report for a period, or an agreement case with the proposed measure."""

    matter_type: str
    start: date | None = None
    end: date | None = None
    report: Report | None = None
    case: dict[str, Any] | None = None
    measure: str | None = None
    ground: str | None = None
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)


def report_data(
    conn: Connection, viewer: Viewer, name: str, start: date, end: date
) -> tuple[Report, dict[str, list[dict[str, Any]]]]:
    """The report (the catalogue's query function, scoped for the viewer) and, in the same transaction, the rows
    it lists with their machine codes, so a Swedish matter labels grounds and measures from the catalogue."""
    report = build_report(conn, name, viewer.organisation_id, start, end, sees_individuals=sees_individuals(viewer))
    details: dict[str, list[dict[str, Any]]] = {}
    if name == "terminations":
        details["ended_agreements"] = terminations.ended_agreements(conn, viewer.organisation_id, Period(start, end))
    return report, details


def current_template(conn: Connection, organisation_id: int, matter_type: str) -> Template:
    """The organisation's newest stored version of ``matter_type``'s template, else the shipped one."""
    templates.require_type(matter_type)
    row = conn.execute(
        select(BOARD_TEMPLATE.c.id, BOARD_TEMPLATE.c.version, BOARD_TEMPLATE.c.source)
        .where(BOARD_TEMPLATE.c.organisation_id == organisation_id, BOARD_TEMPLATE.c.matter_type == matter_type)
        .order_by(BOARD_TEMPLATE.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return Template(None, templates.SHIPPED_VERSION, templates.shipped_source(matter_type))
    return Template(int(row.id), int(row.version), str(row.source))


def clean_inputs(inputs: dict[str, str] | None) -> dict[str, str]:
    """The author's free texts, each known and at most :data:`MAX_INPUT` characters; missing ones empty."""
    given = dict(inputs or {})
    unknown = set(given) - set(INPUT_FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown text field(s) {sorted(unknown)}; a matter takes {', '.join(INPUT_FIELDS)}", rule="matter_input"
        )
    out = {}
    for name in INPUT_FIELDS:
        text = str(given.get(name) or "").strip()
        if len(text) > MAX_INPUT:
            raise InvalidInput(f"{name} is longer than {MAX_INPUT} characters", rule="matter_input")
        out[name] = text
    return out


def check_proposal(case: dict[str, Any], measure: str | None, ground: str | None) -> None:
    """A single termination or rescission: an agreement case still live, a known measure and its ground."""
    if case["case_type"] != "agreement":
        raise InvalidInput(
            f"case {case['id']} is a {case['case_type']} case; a termination is put to the board on an agreement case",
            rule="matter_case",
        )
    if case["status"] not in LIVE_AGREEMENT_STATES:
        raise InvalidInput(
            f"agreement case {case['id']} is {case['status']}; only a live agreement can be put to the board",
            rule="matter_case",
        )
    if measure not in MEASURES:
        raise InvalidInput(f"measure must be one of {', '.join(MEASURES)}", rule="matter_input")
    if ground not in MEASURES[measure]:
        raise InvalidInput(
            f"the ground for {measure} must be one of {', '.join(MEASURES[measure])}", rule="matter_input"
        )


def _report_context(report: Report, locale: str) -> dict[str, Any]:
    """The report in the matter's language (texts for people through the catalogue; numbers and dates stay)."""
    report = localize(report, locale)
    return {
        "title": report.title,
        "notes": list(report.notes),
        "tables": {t.key: {"title": t.title, "note": t.note, "rows": [dict(r) for r in t.rows]} for t in report.tables},
    }


def title_of(subject: Subject, locale: str) -> str:
    """The matter's default title in ``locale``."""
    if subject.matter_type == "termination":
        assert subject.case is not None and subject.measure is not None
        return i18n.gettext(locale, TITLES["termination"]) % {
            "measure": i18n.gettext(locale, MEASURE_LABELS[subject.measure]),
            "agreement": subject.case["agreement_registry_number"] or "",
        }
    assert subject.start is not None and subject.end is not None
    return i18n.gettext(locale, TITLES[subject.matter_type]) % {
        "start": i18n.format_day(locale, subject.start, "short"),
        "end": i18n.format_day(locale, subject.end, "short"),
    }


@lru_cache(maxsize=len(i18n.LOCALES))
def _document_environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates.SHIPPED),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    return env


def compose(
    subject: Subject,
    template: Template,
    *,
    organisation: dict[str, Any],
    registry_number: str,
    title: str | None,
    today: date,
    locale: str,
) -> Composed:
    """Render the matter's body with ``template`` in the sandbox and wrap it in the print-ready document."""
    title = (title or "").strip() or title_of(subject, locale)
    if len(title) > 300:
        raise InvalidInput("the title is longer than 300 characters", rule="matter_input")
    matter = {
        "type": subject.matter_type,
        "title": title,
        "registry_number": registry_number,
        "period_from": subject.start,
        "period_to": subject.end,
        "organisation": {"name": organisation["name"], "code": organisation["code"]},
        "date": i18n.format_day(locale, today, "short"),
        "template_label": template.label,
    }
    context: dict[str, Any] = {"matter": matter, "inputs": dict(subject.inputs)}
    if subject.report is not None:
        report = _report_context(subject.report, locale)
        context["report"] = report
        context["tables"] = report["tables"]
        tr = Translator(locale)
        context["details"] = {
            key: [{k: tr.msg(v) if isinstance(v, Msg) else v for k, v in row.items()} for row in rows]
            for key, rows in subject.details.items()
        }
    if subject.case is not None:
        context["case"] = subject.case
        context["proposal"] = {
            "measure": subject.measure,
            "measure_label": i18n.gettext(locale, MEASURE_LABELS[subject.measure or "terminate"]),
            "ground": subject.ground,
        }
    body = templates.render(template.source, context, locale)
    html = (
        _document_environment(locale)
        .get_template("document.html")
        .render(
            matter=matter,
            body=Markup(body),
            locale=locale,
            css_string=css_string,
            registry_label=i18n.gettext(locale, "Reg. no."),
        )
    )
    return Composed(title, html, template)
