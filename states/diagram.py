"""Mermaid state diagrams (tillståndsdiagram) drawn from the same tables the engine runs."""

from states.spec import CaseTypeSpec


def mermaid(spec: CaseTypeSpec) -> str:
    """The case type as Mermaid ``stateDiagram-v2`` text."""
    lines = ["stateDiagram-v2", f"    [*] --> {spec.initial}"]
    for tr in spec.transitions:
        note = f" [{tr.decision}]" if tr.decision else ""
        for s in tr.source:
            lines.append(f"    {s} --> {tr.dest}: {tr.trigger}{note}")
    for f in sorted(spec.finals):
        lines.append(f"    {f} --> [*]")
    return "\n".join(lines) + "\n"
