"""The state diagram's picture is laid out from the same tables the engine runs."""

from __future__ import annotations

import pytest

from api.web.diagram import BOX_H, BOX_W, draw
from states.registry import CASE_TYPES


@pytest.mark.parametrize("name", list(CASE_TYPES))
def test_every_state_has_a_box_and_every_transition_an_arrow_inside_the_picture(name: str) -> None:
    spec = CASE_TYPES[name]
    drawing = draw(spec)
    assert {b.state for b in drawing.boxes} == {s.value for s in spec.states}
    pairs = {(s, t.dest) for t in spec.transitions for s in t.source}
    assert {(a.source, a.dest) for a in drawing.arrows} == pairs
    for b in drawing.boxes:
        assert b.x >= 0 and b.y >= 0
        assert b.x + BOX_W <= drawing.width and b.y + BOX_H <= drawing.height
    initial = next(b for b in drawing.boxes if b.initial)
    assert initial.state == spec.initial and initial.x == min(b.x for b in drawing.boxes)
    assert {b.state for b in drawing.boxes if b.final} == set(spec.finals)
