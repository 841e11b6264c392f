"""Every case type the engine knows, by name; each table is proven sound as it loads."""

from collections.abc import Iterable

from states import (
    agreement,
    audit_measure,
    audit_response,
    call_off_suspension,
    complaint,
    control_check,
    deviation,
    follow_up,
    implementation_plan,
    monthly_report,
    rectification_request,
)
from states.spec import CaseTypeSpec, Subject
from states.validator import UnsoundTable, validate


def load(specs: Iterable[CaseTypeSpec]) -> dict[str, CaseTypeSpec]:
    """The case types by name; :class:`UnsoundTable` names every problem of a broken table (at import)."""
    out: dict[str, CaseTypeSpec] = {}
    for spec in specs:
        if spec.name in out:
            raise UnsoundTable(f"two case types are named {spec.name!r}")
        out[spec.name] = validate(spec)
    return out


CASE_TYPES: dict[str, CaseTypeSpec] = load(
    (
        follow_up.SPEC,
        deviation.SPEC,
        complaint.SPEC,
        rectification_request.SPEC,
        call_off_suspension.SPEC,
        agreement.SPEC,
        implementation_plan.SPEC,
        monthly_report.SPEC,
        control_check.SPEC,
        audit_response.SPEC,
        audit_measure.SPEC,
    )
)


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


#: Individual-level case types: seen only inside the ordering board, and reading them is logged.
INDIVIDUAL_TYPES: tuple[str, ...] = tuple(sorted(n for n, s in CASE_TYPES.items() if s.individual))
#: Documents the provider delivers (leveranser): lateness counts towards a late-delivery deviation.
DELIVERY_TYPES: tuple[str, ...] = tuple(sorted(n for n, s in CASE_TYPES.items() if s.delivery))


#: The state a case enters when its due date has passed (försenad). A case in it is overdue whatever its
#: deadlines say (the deadline it then has is the next rung, e.g. the sanction, not the missed due date).
OVERDUE_STATE = "overdue"


def needing(subject: Subject) -> frozenset[str]:
    """Names of the case types that cannot be opened without a link to ``subject``."""
    return frozenset(n for n, s in CASE_TYPES.items() if s.subject is subject and s.subject_required)
