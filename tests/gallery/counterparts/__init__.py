"""Hand-written Keras counterparts of gallery specs, one module per spec (the module's name is
the spec's file stem under ``specs/gallery/``).

A module defines ``keras_model(keras) -> keras.Model``, written as the published example writes
it, with the layer names the spec gives its layers so that weights copy by name. Optional:

- ``sample_inputs(n, rng) -> dict[str, numpy.ndarray]`` keyed by input name (default: normal
  floats, integers in [0, 2); a string input needs this function);
- ``sample_targets(n, rng) -> dict[str, numpy.ndarray]`` keyed by head (default: zeros shaped
  like each output);
- ``BUILD_KWARGS``: keyword arguments for ``graphspec.build`` (custom layers or objects);
- ``CUSTOM_OBJECTS``: what ``keras.saving`` needs (unused by the comparison itself);
- ``ATOL``: the prediction tolerance (default 1e-5);
- ``SPEC_LAYERS``: for a layer of the counterpart that holds several of the spec's layers (a
  layer class of the example, such as a Transformer block), its name → the spec's layer names
  whose weights, in this order, make up its ``get_weights()`` list; the comparison copies them
  across in that order (default: each layer with weights is the spec layer of its name).

A counterpart's random numbers come from the same seed as the spec's (``SeedGenerator(1337)``
in the example, ``normal_like(..., seed=1337)`` in the spec), so a model that draws predicts
the same on its first call (vae_mlp).
"""
