"""Monthly report (månadsrapport) the provider delivers for each intervention."""

from states.delivery import DeliveryState, delivery_spec

MonthlyReportState = DeliveryState

SPEC = delivery_spec(
    "monthly_report",
    "Monthly report (månadsrapport)",
    days=10,
    working_days=True,
    source="[001 l.660–665]",
)
