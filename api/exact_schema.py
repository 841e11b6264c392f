"""The OpenAPI document says exactly what the server accepts and answers.

- msgspec refuses an unknown field of a ``Struct`` declared ``forbid_unknown_fields=True`` (the API's request
  bodies), but Litestar's schema for a struct does not say so; this plugin, consulted before Litestar's own, declares
  ``additionalProperties: false`` there.
- Constraints msgspec enforces but Litestar's schema loses are restored from msgspec's own view of each field
  (:func:`msgspec.inspect.type_info`): bounds inside an optional (``Money | None``), a bound of 0, the names and
  number of a mapping's keys (``propertyNames``, ``maxProperties``), the length of a list.
- A value typed ``int | float`` (a report cell) becomes ``oneOf: [integer, number]`` in Litestar's schema, and 0
  matches both, which ``oneOf`` forbids; such a union is declared ``number`` alone (an integer is a number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import msgspec.inspect as mi
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
            info = msgspec.inspect.type_info(field_definition.type_)
            if isinstance(info, mi.StructType):
                for field in info.fields:
                    prop = (schema.properties or {}).get(field.encode_name)
                    if isinstance(prop, Schema):
                        _constrain(prop, field.type)
        _one_numeric_type(schema, set())
        return schema


_KIND = {
    mi.IntType: OpenAPIType.INTEGER,
    mi.FloatType: OpenAPIType.NUMBER,
    mi.StrType: OpenAPIType.STRING,
    mi.DictType: OpenAPIType.OBJECT,
    mi.ListType: OpenAPIType.ARRAY,
}


def _constrain(schema: Schema, t: mi.Type) -> None:
    """Put msgspec's constraints of ``t`` on ``schema`` (Litestar's schema of the same type), recursively."""
    if isinstance(t, mi.UnionType):
        for member in t.types:
            kind = _KIND.get(type(member))
            if kind is None:
                continue
            if schema.one_of:
                for candidate in schema.one_of:
                    if isinstance(candidate, Schema) and candidate.type == kind:
                        _constrain(candidate, member)
            elif schema.type == kind or (isinstance(schema.type, list) and kind in schema.type):
                _constrain(schema, member)
        return
    if isinstance(t, mi.IntType | mi.FloatType):
        for name, value in (("minimum", t.ge), ("maximum", t.le), ("exclusive_minimum", t.gt)):
            if value is not None:
                setattr(schema, name, value)
        if t.lt is not None:
            schema.exclusive_maximum = t.lt
    elif isinstance(t, mi.StrType):
        if t.min_length is not None:
            schema.min_length = t.min_length
        if t.max_length is not None:
            schema.max_length = t.max_length
        if t.pattern is not None:
            schema.pattern = t.pattern
    elif isinstance(t, mi.ListType):
        if t.min_length is not None:
            schema.min_items = t.min_length
        if t.max_length is not None:
            schema.max_items = t.max_length
        if isinstance(schema.items, Schema):
            _constrain(schema.items, t.item_type)
    elif isinstance(t, mi.DictType):
        if t.min_length is not None:
            schema.min_properties = t.min_length
        if t.max_length is not None:
            schema.max_properties = t.max_length
        key = t.key_type
        if isinstance(key, mi.LiteralType):
            schema.property_names = Schema(type=OpenAPIType.STRING, enum=list(key.values))
        elif isinstance(key, mi.EnumType):
            schema.property_names = Schema(type=OpenAPIType.STRING, enum=[m.value for m in key.cls])
        elif isinstance(key, mi.StrType) and (key.min_length or key.max_length or key.pattern):
            names = Schema(type=OpenAPIType.STRING)
            _constrain(names, key)
            schema.property_names = names
        if isinstance(schema.additional_properties, Schema):
            _constrain(schema.additional_properties, t.value_type)


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
