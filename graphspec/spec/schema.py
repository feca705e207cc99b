"""The JSON Schema of the spec language, for editors and CI."""

from __future__ import annotations

from typing import Any

from graphspec.spec.model import Spec


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec language (checked in at schemas/graphspec.schema.json)."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://graphspec.dev/schemas/graphspec.schema.json"
    schema["title"] = "graphspec spec, language version 1"
    return schema
