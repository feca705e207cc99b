"""Export: a built Keras model to another runtime's format, verified in that runtime.

One module per format (`saved_model`, `onnx`, `litert`), as `keras/src/export/` has; `formats`
is the table of what each needs (standard library only, so the CLI can name the formats and
their install hints without Keras); `exporter` writes through a temporary path, loads the
artifact in its own runtime, compares its predictions with Keras' and renames it into place.
Build side: imports Keras.
"""
