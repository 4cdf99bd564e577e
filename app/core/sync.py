"""What offline sync endpoints share (questionnaire responses, inspections): a batch item is answered on
its own, so an item that does not even parse is answered with the id it claims and why it was refused."""

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.core.errors import error_body, validation_details
from app.core.i18n import english


def claimed_id(raw: Any, key: str) -> uuid.UUID | None:
    """The id an item claims under ``key``, if it is an object with a valid UUID there."""
    try:
        return uuid.UUID(str(raw.get(key))) if isinstance(raw, dict) else None
    except ValueError:
        return None


def invalid(exc: ValidationError) -> dict[str, Any]:
    """The error of an item that failed validation, as the API answers it (in the request's language)."""
    return error_body("validation_error", english(), validation_details(exc))["error"]



@dataclass(frozen=True)
class DocumentedAs:
    """``list[Annotated[Any, DocumentedAs(Model)]]``: a batch item documented as ``Model`` - a client
    generates its type - but taken as sent, whatever it is, to be checked on its own (a bad item never
    fails the batch)."""

    model: type[BaseModel]

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(self.model.__pydantic_core_schema__)
