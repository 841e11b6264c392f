"""``uppfoljning admin``: the first administrator, organisations, users, role mappings and the access review.

``admin bootstrap`` runs on an empty database (or one without any administrator) and needs no account; every
other subcommand acts as an administrator named with ``--as USERNAME`` and goes through the same commands and
query functions as the API, so the same scope and rules apply and every change is audited (``via = cli``).
Results are printed as JSON lines; a refusal exits 1 naming its rule. Messages for people come from the
catalogue (Swedish; ``UPPF_CLI_LANGUAGE=en`` for English).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from workflow import i18n
from workflow.engine.errors import NotFound, WorkflowError
from workflow.i18n import N_


def _say(text: str, **values: object) -> str:
    """``text`` from the catalogue in the command line's language, filled in."""
    import os

    locale = os.environ.get("UPPF_CLI_LANGUAGE", i18n.DEFAULT_LOCALE)
    return i18n.gettext(locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE, text) % values


def _app(ctx: click.Context) -> Any:
    from workflow.bootstrap import bootstrap
    from workflow.runtime import engine_for
    from workflow.settings import get_settings

    root = ctx.find_root()
    return bootstrap(get_settings(), engine_for((root.obj or {}).get("url")))


def _actor(app: Any, username: str) -> Any:
    """The administrator the command acts as: an active user of the database."""
    from workflow.accounts import find_account
    from workflow.engine.firing import Actor

    account = find_account(app.uow, username)
    if account is None or not account.active:
        raise click.ClickException(_say(N_("no active user %(username)s"), username=username))
    return Actor(account.user_id, account.organisation_id, account.roles)


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise click.ClickException(
            _say(N_("%(message)s (rule %(rule)s)"), message=exc.message, rule="not_found")
        ) from exc
    except WorkflowError as exc:
        rule = exc.context.get("rule", exc.code)
        raise click.ClickException(_say(N_("%(message)s (rule %(rule)s)"), message=exc.message, rule=rule)) from exc


def _print(row: Any) -> None:
    click.echo(json.dumps(row, default=_plain, ensure_ascii=False, sort_keys=True))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _run(ctx: click.Context, acting_as: str, command: object) -> None:
    app = _app(ctx)
    with _refusals():
        _print(app.execute(command, _actor(app, acting_as)))


AS = click.option("--as", "acting_as", required=True, help="the administrator's username to act as")
ROLES = click.option("--role", "roles", multiple=True, help="a role (repeat for several)")


@click.group("admin")
def admin() -> None:
    """Administration: organisations, users, roles and the access review."""


@admin.command("bootstrap")
@click.option("--organisation-code", required=True, help="code of the first organisation (the root), e.g. SN")
@click.option("--organisation-name", required=True, help="its name, e.g. Socialnämnden")
@click.option("--organisation-kind", default="central_board", show_default=True)
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--email", required=True)
@click.pass_context
def bootstrap_command(
    ctx: click.Context,
    organisation_code: str,
    organisation_name: str,
    organisation_kind: str,
    username: str,
    display_name: str,
    email: str,
) -> None:
    """Create the first organisation and its administrator; refused once any administrator exists."""
    from workflow.admin.commands import BootstrapAdministrator
    from workflow.engine.firing import Actor

    app = _app(ctx)
    command = BootstrapAdministrator(
        organisation_code, organisation_name, username, display_name, email, organisation_kind
    )
    with _refusals():
        made = app.execute(command, Actor.system(0))
    org, admin_user = made.organisation, made.user
    if made.organisation_created:
        click.echo(_say(N_("organisation %(code)s created (id %(id)s)"), code=org["code"], id=org["id"]))
    else:
        click.echo(_say(N_("organisation %(code)s already existed (id %(id)s)"), code=org["code"], id=org["id"]))
    click.echo(
        _say(N_("administrator %(username)s created (id %(id)s)"), username=admin_user["username"], id=admin_user["id"])
    )
    click.echo(_say(N_("next: uppfoljning token %(username)s"), username=admin_user["username"]))


# --- organisations -------------------------------------------------------------------------------------------------


@admin.group("org")
def org() -> None:
    """Organisations of the administrator's municipality."""


@org.command("list")
@AS
@click.pass_context
def org_list(ctx: click.Context, acting_as: str) -> None:
    """Every administered organisation."""
    from workflow.admin.queries import list_organisations
    from workflow.cases.paging import PageRequest

    app = _app(ctx)
    with _refusals():
        actor = _actor(app, acting_as)
        page = 1
        while True:
            found = list_organisations(app.uow, actor, None, PageRequest(page, 100))
            for row in found.items:
                _print(row)
            if page * 100 >= found.total:
                break
            page += 1


@org.command("create")
@AS
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["central_board", "district_board", "education_board"]))
@click.option("--parent-id", type=int, default=None, help="default: the administrator's organisation")
@click.pass_context
def org_create(ctx: click.Context, acting_as: str, code: str, name: str, kind: str, parent_id: int | None) -> None:
    """Add an organisation."""
    from workflow.admin.commands import CreateOrganisation

    _run(ctx, acting_as, CreateOrganisation(code, name, kind, parent_id, via="cli"))


@org.command("rename")
@AS
@click.argument("organisation_id", type=int)
@click.option("--name", required=True)
@click.pass_context
def org_rename(ctx: click.Context, acting_as: str, organisation_id: int, name: str) -> None:
    """Rename an organisation."""
    from workflow.admin.commands import RenameOrganisation

    _run(ctx, acting_as, RenameOrganisation(organisation_id, name, via="cli"))


@org.command("deactivate")
@AS
@click.argument("organisation_id", type=int)
@click.pass_context
def org_deactivate(ctx: click.Context, acting_as: str, organisation_id: int) -> None:
    """Deactivate an organisation nothing active depends on."""
    from workflow.admin.commands import DeactivateOrganisation

    _run(ctx, acting_as, DeactivateOrganisation(organisation_id, via="cli"))


# --- users -------------------------------------------------------------------------------------------------------


@admin.group("user")
def user() -> None:
    """Users of the administrator's municipality."""


@user.command("list")
@AS
@click.option("--organisation-id", type=int, default=None)
@click.pass_context
def user_list(ctx: click.Context, acting_as: str, organisation_id: int | None) -> None:
    """Every administered user (of one organisation)."""
    from workflow.admin.queries import UserFilter, list_users
    from workflow.cases.paging import PageRequest

    app = _app(ctx)
    with _refusals():
        actor = _actor(app, acting_as)
        page = 1
        while True:
            found = list_users(app.uow, actor, UserFilter(organisation_id), PageRequest(page, 100))
            for row in found.items:
                _print(row)
            if page * 100 >= found.total:
                break
            page += 1


@user.command("create")
@AS
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--email", required=True)
@click.option("--organisation-id", type=int, required=True)
@ROLES
@click.option("--integration", is_flag=True, help="an integration's service account (username: its OAuth client id)")
@click.pass_context
def user_create(
    ctx: click.Context,
    acting_as: str,
    username: str,
    display_name: str,
    email: str,
    organisation_id: int,
    roles: tuple[str, ...],
    integration: bool,
) -> None:
    """Add a user (or, with --integration, an integration's service account)."""
    from workflow.admin.commands import CreateUser

    command = CreateUser(username, display_name, email, organisation_id, roles, via="cli", integration=integration)
    _run(ctx, acting_as, command)


@user.command("update")
@AS
@click.argument("user_id", type=int)
@click.option("--display-name", default=None)
@click.option("--email", default=None)
@click.option("--organisation-id", type=int, default=None)
@ROLES
@click.pass_context
def user_update(
    ctx: click.Context,
    acting_as: str,
    user_id: int,
    display_name: str | None,
    email: str | None,
    organisation_id: int | None,
    roles: tuple[str, ...],
) -> None:
    """Change a user; ``--role`` given replaces all its roles."""
    from workflow.admin.commands import UpdateUser

    command = UpdateUser(user_id, display_name, email, organisation_id, roles or None, via="cli")
    _run(ctx, acting_as, command)


@user.command("deactivate")
@AS
@click.argument("user_id", type=int)
@click.pass_context
def user_deactivate(ctx: click.Context, acting_as: str, user_id: int) -> None:
    """Stop a user from signing in."""
    from workflow.admin.commands import DeactivateUser

    _run(ctx, acting_as, DeactivateUser(user_id, via="cli"))


@user.command("reactivate")
@AS
@click.argument("user_id", type=int)
@click.pass_context
def user_reactivate(ctx: click.Context, acting_as: str, user_id: int) -> None:
    """Let a user sign in again."""
    from workflow.admin.commands import ReactivateUser

    _run(ctx, acting_as, ReactivateUser(user_id, via="cli"))


# --- role mappings -------------------------------------------------------------------------------------------------


@admin.group("mapping")
def mapping() -> None:
    """Identity-provider groups mapped to an organisation and roles."""


@mapping.command("create")
@AS
@click.option("--group", "group_name", required=True)
@click.option("--organisation-id", type=int, required=True)
@ROLES
@click.pass_context
def mapping_create(
    ctx: click.Context, acting_as: str, group_name: str, organisation_id: int, roles: tuple[str, ...]
) -> None:
    """Map a group."""
    from workflow.admin.commands import CreateRoleMapping

    _run(ctx, acting_as, CreateRoleMapping(group_name, organisation_id, roles, via="cli"))


@mapping.command("update")
@AS
@click.argument("mapping_id", type=int)
@click.option("--organisation-id", type=int, default=None)
@ROLES
@click.pass_context
def mapping_update(
    ctx: click.Context, acting_as: str, mapping_id: int, organisation_id: int | None, roles: tuple[str, ...]
) -> None:
    """Change a group's organisation or roles."""
    from workflow.admin.commands import UpdateRoleMapping

    _run(ctx, acting_as, UpdateRoleMapping(mapping_id, organisation_id, roles or None, via="cli"))


@mapping.command("deactivate")
@AS
@click.argument("mapping_id", type=int)
@click.pass_context
def mapping_deactivate(ctx: click.Context, acting_as: str, mapping_id: int) -> None:
    """Stop mapping a group."""
    from workflow.admin.commands import DeactivateRoleMapping

    _run(ctx, acting_as, DeactivateRoleMapping(mapping_id, via="cli"))


# --- the access review --------------------------------------------------------------------------------------------


def _instant(value: str | None) -> datetime | None:
    """An ISO date (Stockholm midnight) or instant; naive instants are Stockholm time."""
    from workflow.clock import STOCKHOLM

    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=STOCKHOLM)


@admin.command("access-log")
@AS
@click.option("--user-id", type=int, default=None)
@click.option("--entity", default=None, help="record kind: case, placement, …")
@click.option("--entity-id", type=int, default=None)
@click.option("--since", default=None, help="from this date or instant (Stockholm time unless it says otherwise)")
@click.option("--until", default=None, help="before this date or instant")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="write CSV here instead")
@click.pass_context
def access_log(
    ctx: click.Context,
    acting_as: str,
    user_id: int | None,
    entity: str | None,
    entity_id: int | None,
    since: str | None,
    until: str | None,
    csv_path: str | None,
) -> None:
    """Review reads of individual-level records (newest first); the review is logged."""
    from workflow.admin.access_review import AccessFilter, export_csv, list_access
    from workflow.cases.paging import PageRequest

    app = _app(ctx)
    with _refusals():
        actor = _actor(app, acting_as)
        filters = AccessFilter(user_id, entity, entity_id, None, _instant(since), _instant(until))
        if csv_path is not None:
            Path(csv_path).write_bytes(export_csv(app.uow, actor, filters))
            click.echo(_say(N_("written to %(path)s"), path=csv_path))
            return
        request = PageRequest(1, 100)
        while True:
            found = list_access(app.uow, actor, filters, request)
            for row in found.items:
                _print(row)
            if found.next_cursor is None:
                break
            request = PageRequest(1, 100, found.next_cursor)


@admin.command("access-alerts")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="the Stockholm day (default: today)")
@click.option("--threshold", type=int, default=None, help="default: UPPF_ACCESS_ALERT_DAILY_READS")
@click.pass_context
def access_alerts(ctx: click.Context, day: datetime | None, threshold: int | None) -> None:
    """Warn about users who read unusually many individual-level records in a day (log and mail to administrators)."""
    from workflow.admin.access_review import RaiseAccessAlerts
    from workflow.deadlines.calendar import local_date
    from workflow.engine.firing import Actor

    app = _app(ctx)
    limit = threshold if threshold is not None else app.settings.access_alert_daily_reads
    when = day.date() if day else local_date(app.clock())
    found = app.execute(RaiseAccessAlerts(when, limit), Actor.system(0))
    for a in found:
        _print(a)
    if not found:
        message = N_("no user read more than %(limit)s individual-level records on %(day)s")
        click.echo(_say(message, limit=limit, day=when.isoformat()), err=True)
