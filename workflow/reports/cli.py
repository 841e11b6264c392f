"""``uppfoljning report …``: compute a report from the command line (rapport)."""

from __future__ import annotations

import sys
from datetime import date

import click
from sqlalchemy import select

from workflow import i18n
from workflow.engine.errors import WorkflowError
from workflow.schema.tables import ORG


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from exc


@click.command("report")
@click.argument("name")
@click.option("--org", "org", required=True, help="organisation code or id, e.g. SN or NORRMALM")
@click.option("--from", "start", callback=_date, help="first day of the period (default: 1 January of --year)")
@click.option("--to", "end", callback=_date, help="last day of the period (default: 31 December of --year)")
@click.option("--year", type=int, default=None, help="a calendar year instead of --from/--to")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "zip", "html", "pdf", "xlsx"]),
    default="json",
    show_default=True,
)
@click.option("--table", default=None, help="CSV: the table (by key); needed when the report has several")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True, help="language of the texts")
@click.option("--registry-number", "dnr", default=None, help="registry number (dnr) printed at the head of each page")
@click.option("--max-years", type=int, default=None, help="plan: flag units without a follow-up for this many years")
@click.option("--top", type=int, default=None, help="plan: providers to select per contract area")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="file (default: stdout)")
@click.pass_context
def report(
    ctx: click.Context,
    name: str,
    org: str,
    start: date | None,
    end: date | None,
    year: int | None,
    fmt: str,
    table: str | None,
    lang: str,
    dnr: str | None,
    max_years: int | None,
    top: int | None,
    output: str | None,
) -> None:
    """Compute report NAME (annual, terminations, decisions, plan, individual) for one organisation and period."""
    from workflow.clock import utcnow
    from workflow.engine.anchor import anchor_for_board_report
    from workflow.reports.catalogue import build_report
    from workflow.reports.render import Letterhead, render
    from workflow.runtime import engine_for
    from workflow.settings import get_settings

    if year is not None:
        start = start or date(year, 1, 1)
        end = end or date(year, 12, 31)
    if start is None or end is None:
        raise click.UsageError("give --year, or both --from and --to")
    if fmt in ("xlsx", "pdf", "zip") and output is None and sys.stdout.isatty():
        raise click.UsageError(f"a {fmt} file is binary: give --output FILE")
    engine = engine_for(ctx.obj["url"] if ctx.obj else None)
    with engine.connect() as conn:
        col = ORG.c.id if org.isdigit() else ORG.c.code
        org_id = conn.execute(select(ORG.c.id).where(col == (int(org) if org.isdigit() else org))).scalar()
        if org_id is None:
            raise click.BadParameter(f"no organisation {org!r}", param_hint="--org")
        try:
            options = {k: v for k, v in (("max_years_without_follow_up", max_years), ("top", top)) if v is not None}
            head = Letterhead(get_settings().municipality_name, dnr or "")
            report = build_report(conn, name, org_id, start, end, options=options or None)
            data = render(report, fmt, table, lang, head)
        except (WorkflowError, KeyError) as exc:
            raise click.UsageError(str(exc.args[0] if exc.args else exc)) from exc
    # A report to the board anchors the organisation's audit chain heads (signed, outside the database).
    anchor_for_board_report(engine, get_settings(), int(org_id), utcnow(), name)
    if output:
        with open(output, "wb") as f:
            f.write(data)
        message = i18n.gettext(lang, i18n.N_("Wrote %(size)s bytes to %(file)s."))
        click.echo(message % {"size": i18n.format_number(lang, len(data)), "file": output}, err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
