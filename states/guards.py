"""Names of the guards a transition table may use (villkor), and what each reads.

The implementations live in ``workflow.engine.guards``; the validator checks every table
only uses names listed here, and a test checks every name has an implementation.
A guard that reads no trigger parameter can be evaluated before the form is filled,
so the list of a case's triggers can say up front that it would refuse.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Guard:
    """A guard's meaning and the trigger parameters it reads."""

    description: str
    reads: tuple[str, ...] = ()


GUARDS: dict[str, Guard] = {
    "outcome_matches_regime": Guard(
        "in-house units get mandate outcomes, contracted providers contract outcomes", reads=("outcome",)
    ),
    "no_open_remedy_requests": Guard("every supplementation/rectification request of the follow-up is closed"),
    "agreement_period_ended": Guard("the agreement's period has ended"),
    "outcome_is_no_remarks": Guard("a control recorded without remarks has the outcome no_remarks", reads=("outcome",)),
    "outcome_is_remarks": Guard("a control recorded with remarks has the outcome remarks", reads=("outcome",)),
    "no_open_audit_measures": Guard("every measure of the audit response is done or cancelled"),
}
