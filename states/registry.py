"""Every case type the engine knows, by name."""

from states import (
    agreement,
    call_off_suspension,
    complaint,
    control_check,
    deviation,
    follow_up,
    implementation_plan,
    monthly_report,
    rectification_request,
)
from states.spec import CaseTypeSpec

CASE_TYPES: dict[str, CaseTypeSpec] = {
    spec.name: spec
    for spec in (
        follow_up.SPEC,
        deviation.SPEC,
        complaint.SPEC,
        rectification_request.SPEC,
        call_off_suspension.SPEC,
        agreement.SPEC,
        implementation_plan.SPEC,
        monthly_report.SPEC,
        control_check.SPEC,
    )
}


def decision_kinds(spec: CaseTypeSpec) -> set[str]:
    """Every decision kind a case type can need, with ``{kind}`` templates expanded."""
    kinds: set[str] = set()
    for tr in spec.transitions:
        if tr.decision is None:
            continue
        if "{kind}" in tr.decision:
            kinds.update(tr.decision.format(kind=k) for k in spec.kinds)
        else:
            kinds.add(tr.decision)
    return kinds


def all_decision_kinds() -> set[str]:
    """Every decision kind any case type can need."""
    out: set[str] = set()
    for spec in CASE_TYPES.values():
        out |= decision_kinds(spec)
    return out
