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
- ``ATOL``: the prediction tolerance (default 1e-5).
"""
