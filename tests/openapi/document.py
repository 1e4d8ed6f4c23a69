"""Real answers against /openapi.json: the schema the document gives an answer's path, method,
status and media type."""

from __future__ import annotations

from typing import Any

import jsonschema_rs


def documented(document: dict[str, Any], path: str) -> str:
    """The documented path naming `path`: a literal segment before a parameter."""

    def names(template: str) -> bool:
        parts, given = template.split("/"), path.split("/")
        return len(parts) == len(given) and all(
            part == segment or part.startswith("{")
            for part, segment in zip(parts, given, strict=True)
        )

    templates: list[str] = [template for template in document["paths"] if names(template)]
    return min(templates, key=lambda template: template.count("{"))


def validate(document: dict[str, Any], method: str, response: Any) -> None:
    """The answer against the document's schema for its path, method, status and media type."""
    operation = document["paths"][documented(document, response.url.path)][method]
    answer = operation["responses"][str(response.status_code)]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    if "content" not in answer:  # 204, and the few answers without a body
        assert response.content == b""
        return
    media_type = response.headers["content-type"].split(";")[0]
    (declared,) = answer["content"]
    assert media_type == declared
    body = response.json() if media_type.endswith("json") else response.text
    schema = {**answer["content"][declared]["schema"], "components": document["components"]}
    jsonschema_rs.validator_for(schema).validate(body)
