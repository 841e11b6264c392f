"""Who may see which report (behörighet): organisation scoping and secrecy for reports.

A board sees its own reports in full, individual-level detail only for roles that work
with individual cases (not the board members or its secretary). A central board (kind ``central_board``) may also
ask for the reports of the district boards (and of boards registered under it), but then sees contract-level data
and aggregates only: sections built from individual-level rows are left out or
aggregated with small numbers suppressed. Anything else is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from workflow.engine.errors import InvalidInput, NotFound
from workflow.schema.tables import ORG

#: Groups smaller than this are shown as suppressed in aggregates seen outside the ordering board.
SMALL_N = 5


@dataclass(frozen=True, slots=True)
class Scope:
    """The organisation a report is about, who asks, and whether individual-level detail is allowed."""

    organisation_id: int
    code: str
    name: str
    kind: str
    viewer_organisation_id: int
    viewer_sees_individuals: bool = True

    @property
    def own(self) -> bool:
        """Whether the viewer asks about its own organisation."""
        return self.viewer_organisation_id == self.organisation_id

    @property
    def individual_level(self) -> bool:
        """Only the ordering board itself, and there only roles that work with individual cases, see detail."""
        return self.own and self.viewer_sees_individuals

    def as_dict(self) -> dict[str, object]:
        return {"id": self.organisation_id, "code": self.code, "name": self.name, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Period:
    """A closed date interval (Stockholm dates)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"the period ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days > 366 * 10:
            raise InvalidInput("a report period may be at most ten years")

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))


def resolve(
    conn: Connection, viewer_organisation_id: int, target: int | str | None = None, sees_individuals: bool = True
) -> Scope:
    """The scope for ``viewer`` asking about ``target`` (id or code; default: the viewer's own).

    ``sees_individuals`` is False for viewers whose roles see aggregates only (the board, its secretary).
    """
    viewer = conn.execute(select(ORG).where(ORG.c.id == viewer_organisation_id)).mappings().first()
    if viewer is None:
        raise NotFound(f"organisation {viewer_organisation_id} not found")
    if target is None or target == viewer["id"] or target == viewer["code"]:
        return Scope(viewer["id"], viewer["code"], viewer["name"], viewer["kind"], viewer["id"], sees_individuals)
    col = ORG.c.id if isinstance(target, int) else ORG.c.code
    row = conn.execute(select(ORG).where(col == target)).mappings().first()
    under = row is not None and (row["parent_id"] == viewer["id"] or row["kind"] == "district_board")
    if row is None or viewer["kind"] != "central_board" or not under:
        raise NotFound(f"organisation {target} not found")
    return Scope(row["id"], row["code"], row["name"], row["kind"], viewer["id"], sees_individuals)


def children(conn: Connection, organisation_id: int) -> list[int]:
    """Ids of the boards directly under an organisation (e.g. district boards under the central board)."""
    return [r[0] for r in conn.execute(select(ORG.c.id).where(ORG.c.parent_id == organisation_id).order_by(ORG.c.id))]
