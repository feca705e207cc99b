"""The reverse direction: a Keras model config to a Spec (`keras_config` reads, `to_spec` builds).

Kept free of imports, so that `import graphspec` does not load the importer until it is used.
"""
