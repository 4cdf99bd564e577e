"""JSON values as the API documents them: ``Json`` is any JSON value, named and recursive in the OpenAPI
document, so that a generated client types it (``string | number | boolean | null | Json[] | {[key:
string]: Json}``) instead of ``unknown``. For what is free-form by nature: audit snapshots, a signed
record's content, a questionnaire's answers by question, an event's data."""

from typing import Annotated

from pydantic import JsonValue, WithJsonSchema
from typing_extensions import TypeAliasType

_REF = {"$ref": "#/components/schemas/Json"}

Json = TypeAliasType("Json", Annotated[JsonValue, WithJsonSchema({
    "title": "Json", "description": "any JSON value",
    "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"},
              {"type": "array", "items": _REF}, {"type": "object", "additionalProperties": _REF}]})])

JsonObject = dict[str, Json]
