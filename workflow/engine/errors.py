"""The error tree of the workflow (fel). The API maps these to problem responses in one place.

Every refusal names what was tried, from where, and the rule that refused it.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error the workflow raises on purpose."""

    code = "workflow_error"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class NotFound(WorkflowError):
    """The object does not exist or is outside the caller's organisation."""

    code = "not_found"


class InvalidInput(WorkflowError):
    """The request itself is malformed (unknown parameter, bad value, missing field)."""

    code = "invalid_input"


class Conflict(WorkflowError):
    """Someone else changed the case first (compare-and-set failed)."""

    code = "conflict"


class Unavailable(WorkflowError):
    """A part of the product cannot work on this server now (e.g. PDF printing without the system's Pango)."""

    code = "unavailable"


class Refused(WorkflowError):
    """A transition was refused by a rule; nothing was written."""

    code = "refused"


class UnknownTrigger(Refused):
    """The case type has no such trigger."""

    code = "unknown_trigger"


class WrongState(Refused):
    """The trigger exists but not from the case's current state."""

    code = "wrong_state"


class GuardFailed(Refused):
    """A guard (villkor) of the transition did not hold."""

    code = "guard_failed"


class NoMandate(Refused):
    """The actor holds no mandate for the decision under the delegation order."""

    code = "no_mandate"


class InHouseRefused(Refused):
    """A contractual step was tried on an in-house unit (egen regi), which has no contract."""

    code = "in_house_no_contract"


class NotPermitted(Refused):
    """The actor's roles may not fire this (non-decision) trigger."""

    code = "role_not_permitted"


class EventDateRefused(Refused):
    """The date an event happened on (occurred_on) breaks a rule: in the future, before the case was opened, before
    the case's latest event, or older than the late-entry window without a reason. ``rule`` names which."""

    code = "occurred_on"
