"""Stage 1, read: YAML or JSON text → `SourceTree`, plain values and their file positions."""
