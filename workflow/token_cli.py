"""``uppfoljning token USERNAME``: mint a development token for a user in the database."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from sqlalchemy import select

from workflow.i18n import N_
from workflow.i18n import say as _say
from workflow.schema.tables import ORG, USER


@click.command(
    "token", help=_say(N_("Print a bearer token for USERNAME (e.g. norrmalm.strateg) signed with the development key."))
)
@click.argument("username")
@click.option("--hours", default=8.0, show_default=True, type=float, help=_say(N_("how many hours the token is valid")))
@click.pass_context
def token(ctx: click.Context, username: str, hours: float) -> None:
    from workflow.runtime import engine_for
    from workflow.settings import get_settings
    from workflow.tokens import mint

    u, o = USER, ORG
    with engine_for((ctx.obj or {}).get("url")).connect() as conn:
        row = conn.execute(
            select(u.c.roles, u.c.active, o.c.code)
            .join(o, o.c.id == u.c.organisation_id)
            .where(u.c.username == username)
        ).first()
    if row is None or not row.active:
        click.echo(
            _say(
                N_("no active user %(username)r; demo users look like norrmalm.strateg or sn.sekreterare"),
                username=username,
            ),
            err=True,
        )
        sys.exit(1)
    click.echo(mint(get_settings(), username, row.code, list(row.roles), ttl=timedelta(hours=hours)))
