"""Roles a user can hold (roller) and the vocabulary shared by the case types."""

from enum import StrEnum


class Role(StrEnum):
    """A role in the municipality's organisation (roll)."""

    CONTRACT_STRATEGIST = "contract_strategist"  # avtalsansvarig strateg
    PLACEMENT_COORDINATOR = "placement_coordinator"  # placeringssamordnare
    SOCIAL_WORKER = "social_worker"  # socialsekreterare
    NEEDS_ASSESSOR = "needs_assessor"  # biståndshandläggare
    UNIT_MANAGER = "unit_manager"  # enhetschef
    DEPARTMENT_HEAD = "department_head"  # avdelningschef
    DIRECTOR = "director"  # förvaltningsdirektör / socialdirektör
    BOARD = "board"  # nämnden (ordförande/ledamot som registrerar nämndbeslut)
    BOARD_SECRETARY = "board_secretary"  # nämndsekreterare
    ADMINISTRATOR = "administrator"  # administratör: organisationer, användare och roller, granskning av åtkomst


#: Roles that administer rather than handle cases: no case work, no decision mandates, no individual-level content.
ADMIN_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR.value,)


STAFF_ROLES: tuple[str, ...] = tuple(r.value for r in Role if r is not Role.BOARD and r.value not in ADMIN_ROLES)

#: Who is told at each escalation rung unless a ladder says otherwise.
OWNER = "owner"
PROVIDER = "provider_contact"
#: The role a case names as responsible in its ``responsible_role`` attribute (an audit response's measure).
RESPONSIBLE_ROLE = "responsible_role"
