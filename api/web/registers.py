"""The register pages: a provider (Utförare) and an agreement (Avtal), from ``workflow.registers.queries``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import PathParameter
from litestar.response import Template

from api.web.page import render, translator, uow_of
from api.web.viewer import current
from workflow.engine.errors import NotFound
from workflow.i18n import N_
from workflow.registers.queries import agreement_view, provider_view

RowId = Annotated[int, PathParameter(description="row id")]

#: Agreement types (avtalsformer) as the pages name them.
AGREEMENT_TYPES = {
    "framework_lou": N_("Framework agreement (LOU)"),
    "lov": N_("LOV agreement"),
    "individual": N_("Individual agreement"),
    "direct_award": N_("Direct award"),
    "outsourcing": N_("Outsourcing agreement"),
    "call_off": N_("Call-off"),
    "in_house_mandate": N_("In-house mandate"),
}


def _in_range(row_id: int) -> None:
    if not 1 <= row_id < 2**31:
        raise NotFound("no such row")


@get("/utforare/{provider_id:int}", sync_to_thread=True)
def provider(request: Request[Any, Any, Any], provider_id: RowId) -> Template:
    """A provider: register data, the agreements the user sees, the board's open and closed cases, exclusions."""
    user = current(request)
    _ = translator(request)
    _in_range(provider_id)
    view = provider_view(uow_of(request), user.actor, provider_id)
    return render(
        request,
        "provider.html",
        view["name"],
        user,
        view=view,
        agreement_types=AGREEMENT_TYPES,
        now=uow_of(request).clock(),
    )


@get("/avtal/{agreement_id:int}", sync_to_thread=True)
def agreement(request: Request[Any, Any, Any], agreement_id: RowId) -> Template:
    """An agreement: its terms, provider and area by name, call-offs, and the board's cases about it."""
    user = current(request)
    _ = translator(request)
    _in_range(agreement_id)
    view = agreement_view(uow_of(request), user.actor, agreement_id)
    return render(
        request,
        "agreement.html",
        _("Agreement %(number)s") % {"number": view["registry_number"]},
        user,
        view=view,
        agreement_types=AGREEMENT_TYPES,
        now=uow_of(request).clock(),
    )


HANDLERS = [provider, agreement]
