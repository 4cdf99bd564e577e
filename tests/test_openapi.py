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


def _operations():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_error_response_is_the_projects_shape_with_its_codes_typed():
    from app.core.errors import CATALOGUE

    document = openapi_document()
    assert "HTTPValidationError" not in json.dumps(document)  # FastAPI's {detail}: never answered here
    checked = 0
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            body = response["content"]["application/json"]["schema"]["properties"]["error"]
            codes = body["properties"]["code"]["enum"]
            assert codes and set(body["required"]) == {"code", "message", "details"}, (method, path, status)
            for code in codes:  # each a code of the catalogue, answered with this very status
                assert CATALOGUE[code].status == int(status), (method, path, status, code)
                assert f"`{code}`" in response["description"]
            checked += 1
    assert checked > 300


def test_operation_ids_read_alone():
    """A client that flattens namespaces keeps them apart: no bare verb (``verify``, ``logout``)."""
    ops = {"healthz", "readyz", "metrics"}
    for path, method, operation in _operations():
        assert "_" in operation["operationId"] or operation["operationId"] in ops, (method, path)


def test_every_list_is_paged_or_says_why_it_is_not():
    for path, method, operation in _operations():
        answer = operation["responses"].get("200") or operation["responses"].get("201") or {}
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            assert schema.get("description", "").startswith("Not paged: "), (method, path)
