"""Check an API answer against the schema the server publishes at /api/schema/, as a client
generated from it would: OpenAPI 3.0 schemas turned into JSON Schema, formats (email, uuid) checked."""

import jsonschema
from rest_framework.test import APIClient


def served_schema() -> dict:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _json_schema(node, components: dict):
    """Inline `$ref`s and turn OpenAPI's `nullable: true` into JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    converted = {key: _json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    answer = document["paths"][path][method]["responses"][str(status)]
    return _json_schema(answer["content"]["application/json"]["schema"], document["components"]["schemas"])


def assert_matches_schema(document: dict, path: str, method: str, response) -> None:
    """The answer's JSON is what the schema promises for its status (jsonschema's error says where not)."""
    schema = response_schema(document, path, method, response.status_code)
    jsonschema.validate(response.json(), schema, format_checker=jsonschema.FormatChecker())
