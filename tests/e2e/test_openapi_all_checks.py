"""Schemathesis with every check against the app in-process: the OpenAPI document is the exact contract.

Schemathesis' own engine runs its examples, coverage and fuzzing phases over every operation, as a district's
contract strategist with a valid token, with every check: no 5xx, every response conforms (status, media type,
schema, headers), a request the schema forbids (an unknown body field, a wrong type, a missing field) is refused
(``negative_data_rejection``), a method the path does not have answers 405 with an ``Allow`` header
(``unsupported_method``), and a schema-valid request is accepted (``positive_data_acceptance``). A schema-valid
request may still break a business rule: the product answers that 422 *naming the rule*, so 422 counts as
accepted there, and the stricter check below holds instead: the server's own input validation (``rule`` =
``schema``) never refuses what the document allows. Seeded and bounded (examples per operation).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from tests.e2e.conftest import Api

pytestmark = [pytest.mark.e2e, pytest.mark.only_on("sqlite")]  # the contract is the HTTP layer's, not the database's

MAX_EXAMPLES = int(os.environ.get("UPPF_SCHEMATHESIS_EXAMPLES", "20"))  # about 45 s here; 100 pass too (7 min)


@schemathesis.check
def schema_valid_input_is_not_refused_as_invalid(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request is never refused by the server's own input validation (422 with rule ``schema``)."""
    meta = case.meta
    if meta is None or meta.generation.mode.value != "positive" or response.status_code != 422:
        return None
    body = response.json() if response.content else {}
    if body.get("rule") == "schema":
        raise AssertionError(
            f"a schema-valid request was refused as invalid input: {body.get('errors')} body={case.body!r}"[:600]
        )
    return None


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261207,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]},
            },
        }
    )


def test_every_operation_keeps_the_exact_contract_under_every_check(api: Api) -> None:
    config = _config(api.token("NORTH", "contract_strategist"))
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", api.client.app, config=config)
    failures: set[str] = set()
    operations = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.SuiteStarted):
            continue
        if isinstance(event, events.ScenarioFinished):
            operations += 1
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE:
                        info = node.failure_info
                        title = info.failure.title if info is not None else ""
                        detail = " ".join(str(info.failure.message).split())[:300] if info is not None else ""
                        failures.add(f"{event.label} [{event.phase.value}] {node.name}: {title}: {detail}")
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures.add(f"engine error: {getattr(event, 'info', event)}")
    assert operations >= 20
    assert not failures, "\n".join(sorted(failures))
