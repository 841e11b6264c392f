"""The provisional text of a reminder or escalation row (påminnelse, eskalering).

The sweep writes it with the outbox row; the text actually sent is composed at delivery by
:mod:`workflow.notify.messages` from the deadline it points to, and replaces this one. The
provisional subject is the delivered one's first line, so the outbox reads the same before and after.
Messages name the case by number and type only: no client data, no provider's individual data.
"""

from __future__ import annotations

from datetime import date

from workflow import i18n
from workflow.settings import get_settings


def render(
    *, action: str, deadline_kind: str, case_id: int, case_label: str, due: date, today: date
) -> tuple[str, str]:
    """Subject and body of one reminder (``action`` is reminder or escalation) until it is delivered."""
    locale = get_settings().mail_locale
    values = {
        "what": i18n.label(locale, "deadline", deadline_kind),
        "id": case_id,
        "due": i18n.format_day(locale, due, "short"),
    }
    if action == "escalation":
        subject = i18n.gettext(locale, "Escalation: %(what)s in case %(id)s, due %(due)s") % values
    else:
        subject = i18n.gettext(locale, "Reminder: %(what)s in case %(id)s, due %(due)s") % values
    return subject, subject + "\n"
