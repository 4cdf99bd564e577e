"""JSON values as the API documents them: ``Json`` is any JSON value, named in the OpenAPI document, so
that a generated client types it (``string | number | boolean | null | JsonObject | (...)[]``) instead of
``unknown``; ``JsonObject`` an object of them. For what is free-form by nature: audit snapshots, a signed
record's content, a questionnaire's answers by question, an event's data.

The two refer to each other through the object, never directly: a TypeScript type that names itself in
its own union does not compile. An array's items are scalars or objects (nothing here nests arrays).
"""

from typing import Annotated

from pydantic import JsonValue, WithJsonSchema
from typing_extensions import TypeAliasType

_OBJECT = {"$ref": "#/components/schemas/JsonObject"}
_SCALARS = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]

Json = TypeAliasType("Json", Annotated[JsonValue, WithJsonSchema({
    "title": "Json", "description": "any JSON value",
    "anyOf": [*_SCALARS, _OBJECT, {"type": "array", "items": {"anyOf": [*_SCALARS, _OBJECT]}}]})])

JsonObject = TypeAliasType("JsonObject", Annotated[dict[str, JsonValue], WithJsonSchema({
    "title": "JsonObject", "description": "a JSON object",
    "type": "object", "additionalProperties": {"$ref": "#/components/schemas/Json"}})])
