"""Stage 2, parse: `SourceTree` → `Spec`, the language as written (frozen pydantic models)."""
