"""``uppfoljning board …``: generate a board matter (tjänsteutlåtande) from the command line.

The command acts as a named user of the database (``--as``), with that user's organisation and roles, through
the same command as the API (:class:`workflow.board.commands.GenerateBoardMatter`). Messages for people are in
the catalogue (Swedish by default, ``--locale en`` for English).
"""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from workflow import i18n
from workflow.engine.errors import WorkflowError


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from exc


@click.group("board")
def board() -> None:
    """The board's work: board matters."""


@board.command("generate")
@click.argument("matter_type", type=click.Choice(["annual", "terminations", "decisions", "termination"]))
@click.option("--as", "username", required=True, help="the user who generates it, e.g. norrmalm.sekreterare")
@click.option("--registry-number", required=True, help="the matter's registry number (diarienummer)")
@click.option("--year", type=int, default=None, help="a report matter: the calendar year")
@click.option("--from", "start", callback=_date, help="a report matter: first day of the period")
@click.option("--to", "end", callback=_date, help="a report matter: last day of the period")
@click.option("--case", "case_id", type=int, default=None, help="a termination matter: the agreement case")
@click.option("--measure", type=click.Choice(["terminate", "rescind"]), default=None, help="a termination matter")
@click.option(
    "--ground", default=None, help="a termination matter: the ground (termination reason or rescission ground)"
)
@click.option("--title", default=None, help="the title (default: made from the type and period)")
@click.option("--locale", type=click.Choice(list(i18n.LOCALES)), default=i18n.DEFAULT_LOCALE, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="also write the HTML document here")
@click.option("--pdf", "pdf_output", type=click.Path(dir_okay=False), default=None, help="also write it as PDF here")
@click.pass_context
def generate(
    ctx: click.Context,
    matter_type: str,
    username: str,
    registry_number: str,
    year: int | None,
    start: date | None,
    end: date | None,
    case_id: int | None,
    measure: str | None,
    ground: str | None,
    title: str | None,
    locale: str,
    output: str | None,
    pdf_output: str | None,
) -> None:
    """Generate and store a board matter of MATTER_TYPE with the organisation's current template."""
    from workflow.accounts import find_account
    from workflow.board import queries
    from workflow.board.commands import GenerateBoardMatter
    from workflow.bootstrap import bootstrap
    from workflow.engine.firing import Actor
    from workflow.runtime import engine_for
    from workflow.settings import get_settings

    _ = lambda message: i18n.gettext(locale, message)  # noqa: E731
    if year is not None:
        if start is not None or end is not None:
            raise click.UsageError(_("Give --year, or --from and --to, not both."))
        start, end = date(year, 1, 1), date(year, 12, 31)
    app = bootstrap(get_settings(), engine_for((ctx.obj or {}).get("url")))
    account = find_account(app.uow, username)
    if account is None or not account.active:
        raise click.UsageError(_("No active user %(name)s.") % {"name": username})
    actor = Actor(account.user_id, account.organisation_id, account.roles)
    try:
        done = app.execute(
            GenerateBoardMatter(matter_type, registry_number, start, end, case_id, measure, ground, title, {}, locale),
            actor,
        )
        matter = queries.matter(app.uow, actor, done.id)
    except WorkflowError as exc:
        rule = exc.context.get("rule", exc.code)
        raise click.ClickException(f"{exc.message} ({rule})") from exc
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(str(matter["html"]))
    if pdf_output:
        from workflow.documents.pdf import html_to_pdf

        with open(pdf_output, "wb") as fb:
            fb.write(html_to_pdf(str(matter["html"])))
    click.echo(
        _("Board matter %(id)s (%(registry_number)s) stored with template version %(version)s.")
        % {"id": done.id, "registry_number": done.registry_number, "version": done.template_version},
        err=True,
    )
    json.dump(
        {"id": done.id, "registry_number": done.registry_number, "title": done.title}, sys.stdout, ensure_ascii=False
    )
    sys.stdout.write("\n")
