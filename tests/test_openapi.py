"""The committed OpenAPI document is what the app serves; regenerate with `python -m app export-openapi`."""

import json
from pathlib import Path

from app.__main__ import openapi_document

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_is_current():
    assert json.loads(COMMITTED.read_text()) == openapi_document(), (
        "openapi/openapi.json is stale: run `python -m app export-openapi` and commit it"
    )


def test_operation_ids_are_unique_and_present():
    ids = [op["operationId"] for path in openapi_document()["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) and all(ids)
