"""The API's recording vocabularies are the ones the reports count (written twice: typing needs literals)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from api import recordings as api
from workflow.reports import recording as reports

PAIRS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "invoice sample selections": (api.Selection, reports.SELECTIONS),
    "invoice error types": (api.InvoiceError, reports.INVOICE_ERRORS),
    "individual follow-up ratings": (api.Rating, reports.RATINGS),
    "individual follow-up questions": (api.Question, reports.CLIENT_QUESTIONS + reports.ASSESSMENT_QUESTIONS),
}


@pytest.mark.parametrize("vocabulary", PAIRS)
def test_the_api_accepts_exactly_the_values_the_reports_know(vocabulary: str) -> None:
    literal, values = PAIRS[vocabulary]
    assert get_args(literal) == values
