"""The ``uppfoljning`` command line (kommandorad)."""

from __future__ import annotations

import json
import sys

from scheduler.priority import lower_if_scheduler

lower_if_scheduler(sys.argv)  # before the imports below: they load the whole application

import click  # noqa: E402

from workflow.i18n import N_, localise_click  # noqa: E402
from workflow.i18n import say as _say  # noqa: E402
from workflow.logging import configure  # noqa: E402

localise_click()  # "Usage:", "Options" and click's errors in the command line's language too


@click.group(help=_say(N_("Uppföljning: follow-up of social-service providers.")))
@click.option(
    "--database-url", envvar="UPPF_DATABASE_URL", default=None, help=_say(N_("SQLAlchemy URL (default: SQLite file)"))
)
@click.option(
    "--log-level", envvar="UPPF_LOG_LEVEL", default="INFO", show_default=True, help=_say(N_("how much the log tells"))
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None, log_level: str) -> None:
    configure(log_level)
    ctx.obj = {"url": database_url}


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from workflow.runtime import engine_for

    return engine_for(ctx.obj["url"])


@main.command("init-db", help=_say(N_("Create or migrate the schema to the newest version.")))
@click.pass_context
def init_db(ctx: click.Context) -> None:
    _engine(ctx)
    click.echo(_say(N_("schema is up to date")))


@main.command(help=_say(N_("Load the demo municipality into an empty database.")))
@click.pass_context
def demo(ctx: click.Context) -> None:
    from workflow.demo.municipality import load_demo

    counts = load_demo(_engine(ctx))
    click.echo(json.dumps(counts))


@main.command(
    "verify-audit",
    help=_say(
        N_(
            "Check every case's audit chain, the organisation checkpoints and the signed anchors outside the "
            "database.\n\nNames each break and what kind of tampering it shows; exits 1 when there is any."
        )
    ),
)
@click.option("--organisation-id", type=int, default=None, help=_say(N_("only this organisation (default: every one)")))
@click.pass_context
def verify_audit(ctx: click.Context, organisation_id: int | None) -> None:
    from workflow.engine.anchor import FileAnchorStore, Keyring, keyring, verify_anchors
    from workflow.engine.audit import verify
    from workflow.schema.db import read
    from workflow.settings import get_settings

    settings = get_settings()
    try:
        keys = keyring(settings)
    except RuntimeError:
        keys = Keyring(None)  # reported below as a break: without the key the anchors cannot be checked
    with read(_engine(ctx)) as conn:  # one snapshot, and no write lock held on SQLite meanwhile
        breaks = verify(conn, organisation_id)
        breaks += verify_anchors(conn, keys, FileAnchorStore(settings.audit_anchor_path), organisation_id)
    if not breaks:
        click.echo(_say(N_("audit chain intact (anchors in %(path)s)"), path=settings.audit_anchor_path))
        return
    for b in breaks:
        where = _say(N_("event id %(id)s"), id=b.event_id) if b.event_id is not None else _say(N_("chain head"))
        chain = _say(N_("case %(id)s"), id=b.case_id) if b.case_id is not None else _say(N_("checkpoints"))
        click.echo(
            _say(
                N_(
                    "organisation %(organisation)s, %(chain)s: first broken at seq %(seq)s (%(where)s): "
                    "[%(kind)s] %(problem)s"
                ),
                organisation=b.organisation_id,
                chain=chain,
                seq=b.seq,
                where=where,
                kind=b.kind,
                problem=b.problem,
            )
        )
    sys.exit(1)


@main.command(
    "audit-key",
    help=_say(N_("Print a new audit checkpoint key for UPPF_AUDIT_KEY (64 hex digits); keep it outside the database.")),
)
def audit_key() -> None:
    from workflow.engine.anchor import generate_key

    click.echo(generate_key())


@main.command(
    "backup",
    help=_say(N_("Copy the database to TARGET while the product runs, with a manifest beside it (TARGET.json).")),
)
@click.argument("target", type=click.Path(dir_okay=False))
@click.pass_context
def backup_command(ctx: click.Context, target: str) -> None:
    from pathlib import Path

    from workflow.backup import BackupError, backup

    try:
        m = backup(_engine(ctx), Path(target))
    except BackupError as exc:
        raise click.ClickException(_say(exc.message, **exc.values)) from exc
    click.echo(
        _say(
            N_("backup written to %(target)s: %(events)s audit events, schema %(revision)s, sha256 %(sha256)s"),
            target=target,
            events=m.audit_events,
            revision=m.schema_revision,
            sha256=m.sha256,
        )
    )


@main.command(
    "restore", help=_say(N_("Restore the backup SOURCE into a new, empty database, then check its audit chain."))
)
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--to",
    "url",
    required=True,
    help=_say(N_("the new database: sqlite:///new-file.db or an empty PostgreSQL database")),
)
def restore_command(source: str, url: str) -> None:
    from pathlib import Path

    from sqlalchemy import func, select

    from workflow.backup import BackupError, restore
    from workflow.engine.audit import verify
    from workflow.schema.db import make_engine, read
    from workflow.schema.migrate import upgrade
    from workflow.schema.tables import CaseEvent

    try:
        m = restore(Path(source), url)
    except BackupError as exc:
        raise click.ClickException(_say(exc.message, **exc.values)) from exc
    engine = make_engine(url)
    try:
        upgrade(engine)  # a backup of an older version is brought up to this one
        with read(engine) as conn:
            breaks = verify(conn)
            events = int(conn.execute(select(func.count()).select_from(CaseEvent)).scalar_one())
    finally:
        engine.dispose()
    if events != m.audit_events:
        raise click.ClickException(
            _say(
                N_("the restored database holds %(events)s audit events, the manifest %(manifest)s"),
                events=events,
                manifest=m.audit_events,
            )
        )
    if breaks:
        raise click.ClickException(
            _say(N_("restored, but the audit chain is broken: %(problem)s"), problem=breaks[0].problem)
        )
    click.echo(
        _say(
            N_("restored %(source)s into %(target)s: %(events)s audit events, audit chain intact"),
            source=source,
            target=url.split("@")[-1],
            events=events,
        )
    )


@main.command(
    "audit-checkpoint",
    help=_say(
        N_(
            "Checkpoint every organisation whose cases moved since its last, signed and appended to the anchor "
            "store (the scheduler does it hourly)."
        )
    ),
)
@click.pass_context
def audit_checkpoint(ctx: click.Context) -> None:
    from workflow.clock import utcnow
    from workflow.engine.anchor import anchor_checkpoints, anchoring
    from workflow.settings import get_settings

    settings = get_settings()
    try:
        anchors = anchoring(settings)
    except RuntimeError as exc:
        raise click.ClickException(_say(N_("no checkpoint can be signed: %(problem)s"), problem=exc)) from exc
    for a in anchor_checkpoints(_engine(ctx), anchors, utcnow(), reason="command"):
        click.echo(
            _say(
                N_("organisation %(organisation)s: checkpoint %(seq)s anchored in %(path)s"),
                organisation=a.organisation_id,
                seq=a.seq,
                path=settings.audit_anchor_path,
            )
        )


@main.command(
    "load-delegation-order",
    help=_say(N_("Store the delegation order versions in PATH (default: the bundled demo order).")),
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.pass_context
def load_delegation_order(ctx: click.Context, path: str | None) -> None:
    from pathlib import Path

    from workflow.engine.delegation import DEFAULT_FILE, load_file

    with _engine(ctx).begin() as conn:
        added = load_file(conn, Path(path) if path else DEFAULT_FILE)
    click.echo(_say(N_("%(count)s delegation order version(s) stored"), count=added))


@main.command(help=_say(N_("Start the API (and the scheduler) on the configured database.")))
@click.option("--host", default="127.0.0.1", show_default=True, help=_say(N_("the address to listen on")))
@click.option("--port", default=8000, show_default=True, type=int, help=_say(N_("the port to listen on")))
@click.option(
    "--demo/--no-demo",
    "with_demo",
    default=True,
    show_default=True,
    help=_say(N_("load the demo municipality when the database is empty")),
)
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help=_say(N_("run the scheduler in the same process")),
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, with_demo: bool, with_scheduler: bool) -> None:
    import os

    import uvicorn

    from workflow.demo.municipality import load_demo
    from workflow.runtime import is_empty

    engine = _engine(ctx)
    if with_demo and is_empty(engine):
        click.echo(_say(N_("loading demo municipality …")))
        load_demo(engine)
    if ctx.obj["url"]:
        os.environ["UPPF_DATABASE_URL"] = ctx.obj["url"]
    os.environ["UPPF_RUN_SCHEDULER"] = "1" if with_scheduler else "0"
    from workflow.settings import get_settings

    get_settings.cache_clear()  # the app reads UPPF_RUN_SCHEDULER set just above
    sink = _start_mail(get_settings())
    try:
        uvicorn.run("api.app:create_server_app", factory=True, host=host, port=port, log_config=None, access_log=False)
    finally:
        if sink is not None:
            sink.stop()


def _start_mail(settings):  # type: ignore[no-untyped-def]
    """In development, a mail sink where mail is sent; everywhere, say plainly when mail cannot go out."""
    from pathlib import Path

    from workflow.notify.devmail import LOOPBACK, DevMailSink, port_free, smtp_reachable

    sink = None
    host, port = settings.smtp_host, settings.smtp_port
    if settings.environment == "development" and settings.dev_mail_sink and host in LOOPBACK and port_free(host, port):
        sink = DevMailSink(Path(settings.dev_mail_dir), host, port)
        sink.start()
        click.echo(
            _say(
                N_("development mail sink on %(host)s:%(port)s: messages are kept in %(directory)s/"),
                host=host,
                port=port,
                directory=settings.dev_mail_dir,
            )
        )
    problem = smtp_reachable(host, port)
    if problem:
        click.echo(
            _say(N_("WARNING: mail cannot be delivered: %(problem)s; messages wait in the outbox"), problem=problem),
            err=True,
        )
    return sink


@main.group("mail", help=_say(N_("E-mail delivery.")))
def mail_group() -> None:
    """The subcommands of this group (its help is on the decorator)."""


@mail_group.command(
    "test", help=_say(N_("Send one test message through the configured SMTP server and say whether it was taken."))
)
@click.option("--to", "recipient", required=True, help=_say(N_("the address to send the test message to")))
def mail_test(recipient: str) -> None:
    from workflow.clock import utcnow
    from workflow.notify.mail import DeliveryError, DeliveryUncertain, Mail, SmtpSession, message_id
    from workflow.settings import get_settings

    settings = get_settings()
    now = utcnow()
    mail = Mail(
        message_id(0, f"mail-test:{now.isoformat()}", settings.mail_from),
        (recipient,),
        "Uppföljning: testmeddelande",
        "Det här är ett testmeddelande från Uppföljning. E-post fungerar.\n",
        now,
    )
    try:
        session = SmtpSession(settings)
        try:
            refused = session.stage(mail)
            session.commit()
        finally:
            session.quit()
    except (DeliveryError, DeliveryUncertain) as exc:
        raise click.ClickException(
            _say(
                N_("%(host)s:%(port)s did not take the test message: %(problem)s"),
                host=settings.smtp_host,
                port=settings.smtp_port,
                problem=exc,
            )
        ) from exc
    if refused:
        raise click.ClickException(_say(N_("the server refused %(recipients)s"), recipients=", ".join(refused)))
    click.echo(
        _say(
            N_("test message to %(recipient)s taken by %(host)s:%(port)s"),
            recipient=recipient,
            host=settings.smtp_host,
            port=settings.smtp_port,
        )
    )


from workflow.reports.cli import report as _report_command  # noqa: E402

main.add_command(_report_command)

from workflow.board.cli import board as _board_command  # noqa: E402

main.add_command(_board_command)

from workflow.token_cli import token as _token_command  # noqa: E402

main.add_command(_token_command)

from workflow.admin.cli import admin as _admin_command  # noqa: E402

main.add_command(_admin_command)
from workflow.retention.cli import retention as _retention_command  # noqa: E402

main.add_command(_retention_command)
from workflow.imports.cli import import_command as _import_command  # noqa: E402

main.add_command(_import_command)

from scheduler.cli import scheduler_command as _scheduler_command  # noqa: E402

main.add_command(_scheduler_command)

if __name__ == "__main__":
    main()
