"""Implementation plan (genomförandeplan) the provider delivers for a placement."""

from states.delivery import DeliveryState, delivery_spec

ImplementationPlanState = DeliveryState

SPEC = delivery_spec(
    "implementation_plan",
    "Implementation plan (genomförandeplan)",
    days=30,
    working_days=False,
    source="[003 l.289–291]; [001 l.667–671]",
)
