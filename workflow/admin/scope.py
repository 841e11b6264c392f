"""What an administrator administers (administrationsomfång): its organisation and every one below it.

The organisations form a tree through ``parent_id``. An administrator of an organisation administers that
organisation and its descendants; one of the root administers the whole municipality. Anything outside
answers :class:`~workflow.engine.errors.NotFound`, exactly like another board's case; a caller without the
administrator role is refused with :class:`~workflow.engine.errors.NotPermitted` (rule ``role``).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from states.roles import Role
from workflow.engine.errors import NotFound, NotPermitted
from workflow.engine.firing import Actor
from workflow.schema.tables import ORG


def is_administrator(actor: Actor) -> bool:
    """Whether the actor holds the administrator role."""
    return Role.ADMINISTRATOR.value in actor.roles


def require_administrator(actor: Actor, what: str) -> None:
    """403 (rule ``role``) unless the actor is an administrator."""
    if not is_administrator(actor):
        raise NotPermitted(f"only an administrator may {what}", rule="role")


def subtree(conn: Connection, root: int) -> set[int]:
    """``root`` and every organisation below it (the tree is small: one municipality's boards)."""
    children: dict[int | None, list[int]] = {}
    for oid, parent in conn.execute(select(ORG.c.id, ORG.c.parent_id)):
        children.setdefault(parent, []).append(oid)
    found: set[int] = set()
    todo = [root]
    while todo:
        oid = todo.pop()
        if oid in found:  # a cycle cannot be written through the commands, but never loop on one
            continue
        found.add(oid)
        todo.extend(children.get(oid, ()))
    return found


def administered(conn: Connection, actor: Actor, what: str) -> set[int]:
    """The organisations ``actor`` administers (refused unless it is an administrator)."""
    require_administrator(actor, what)
    return subtree(conn, actor.organisation_id)


def require_in_scope(scope: set[int], organisation_id: int | None, what: str) -> int:
    """``organisation_id`` if the administrator administers it; 404 otherwise."""
    if organisation_id is None or organisation_id not in scope:
        raise NotFound(f"{what} not found")
    return organisation_id
