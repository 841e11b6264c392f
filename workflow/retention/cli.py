"""``uppfoljning retention``: load and show the retention schedule, run the purge (gallring) by hand."""

from __future__ import annotations

from pathlib import Path

import click

from workflow.i18n import DEFAULT_LOCALE, LOCALES, N_, format_day, format_instant, gettext


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from workflow.runtime import engine_for

    return engine_for(ctx.find_root().obj["url"])


def _organisations(engine, code: str | None) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from workflow.schema.db import read
    from workflow.schema.tables import ORG

    with read(engine) as conn:
        q = select(ORG.c.id, ORG.c.code).order_by(ORG.c.id)
        if code is not None:
            q = q.where(ORG.c.code == code)
        orgs = [(int(i), str(c)) for i, c in conn.execute(q)]
    if code is not None and not orgs:
        raise click.ClickException(f"unknown organisation {code}")
    return orgs


_LANG = click.option("--lang", type=click.Choice(LOCALES), default=DEFAULT_LOCALE, show_default=True)
_ORG = click.option("--org", "org_code", default=None, help="one organisation's code (default: every organisation)")

#: Labels of the record kinds, actions and anchors (machine codes stay English).
KIND_LABELS = {
    "placement_client_ref": N_("Client references of placements"),
    "individual_case_texts": N_("Free texts of individual-level cases"),
    "outbox_message_bodies": N_("E-mail texts in the outbox"),
    "access_log_entries": N_("Log entries of reads of individual-level records"),
}
ACTION_LABELS = {
    "pseudonymise": N_("pseudonymised"),
    "blank": N_("blanked"),
    "delete": N_("deleted"),
}
RULE_ACTIONS = {
    "pseudonymise": N_("pseudonymise"),
    "blank": N_("blank"),
    "delete": N_("delete"),
}
ANCHOR_LABELS = {
    "placement_ended": N_("after the placement ended"),
    "case_closed": N_("after the case was closed"),
    "message_created": N_("after the message was written"),
    "read_logged": N_("after the read was logged"),
}


@click.group("retention")
def retention() -> None:
    """Retention (gallring) of personal data: the schedule, the purge and its log."""


@retention.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@_LANG
@click.pass_context
def load(ctx: click.Context, path: str | None, lang: str) -> None:
    """Store the retention schedule versions in PATH (default: the bundled demo schedule)."""
    from workflow.engine.errors import InvalidInput
    from workflow.retention.schedule import DEFAULT_FILE, load_file

    try:
        with _engine(ctx).begin() as conn:
            added = load_file(conn, Path(path) if path else DEFAULT_FILE)
    except InvalidInput as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(gettext(lang, N_("{n} retention schedule version(s) stored")).format(n=added))


@retention.command("show")
@_ORG
@_LANG
@click.pass_context
def show(ctx: click.Context, org_code: str | None, lang: str) -> None:
    """The retention schedule in force today and the newest rows of the purge log."""
    from workflow.clock import utcnow
    from workflow.deadlines.calendar import local_date
    from workflow.retention.queries import purge_log, schedule_in_force
    from workflow.schema.db import read

    engine = _engine(ctx)
    today = local_date(utcnow())
    t = lambda m: gettext(lang, m)  # noqa: E731
    for org_id, code in _organisations(engine, org_code):
        with read(engine) as conn:
            schedule = schedule_in_force(conn, org_id, today)
            entries = purge_log(conn, org_id)
        if schedule is None:
            click.echo(f"{code}: " + t(N_("no retention schedule in force; nothing is purged")))
            continue
        click.echo(
            f"{code}: "
            + t(N_("retention schedule {version} ({registry_number}), valid from {valid_from}")).format(
                version=schedule.version,
                registry_number=schedule.registry_number,
                valid_from=format_day(lang, schedule.valid_from),
            )
        )
        for r in schedule.rules:
            if r.months:
                period = t(N_("{years} years {months} months")).format(years=r.years, months=r.months)
            else:
                period = t(N_("{years} years")).format(years=r.years)
            click.echo(
                f"  - {t(KIND_LABELS[r.record_kind])}: {t(RULE_ACTIONS[r.action])} {period} "
                f"{t(ANCHOR_LABELS[r.anchor])} ({r.legal_basis})"
            )
        click.echo("  " + t(N_("Purge log (newest first):")))
        if not entries:
            click.echo("    " + t(N_("nothing purged yet")))
        for e in entries:
            click.echo(
                "    "
                + t(N_("{at}: {kind}: {records} {action}, before {before} (version {version})")).format(
                    at=format_instant(lang, e.purged_at),
                    records=e.records,
                    kind=t(KIND_LABELS.get(e.record_kind, e.record_kind)),
                    action=t(ACTION_LABELS.get(e.action, e.action)),
                    before=format_day(lang, e.anchored_before),
                    version=e.schedule_version,
                )
            )


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="count what would be purged and change nothing")
@_ORG
@_LANG
@click.pass_context
def run(ctx: click.Context, dry_run: bool, org_code: str | None, lang: str) -> None:
    """Purge personal data past its time under each organisation's schedule in force today."""
    from workflow.bootstrap import bootstrap
    from workflow.engine.firing import Actor
    from workflow.retention.commands import RunRetention

    engine = _engine(ctx)
    app = bootstrap(engine=engine)
    t = lambda m: gettext(lang, m)  # noqa: E731
    for org_id, code in _organisations(engine, org_code):
        result = app.execute(RunRetention(dry_run=dry_run), Actor.system(org_id))
        if result.schedule_version is None:
            click.echo(f"{code}: " + t(N_("no retention schedule in force; nothing is purged")))
            continue
        head = N_("would purge under schedule {version}:") if dry_run else N_("purged under schedule {version}:")
        click.echo(f"{code}: " + t(head).format(version=result.schedule_version))
        for p in result.purged:
            click.echo(
                "  - "
                + t(N_("{kind}: {records} {action} (before {before})")).format(
                    records=p.records,
                    kind=t(KIND_LABELS[p.record_kind]),
                    action=t(ACTION_LABELS[p.action]),
                    before=format_day(lang, p.anchored_before),
                )
            )
