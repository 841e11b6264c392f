"""Names of the guards a transition table may use (villkor).

The implementations live in ``workflow.guards``; the validator checks every table
only uses names listed here, and a test checks every name has an implementation.
"""

GUARDS: dict[str, str] = {
    "outcome_matches_regime": "in-house units get mandate outcomes, contracted providers contract outcomes",
    "no_open_remedy_requests": "every supplementation/rectification request of the follow-up is closed",
    "agreement_period_ended": "the agreement's period has ended",
    "outcome_is_no_remarks": "a control recorded without remarks has the outcome no_remarks",
    "outcome_is_remarks": "a control recorded with remarks has the outcome remarks",
}
