"""The OpenAPI document says exactly what the server accepts and answers.

- msgspec refuses an unknown field of a ``Struct`` declared ``forbid_unknown_fields=True`` (the API's request
  bodies), but Litestar's schema for a struct does not say so; this plugin, consulted before Litestar's own, declares
  ``additionalProperties: false`` there.
- A value typed ``int | float`` (a report cell) becomes ``oneOf: [integer, number]`` in Litestar's schema, and 0
  matches both, which ``oneOf`` forbids; such a union is declared ``number`` alone (an integer is a number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import OpenAPIType, Schema

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition


class ExactStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's struct schema, with ``additionalProperties: false`` when the struct forbids unknown fields."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if getattr(field_definition.type_, "__struct_config__", None) is not None and (
            field_definition.type_.__struct_config__.forbid_unknown_fields
        ):
            schema.additional_properties = False
        _one_numeric_type(schema, set())
        return schema


def _one_numeric_type(schema: Any, seen: set[int]) -> None:
    """Drop ``integer`` from every ``oneOf`` that also has ``number``, anywhere below ``schema``."""
    if not isinstance(schema, Schema) or id(schema) in seen:
        return
    seen.add(id(schema))
    if schema.one_of:
        types = [getattr(s, "type", None) for s in schema.one_of]
        if OpenAPIType.INTEGER in types and OpenAPIType.NUMBER in types:
            schema.one_of = [s for s in schema.one_of if getattr(s, "type", None) != OpenAPIType.INTEGER]
        for s in schema.one_of:
            _one_numeric_type(s, seen)
    for child in (*(schema.properties or {}).values(), schema.items, schema.additional_properties):
        _one_numeric_type(child, seen)


__all__ = ["ExactStructSchemaPlugin"]
