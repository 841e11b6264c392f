"""What the board's work reads (nämndens handlingar): board matters, their templates, meetings with the
decisions and reports presented, and audit responses with their measures.

Every function reads the viewer's own organisation only; anything else answers "not found", as an unknown id.
Nothing here is individual-level data: matters hold contract-level facts and aggregates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from states.roles import RESPONSIBLE_ROLE
from workflow.board import matters, templates
from workflow.cases.scoping import Viewer
from workflow.engine.errors import NotFound
from workflow.engine.firing import CASE
from workflow.engine.uow import UnitOfWork
from workflow.i18n import due_date
from workflow.schema.tables import (
    BOARD_DECISION,
    BOARD_MATTER,
    BOARD_MEETING,
    BOARD_TEMPLATE,
    DEADLINE,
    PRESENTATION,
    USER,
)

_MATTER_COLUMNS = (
    BOARD_MATTER.c.id,
    BOARD_MATTER.c.matter_type,
    BOARD_MATTER.c.registry_number,
    BOARD_MATTER.c.title,
    BOARD_MATTER.c.period_from,
    BOARD_MATTER.c.period_to,
    BOARD_MATTER.c.case_id,
    BOARD_MATTER.c.template_version,
    BOARD_MATTER.c.locale,
    BOARD_MATTER.c.created_at,
    USER.c.display_name.label("created_by"),
)


def list_matters(uow: UnitOfWork, viewer: Viewer, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """The viewer's board's matters, newest first, without their text."""
    return uow.read(
        lambda conn: [
            dict(r)
            for r in conn.execute(
                select(*_MATTER_COLUMNS)
                .outerjoin(USER, USER.c.id == BOARD_MATTER.c.created_by_id)
                .where(BOARD_MATTER.c.organisation_id == viewer.organisation_id)
                .order_by(BOARD_MATTER.c.created_at.desc(), BOARD_MATTER.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).mappings()
        ]
    )


def _decisions_on(conn: Connection, matter_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            select(
                BOARD_DECISION.c.id,
                BOARD_DECISION.c.meeting_id,
                BOARD_MEETING.c.held_on,
                BOARD_DECISION.c.paragraph,
                BOARD_DECISION.c.outcome,
                BOARD_DECISION.c.text,
                BOARD_DECISION.c.registry_number,
            )
            .join(BOARD_MEETING, BOARD_MEETING.c.id == BOARD_DECISION.c.meeting_id)
            .where(BOARD_DECISION.c.matter_id == matter_id)
            .order_by(BOARD_MEETING.c.held_on, BOARD_DECISION.c.id)
        ).mappings()
    ]


def matter(uow: UnitOfWork, viewer: Viewer, matter_id: int) -> dict[str, Any]:
    """One matter of the viewer's board with its stored HTML and the board's decisions on it."""

    def read(conn: Connection) -> dict[str, Any]:
        row = (
            conn.execute(
                select(*_MATTER_COLUMNS, BOARD_MATTER.c.html)
                .outerjoin(USER, USER.c.id == BOARD_MATTER.c.created_by_id)
                .where(BOARD_MATTER.c.id == matter_id, BOARD_MATTER.c.organisation_id == viewer.organisation_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"board matter {matter_id} not found")
        return {**dict(row), "decisions": _decisions_on(conn, matter_id)}

    return uow.read(read)


def list_templates(uow: UnitOfWork, viewer: Viewer) -> list[dict[str, Any]]:
    """For each matter type: the version in use and every version (the shipped one is version 0)."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        stored = conn.execute(
            select(
                BOARD_TEMPLATE.c.id,
                BOARD_TEMPLATE.c.matter_type,
                BOARD_TEMPLATE.c.version,
                BOARD_TEMPLATE.c.note,
                BOARD_TEMPLATE.c.created_at,
                USER.c.display_name.label("created_by"),
            )
            .outerjoin(USER, USER.c.id == BOARD_TEMPLATE.c.created_by_id)
            .where(BOARD_TEMPLATE.c.organisation_id == viewer.organisation_id)
            .order_by(BOARD_TEMPLATE.c.matter_type, BOARD_TEMPLATE.c.version)
        ).mappings()
        versions: dict[str, list[dict[str, Any]]] = {t: [] for t in templates.MATTER_TYPES}
        for r in stored:
            versions[r["matter_type"]].append(dict(r))
        out = []
        for t in templates.MATTER_TYPES:
            shipped = {
                "id": None,
                "matter_type": t,
                "version": 0,
                "note": "shipped",
                "created_at": None,
                "created_by": None,
            }
            history = [shipped, *versions[t]]
            out.append({"matter_type": t, "current_version": history[-1]["version"], "versions": history})
        return out

    return uow.read(read)


def template_source(uow: UnitOfWork, viewer: Viewer, matter_type: str, version: int | None = None) -> dict[str, Any]:
    """The source of one version of the viewer's board's template (default: the one in use)."""
    templates.require_type(matter_type)

    def read(conn: Connection) -> dict[str, Any]:
        if version is None:
            t = matters.current_template(conn, viewer.organisation_id, matter_type)
            return {"matter_type": matter_type, "version": t.version, "source": t.source}
        if version == templates.SHIPPED_VERSION:
            return {"matter_type": matter_type, "version": 0, "source": templates.shipped_source(matter_type)}
        row = conn.execute(
            select(BOARD_TEMPLATE.c.source).where(
                BOARD_TEMPLATE.c.organisation_id == viewer.organisation_id,
                BOARD_TEMPLATE.c.matter_type == matter_type,
                BOARD_TEMPLATE.c.version == version,
            )
        ).first()
        if row is None:
            raise NotFound(f"version {version} of the {matter_type} template not found")
        return {"matter_type": matter_type, "version": version, "source": row.source}

    return uow.read(read)


def _meeting_items(conn: Connection, meeting_id: int) -> dict[str, list[dict[str, Any]]]:
    decisions = [
        dict(r)
        for r in conn.execute(
            select(
                BOARD_DECISION.c.id,
                BOARD_DECISION.c.paragraph,
                BOARD_DECISION.c.matter_id,
                BOARD_MATTER.c.title.label("matter_title"),
                BOARD_MATTER.c.registry_number.label("matter_registry_number"),
                BOARD_DECISION.c.outcome,
                BOARD_DECISION.c.text,
                BOARD_DECISION.c.registry_number,
            )
            .join(BOARD_MATTER, BOARD_MATTER.c.id == BOARD_DECISION.c.matter_id)
            .where(BOARD_DECISION.c.meeting_id == meeting_id)
            .order_by(BOARD_DECISION.c.id)
        ).mappings()
    ]
    presented = [
        dict(r)
        for r in conn.execute(
            select(
                PRESENTATION.c.id,
                PRESENTATION.c.paragraph,
                PRESENTATION.c.report,
                PRESENTATION.c.period_from,
                PRESENTATION.c.period_to,
                PRESENTATION.c.matter_id,
            )
            .where(PRESENTATION.c.meeting_id == meeting_id)
            .order_by(PRESENTATION.c.id)
        ).mappings()
    ]
    return {"decisions": decisions, "reports_presented": presented}


def list_meetings(uow: UnitOfWork, viewer: Viewer) -> list[dict[str, Any]]:
    """The viewer's board's meetings, newest first."""
    return uow.read(
        lambda conn: [
            dict(r)
            for r in conn.execute(
                select(BOARD_MEETING.c.id, BOARD_MEETING.c.held_on, BOARD_MEETING.c.title)
                .where(BOARD_MEETING.c.organisation_id == viewer.organisation_id)
                .order_by(BOARD_MEETING.c.held_on.desc(), BOARD_MEETING.c.id.desc())
            ).mappings()
        ]
    )


def meeting(uow: UnitOfWork, viewer: Viewer, meeting_id: int) -> dict[str, Any]:
    """One meeting with the decisions taken and reports presented under its paragraphs."""

    def read(conn: Connection) -> dict[str, Any]:
        row = (
            conn.execute(
                select(BOARD_MEETING.c.id, BOARD_MEETING.c.held_on, BOARD_MEETING.c.title).where(
                    BOARD_MEETING.c.id == meeting_id, BOARD_MEETING.c.organisation_id == viewer.organisation_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"board meeting {meeting_id} not found")
        return {**dict(row), **_meeting_items(conn, meeting_id)}

    return uow.read(read)


def _measures(conn: Connection, response_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in response_ids}
    if not response_ids:
        return out
    due = (
        select(DEADLINE.c.due_at)
        .where(DEADLINE.c.case_id == CASE.c.id, DEADLINE.c.kind == "audit_measure_follow_up")
        .order_by(DEADLINE.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    for r in conn.execute(
        select(CASE.c.id, CASE.c.parent_case_id, CASE.c.title, CASE.c.status, CASE.c.attributes, due.label("due_at"))
        .where(CASE.c.parent_case_id.in_(response_ids), CASE.c.case_type == "audit_measure")
        .order_by(CASE.c.id)
    ).mappings():
        out[r["parent_case_id"]].append(
            {
                "case_id": r["id"],
                "text": r["title"],
                "status": r["status"],
                "responsible_role": (r["attributes"] or {}).get(RESPONSIBLE_ROLE),
                "follow_up_on": due_date(r["due_at"]) if r["due_at"] is not None else None,
            }
        )
    return out


def _responses(conn: Connection, viewer: Viewer, case_id: int | None = None) -> list[dict[str, Any]]:
    q = select(CASE.c.id, CASE.c.title, CASE.c.status, CASE.c.attributes, CASE.c.opened_at).where(
        CASE.c.organisation_id == viewer.organisation_id, CASE.c.case_type == "audit_response"
    )
    if case_id is not None:
        q = q.where(CASE.c.id == case_id)
    rows = list(conn.execute(q.order_by(CASE.c.opened_at.desc(), CASE.c.id.desc())).mappings())
    measures = _measures(conn, [r["id"] for r in rows])
    return [
        {
            "case_id": r["id"],
            "audit_report": r["title"],
            "status": r["status"],
            "response_due_on": (r["attributes"] or {}).get("response_due_on"),
            "opened_at": r["opened_at"],
            "measures": measures[r["id"]],
        }
        for r in rows
    ]


def list_audit_responses(uow: UnitOfWork, viewer: Viewer) -> list[dict[str, Any]]:
    """The viewer's board's audit responses, newest first, each with its measures."""
    return uow.read(lambda conn: _responses(conn, viewer))


def audit_response(uow: UnitOfWork, viewer: Viewer, case_id: int) -> dict[str, Any]:
    """One audit response of the viewer's board with its measures."""
    found = uow.read(lambda conn: _responses(conn, viewer, case_id))
    if not found:
        raise NotFound(f"audit response {case_id} not found")
    return found[0]
