"""Check REST responses against ``openapi.yaml``."""

from __future__ import annotations

from typing import Any

import jsonschema

from surveylab_server.handlers import load_openapi


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema of one documented response, with the document's components attached."""
    document = load_openapi()
    operation = document["paths"][path][method.lower()]
    response = operation["responses"][str(status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = document["components"]["responses"][name]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = document["components"]
    return schema


def assert_matches_contract(path: str, method: str, status: int, body: Any) -> None:
    """Fail unless ``body`` is what openapi.yaml promises for this path, method and status."""
    schema = response_schema(path, method, status)
    jsonschema.Draft202012Validator(schema).validate(body)
