"""``uppfoljning import``: a municipality's register and history from an Excel workbook or CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from workflow.i18n import LOCALES, N_, cli_locale, gettext
from workflow.i18n import say as _say
from workflow.imports.run import ImportReport

#: The kinds' names as a person reads them (the catalogue translates them).
KIND_LABELS = {
    "organisations": N_("Organisations"),
    "users": N_("Users"),
    "contract_areas": N_("Contract areas"),
    "providers": N_("Providers"),
    "agreements": N_("Agreements"),
    "placements": N_("Placements"),
    "history": N_("History"),
}


def summary(report: ImportReport, locale: str) -> list[str]:
    """The report as lines for a person: what was done, per kind what was created, unchanged or refused, bad rows."""

    def _(message: str) -> str:
        return gettext(locale, message)

    if report.dry_run:
        head = _("Dry run of %(file)s: nothing was saved.")
    elif report.committed:
        head = _("Import of %(file)s: saved.")
    else:
        head = _("Import of %(file)s: nothing was saved, because %(count)d row(s) were refused.")
    lines = [head % {"file": report.filename, "count": len({(e.kind, e.where) for e in report.errors})}]
    for kind, c in report.counts.items():
        lines.append(
            _("%(kind)s: %(created)d created, %(unchanged)d unchanged, %(errors)d refused")
            % {"kind": _(KIND_LABELS[kind]), "created": c.created, "unchanged": c.unchanged, "errors": c.errors}
        )
    if report.errors:
        lines.append(_("Refused rows:"))
    for e in report.errors:
        where = _("row %(row)s") % {"row": e.where}
        if e.column:
            where += ", " + _("column %(column)s") % {"column": e.column}
        rule = _("rule")  # outside the f-string: the catalogue's extractor does not read inside one
        lines.append(f"  {_(KIND_LABELS[e.kind])}, {where}: {e.message} ({rule} {e.rule})")
    return lines


@click.command(
    "import",
    help=_say(
        N_(
            "Import PATH (an .xlsx workbook with one sheet per kind, or a CSV file of one kind) all or nothing: "
            "every row through the same commands as the API; nothing is saved when a row is refused."
        )
    ),
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind",
    default=None,
    help=_say(N_("what a CSV file holds (default: from its name), e.g. agreements or avtal")),
)
@click.option(
    "--organisation",
    "organisation",
    default=None,
    help=_say(N_("the organisation's code (checked against --as)")),
)
@click.option("--as", "username", required=True, help=_say(N_("the username the import acts as")))
@click.option("--dry-run", is_flag=True, help=_say(N_("check every row and report, save nothing")))
@click.option("--delimiter", default=None, type=click.Choice([";", ",", "\t"]), help=_say(N_("the CSV delimiter")))
@click.option(
    "--lang",
    default=cli_locale(),
    type=click.Choice(LOCALES),
    show_default=True,
    help=_say(N_("language of the summary (default: UPPF_CLI_LANGUAGE, else Swedish)")),
)
@click.pass_context
def import_command(
    ctx: click.Context,
    path: str,
    kind: str | None,
    organisation: str | None,
    username: str,
    dry_run: bool,
    delimiter: str | None,
    lang: str,
) -> None:
    from workflow.bootstrap import bootstrap
    from workflow.engine.errors import WorkflowError
    from workflow.imports.run import ImportFile, importing_actor
    from workflow.runtime import engine_for

    def _(message: str) -> str:
        return gettext(lang, message)

    app = bootstrap(engine=engine_for(ctx.obj["url"]))
    try:
        actor = app.uow.read(lambda conn: importing_actor(conn, username, organisation))
        report = app.execute(
            ImportFile(Path(path).name, Path(path).read_bytes(), kind, delimiter, dry_run, via="cli"), actor
        )
    except WorkflowError as exc:
        rule = exc.context.get("rule", exc.code)
        refused, rule_word = _("The import was refused"), _("rule")
        raise click.ClickException(f"{refused}: {exc.message} ({rule_word} {rule})") from exc
    for line in summary(report, lang):
        click.echo(line)
    if report.errors:
        ctx.exit(1)
