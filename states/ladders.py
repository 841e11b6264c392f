"""Reminder/escalation ladders several deadlines share, by name (påminnelsetrappor).

A deadline policy names one of these, or gives its own rungs when no other deadline
climbs the same way.
"""

from states.roles import OWNER, PROVIDER, Role
from states.spec import Ladder, Rung

#: The provider was asked to supplement or remedy: remind, then escalate up the line (deviation, follow-up).
PROVIDER_REMEDY = Ladder(
    "provider_remedy",
    (
        Rung(-3, (OWNER,)),
        Rung(0, (OWNER,)),
        Rung(1, (OWNER,), True),
        Rung(5, (Role.UNIT_MANAGER,), True),
        Rung(10, (Role.DEPARTMENT_HEAD,), True),
    ),
)
#: A new report waits to be looked at: remind the owner, then escalate to the unit manager.
TRIAGE = Ladder("triage", (Rung(0, (OWNER,)), Rung(2, (Role.UNIT_MANAGER,), True)))
#: The provider owes a document or an answer: remind the provider and the owner before and on the day.
PROVIDER_DUE = Ladder("provider_due", (Rung(-3, (PROVIDER, OWNER)), Rung(0, (PROVIDER, OWNER))))
#: Something received waits for review: remind the owner, then escalate to the unit manager.
REVIEW = Ladder("review", (Rung(0, (OWNER,)), Rung(5, (Role.UNIT_MANAGER,), True)))

LADDERS: dict[str, Ladder] = {ladder.name: ladder for ladder in (PROVIDER_REMEDY, TRIAGE, PROVIDER_DUE, REVIEW)}
