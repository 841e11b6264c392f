"""A case type's state diagram as a picture (tillståndsdiagram), laid out from the running tables.

States stand in columns by their distance from the initial state; an arrow for every
transition. The page draws it as inline SVG (no script, no CDN); the tables beside it carry
the same content in text.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from states.spec import CaseTypeSpec

BOX_W, BOX_H = 210, 44
COL_GAP, ROW_GAP = 70, 26
MARGIN = 16
TOP = 40  # room above the boxes for arrows that go back


@dataclass(frozen=True, slots=True)
class Box:
    """A state's box: top-left corner and whether it starts or ends the case."""

    state: str
    x: int
    y: int
    initial: bool
    final: bool


@dataclass(frozen=True, slots=True)
class Arrow:
    """A transition's arrow as an SVG path."""

    source: str
    dest: str
    path: str
    system: bool


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything the template needs to draw the diagram."""

    width: int
    height: int
    boxes: list[Box]
    arrows: list[Arrow]


def _layers(spec: CaseTypeSpec) -> dict[str, int]:
    """Each state's distance from the initial state (unreachable states after the farthest)."""
    depth = {spec.initial: 0}
    queue = deque([spec.initial])
    while queue:
        state = queue.popleft()
        for tr in spec.triggers_from(state):
            if tr.dest not in depth:
                depth[tr.dest] = depth[state] + 1
                queue.append(tr.dest)
    last = max(depth.values()) + 1
    return {s.value: depth.get(s.value, last) for s in spec.states}


def draw(spec: CaseTypeSpec) -> Drawing:
    """The diagram of ``spec``: boxes in columns, arrows between them."""
    layers = _layers(spec)
    columns: dict[int, list[str]] = {}
    for state in (s.value for s in spec.states):  # the enum's order keeps the picture stable
        columns.setdefault(layers[state], []).append(state)
    boxes: dict[str, Box] = {}
    for col, states in sorted(columns.items()):
        for row, state in enumerate(states):
            x = MARGIN + col * (BOX_W + COL_GAP)
            y = TOP + row * (BOX_H + ROW_GAP)
            boxes[state] = Box(state, x, y, state == spec.initial, state in spec.finals)
    arrows = []
    seen = set()
    for tr in spec.transitions:
        for source in tr.source:
            if (source, tr.dest) in seen:
                continue
            seen.add((source, tr.dest))
            arrows.append(Arrow(source, tr.dest, _path(boxes[source], boxes[tr.dest]), tr.system))
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + COL_GAP) - COL_GAP // 2  # curves beside the last column
    height = TOP + MARGIN + max(len(v) for v in columns.values()) * (BOX_H + ROW_GAP) - ROW_GAP
    return Drawing(width, height, list(boxes.values()), arrows)


def _path(a: Box, b: Box) -> str:
    """Forward: right side to left side; within a column or backwards: a curve around."""
    ay, by = a.y + BOX_H // 2, b.y + BOX_H // 2
    if b.x > a.x:
        x1, x2 = a.x + BOX_W, b.x - 4
        mid = (x1 + x2) // 2
        return f"M{x1},{ay} C{mid},{ay} {mid},{by} {x2},{by}"
    if b.x == a.x:
        x = a.x + BOX_W
        bend = x + COL_GAP // 2
        return f"M{x},{ay} C{bend},{ay} {bend},{by} {x + 4},{by}"
    top = min(a.y, b.y) - TOP + 6
    x1, x2 = a.x + BOX_W // 2, b.x + BOX_W // 2
    return f"M{x1},{a.y} C{x1},{top} {x2},{top} {x2},{b.y - 4}"
