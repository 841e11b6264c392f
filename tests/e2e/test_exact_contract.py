"""The OpenAPI document says exactly what the server does: unknown fields, methods, numbers (issue 15)."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest

from tests.e2e.conftest import Api, problem_of

pytestmark = [pytest.mark.e2e, pytest.mark.only_on("sqlite")]  # the HTTP layer's contract, not the database's

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _document(api: Api) -> dict[str, Any]:
    r = api.client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _body_schema(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema  # type: ignore[no-any-return]


def _fill(path: str) -> str:
    """The path with every parameter filled with a value of its kind (1 for ids, a report name, a case type)."""
    out = []
    for part in path.split("/"):
        if part.startswith("{"):
            out.append("annual" if part == "{name}" else "complaint" if part == "{case_type}" else "1")
        else:
            out.append(part)
    return "/".join(out)


def test_every_json_request_body_is_closed_to_unknown_fields(api: Api) -> None:
    doc = _document(api)
    bodies = {
        f"{method.upper()} {path}": _body_schema(doc, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }
    bodies = {k: v for k, v in bodies.items() if v is not None}
    for required in (
        "POST /contract-areas",
        "POST /providers",
        "PATCH /agreements/{agreement_id}",
        "PATCH /contract-areas/{area_id}",
        "PATCH /providers/{provider_id}",
        "PATCH /placements/{placement_id}",
        "PUT /providers/{provider_id}/follow-up-owner",
    ):
        assert required in bodies
    assert {k for k, schema in bodies.items() if schema.get("additionalProperties") is not False} == set()


def test_the_server_refuses_an_unknown_field_wherever_the_schema_closes_the_body(api: Api) -> None:
    doc = _document(api)
    headers = api.auth("NORTH", "contract_strategist")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS or _body_schema(doc, op) is None:
                continue
            r = api.client.request(method.upper(), _fill(path), headers=headers, content=json.dumps({"not_a_field": 1}))
            assert r.status_code == 422, (method, path, r.status_code, r.text)
            body = problem_of(r)
            assert body["rule"] == "schema", (method, path, body)


def test_a_method_a_path_does_not_have_answers_405_with_allow_listing_the_paths_methods(api: Api) -> None:
    doc = _document(api)
    headers = api.auth("NORTH", "contract_strategist")
    for path, item in doc["paths"].items():
        documented = {m.upper() for m in item if m in METHODS}
        missing = sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - documented)
        if not missing:
            continue
        r = api.client.request(missing[0], _fill(path), headers=headers)
        assert r.status_code == 405, (path, missing[0], r.status_code)
        allow = {m.strip() for m in r.headers["allow"].split(",")}
        assert allow == documented | {"OPTIONS"}, (path, allow)
        assert problem_of(r)["type"].endswith("/method_not_allowed")  # type: ignore[union-attr]
        options = api.client.options(_fill(path), headers=headers)
        assert {m.strip() for m in options.headers["allow"].split(",")} == allow, path


def test_no_value_in_the_document_is_both_an_integer_and_a_number(api: Api) -> None:
    doc = _document(api)
    both: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            types = [m.get("type") for m in node.get("oneOf", []) if isinstance(m, dict)]
            if "integer" in types and "number" in types:
                both.append(where)
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(doc, "")
    assert both == []
    cell = doc["components"]["schemas"]["TableOut"]["properties"]["rows"]["items"]["additionalProperties"]
    assert [m["type"] for m in cell["oneOf"]] == ["string", "number", "boolean", "null"]


def test_constraints_inside_optional_fields_and_mapping_keys_are_declared(api: Api) -> None:
    schemas = _document(api)["components"]["schemas"]
    money = schemas["AgreementPatch"]["properties"]["purchase_value_sek"]["oneOf"][0]
    assert (money["type"], money["minimum"]) == ("integer", 0)
    params = schemas["OpenCaseIn"]["properties"]["params"]["oneOf"][0]
    assert params["propertyNames"] == {"type": "string", "minLength": 1, "maxLength": 48}
    assert params["maxProperties"] == 20
    answers = schemas["IndividualFollowUpIn"]["properties"]["answers"]["oneOf"][0]
    assert sorted(answers["propertyNames"]["enum"]) == ["A1", "A2", "A3", "A4", "C1", "C2", "C3"]


@pytest.mark.parametrize(
    "component,field",
    [
        ("ProviderIn", "contact_email"),
        ("ProviderIn", "name"),
        ("ProviderIn", "org_number"),
        ("TransitionIn", "reason"),
    ],
)
def test_the_document_and_the_server_accept_the_same_strings_for_a_pattern(
    api: Api, component: str, field: str
) -> None:
    """Python's ``\\s`` counts ``\\x1c``–``\\x1f`` as white space and its ``\\d`` any Unicode digit; JSON Schema's
    do not. Patterns spell their classes out, so that a validating client and the server agree on every string."""
    import jsonschema_rs
    import msgspec

    from api.schemas.cases import TransitionIn
    from api.schemas.catalogue import ProviderIn

    schema = _document(api)["components"]["schemas"][component]["properties"][field]
    pattern = next(s["pattern"] for s in [schema, *schema.get("oneOf", [])] if "pattern" in s)
    document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    struct = {"ProviderIn": ProviderIn, "TransitionIn": TransitionIn}[component]
    annotation = typing.get_type_hints(struct, include_extras=True)[field]
    for value in ["a@b.se", "\x1f@b", "a\x1fb@c", "\x1f", "\x01", "\u00a0", "\u3000x", "١٢٣٤٥٦-١٢٣٤", "556677-8899"]:
        try:
            msgspec.convert(value, annotation)
            server = True
        except msgspec.ValidationError:
            server = False
        assert document.is_valid(value) == server, (component, field, repr(value))
