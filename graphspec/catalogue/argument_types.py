"""What type a layer argument takes, and which arguments a spec never writes: shared by the
argument check (`graphspec.analyse.arguments`) and the JSON Schema (`graphspec.spec.schema`),
so the two cannot drift apart."""

from __future__ import annotations

# Arguments a spec never writes: the node key names the layer, and shapes come from inputs.
STRUCTURAL_ARGUMENTS = {
    "name": "the node's key already names its layer; remove 'name'",
    "input_shape": "shapes come from 'inputs'; remove 'input_shape'",
    "input_dim": "shapes come from 'inputs'; remove 'input_dim'",
    "batch_input_shape": "shapes come from 'inputs'; remove 'batch_input_shape'",
    "batch_size": "the batch dimension is implicit; remove 'batch_size'",
    "input_length": "shapes come from 'inputs'; remove 'input_length'",
    "weights": "weights cannot be given in a spec",
}


# Types of common required arguments, which have no default to learn the type from.
REQUIRED_TYPES = {
    "units": "int",
    "filters": "int",
    "kernel_size": "ints",
    "rate": "float",
    "input_dim": "int",
    "output_dim": "int",
    "num_heads": "int",
    "key_dim": "int",
    "n": "int",
    "target_shape": "ints",
    "dims": "ints",
    "scale": "float",
}
TYPE_WORDS = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "ints": "an integer or a list of integers",
}


def expected_type(arg: str, default: object, required: bool) -> str | None:
    """What type an argument takes, judged from its default (or a table for required ones)."""
    if required:
        return REQUIRED_TYPES.get(arg)
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "ints" if arg.endswith(("size", "strides", "rate", "axis")) else "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    if isinstance(default, list) and all(isinstance(v, int) for v in default):
        return "ints"
    return None
