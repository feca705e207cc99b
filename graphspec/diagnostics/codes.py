"""Every diagnostic code graphspec reports, declared once (as mypy's ``errorcodes.py`` does).

A `Code` carries what is true of every diagnostic with that code: its group (the stage that
reports it), default severity, title, an example and the fix. Behaviour reads these fields,
never a code's spelling: `Code.group.stage` says which stage reports it, `quotes_source`
whether a renderer may quote the file's line. ``docs/diagnostics.md`` holds the tables this
module renders (`markdown_table`); a test keeps the two equal, and another that every code has
an example fixture under ``tests/fixtures/``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final


class Severity(enum.StrEnum):
    """How bad a diagnostic is; only errors make a spec invalid."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Stage(enum.StrEnum):
    """The pipeline stage that reports a code."""

    LOAD = "load"
    SPEC = "spec"
    ANALYSE = "analyse"
    EMIT = "emit"
    IMPORT = "import"
    TRAIN = "train"
    EXPORT = "export"


class Group(enum.Enum):
    """A hundred of codes: one section of docs/diagnostics.md."""

    FILE = ("GS0", Stage.LOAD, "Reading the file")
    LANGUAGE = ("GS1", Stage.SPEC, "The language")
    GRAPH = ("GS2", Stage.ANALYSE, "References and the graph")
    ARGUMENTS = ("GS3", Stage.ANALYSE, "Layers, expressions and training settings")
    REACHABILITY = ("GS4", Stage.ANALYSE, "Reachability")
    BUILD = ("GS5", Stage.EMIT, "Building with Keras")
    SHAPES = ("GS6", Stage.ANALYSE, "Static shapes and parameters")
    IMPORT = ("GS7", Stage.IMPORT, "Importing Keras models")
    TRAIN = ("GS8", Stage.TRAIN, "Training data and runs")
    EXPORT = ("GS9", Stage.EXPORT, "Exporting to other runtimes")

    def __init__(self, prefix: str, stage: Stage, title: str) -> None:
        self.prefix = prefix
        self.stage = stage
        self.title = title

    @property
    def heading(self) -> str:
        """The section heading in docs/diagnostics.md: ``The language (GS1xx)``."""
        return f"{self.title} ({self.prefix}xx)"


@dataclass(frozen=True, eq=False)
class Code:
    """One diagnostic code. It equals (and hashes as) its id, so ``d.code == "GS201"`` and
    JSON output read the id, while reporters pass the declared object."""

    id: str
    group: Group
    severity: Severity
    """The default severity; a reporter may choose another (GS401 is an error with --strict)."""
    title: str
    example: str = field(repr=False)
    fix: str = field(repr=False)
    quotes_source: bool = field(default=True, repr=False)
    """False when the file's line is no text worth quoting (GS018: not UTF-8)."""

    @property
    def stage(self) -> Stage:
        return self.group.stage

    def __str__(self) -> str:
        return self.id

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Code):
            return self.id == other.id
        if isinstance(other, str):
            return self.id == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __lt__(self, other: Code | str) -> bool:
        """Codes sort by id, so diagnostics sort by (code, line) as they did when codes were
        strings."""
        return self.id < str(other)


_REGISTRY: dict[str, Code] = {}


def _declare(
    id: str,
    group: Group,
    severity: Severity,
    title: str,
    example: str,
    fix: str,
    quotes_source: bool = True,
) -> Code:
    assert id.startswith(group.prefix) and id not in _REGISTRY, id
    code = Code(id, group, severity, title, example, fix, quotes_source)
    _REGISTRY[id] = code
    return code


UNREADABLE_FILE: Final = _declare(
    "GS001",
    Group.FILE,
    Severity.ERROR,
    "the spec file cannot be read (Python API; the CLI exits 2 instead)",
    example='`graphspec.load("missing.yaml")`',
    fix="check the path and permissions",
)
SYNTAX: Final = _declare(
    "GS010",
    Group.FILE,
    Severity.ERROR,
    "not valid YAML or JSON, or several YAML documents in one file",
    example="`inputs: {x: {shape: [8]}`",
    fix="close the bracket; keep one document per file",
)
DUPLICATE_KEY: Final = _declare(
    "GS011",
    Group.FILE,
    Severity.ERROR,
    "a key appears twice in one mapping (YAML would silently keep the last)",
    example="two `hidden:` under `nodes:`",
    fix="rename or remove one",
)
YAML_TAG: Final = _declare(
    "GS012",
    Group.FILE,
    Severity.ERROR,
    "a YAML tag other than plain data",
    example="`!!python/object/apply:os.system`",
    fix="remove the tag: specs hold plain data",
)
YAML_ALIAS: Final = _declare(
    "GS013",
    Group.FILE,
    Severity.ERROR,
    "YAML anchors, aliases or merge keys",
    example="`x: &shape {...}` / `y: *shape` / `<<:`",
    fix="write the value out; reuse layers with `shared` or `block`",
)
NON_STRING_KEY: Final = _declare(
    "GS014",
    Group.FILE,
    Severity.ERROR,
    "a mapping key that is not a string",
    example="`1: {layer: Dense}`; `? [a]`",
    fix="use identifier names; quote if needed",
)
NOT_A_MAPPING: Final = _declare(
    "GS015",
    Group.FILE,
    Severity.ERROR,
    "empty file, or the top level is not a mapping",
    example="a file with only comments; `- a`",
    fix="write a spec mapping (`graphspec: 1`, ...)",
)
BAD_NUMBER: Final = _declare(
    "GS016",
    Group.FILE,
    Severity.ERROR,
    "a number that is not finite or too long",
    example="`rate: .nan`; `units: 99999...` (40+ digits)",
    fix="write a finite, reasonable number",
)
FILE_TOO_LARGE: Final = _declare(
    "GS017",
    Group.FILE,
    Severity.ERROR,
    "the file is larger than the size cap (default 16 MiB)",
    example="a 20 MB spec",
    fix="split it, or raise `--max-bytes`",
)
NOT_UTF8: Final = _declare(
    "GS018",
    Group.FILE,
    Severity.ERROR,
    "not UTF-8 text: invalid bytes, UTF-16, a NUL byte",
    example="a file saved as UTF-16",
    fix="save as UTF-8",
    quotes_source=False,
)
NESTED_TOO_DEEP: Final = _declare(
    "GS019",
    Group.FILE,
    Severity.ERROR,
    "mappings and lists nest deeper than the cap (default 64)",
    example="`[[[[...]]]]`",
    fix="flatten it, or raise `--max-depth`",
)
TOO_MANY_NODES: Final = _declare(
    "GS020",
    Group.FILE,
    Severity.ERROR,
    "more nodes than the cap (default 100,000), counting every block instance and repeat",
    example="a generated spec of 10^6 nodes; a 400-node block with `repeat: 1000`",
    fix="split it, or raise `--max-nodes`",
)
TOO_MANY_PROBLEMS: Final = _declare(
    "GS021",
    Group.FILE,
    Severity.ERROR,
    "more than 200 problems in one file: the first 200 are shown, this counts the rest",
    example="60,000 misspelt metrics",
    fix="fix the ones shown and run again",
)
VOCABULARY_UNREADABLE: Final = _declare(
    "GS022",
    Group.FILE,
    Severity.ERROR,
    "a vocabulary file (`vocabulary: {file: ...}`) is missing or cannot be read",
    example="`vocabulary: {file: vocab/citys.txt}` where the file is `cities.txt`",
    fix="check the path, relative to the spec's folder, and the file's permissions",
)
VOCABULARY_PATH: Final = _declare(
    "GS023",
    Group.FILE,
    Severity.ERROR,
    "a vocabulary path that is absolute or leaves the spec's folder, or a spec given as text (no folder) that names a file",
    example="`vocabulary: {file: ../secrets.txt}`; `{file: /etc/passwd}`",
    fix="keep the file in the spec's folder or below it; write the tokens inline for a spec given as text",
)
VOCABULARY_TOO_LARGE: Final = _declare(
    "GS024",
    Group.FILE,
    Severity.ERROR,
    "a vocabulary file is larger than the cap (default 16 MiB)",
    example="a 40 MB list of tokens",
    fix="trim it, or raise `--max-vocabulary-bytes`",
)
VOCABULARY_ENCODING: Final = _declare(
    "GS025",
    Group.FILE,
    Severity.ERROR,
    "a vocabulary file is not UTF-8 text (invalid bytes, a NUL byte)",
    example="a vocabulary saved as Latin-1 or UTF-16",
    fix="save it as UTF-8, one token per line",
)
MISSING_KEY: Final = _declare(
    "GS101",
    Group.LANGUAGE,
    Severity.ERROR,
    "a required key is missing (points at the mapping that lacks it)",
    example="an input without `shape`",
    fix="add the key",
)
UNKNOWN_KEY: Final = _declare(
    "GS102",
    Group.LANGUAGE,
    Severity.ERROR,
    "an unknown key (points at the key; did-you-mean hint)",
    example="`outputs: {out: {from: x, los: mse}}`",
    fix="fix the spelling or remove it",
)
WRONG_TYPE: Final = _declare(
    "GS103",
    Group.LANGUAGE,
    Severity.ERROR,
    "a value of the wrong type or out of range",
    example='`shape: ["8"]`; `repeat: 0`',
    fix="write the documented type",
)
INVALID_NAME: Final = _declare(
    "GS104",
    Group.LANGUAGE,
    Severity.ERROR,
    "an invalid name: names are identifiers",
    example="`my-layer:`",
    fix="use letters, digits and `_`",
)
NO_NODE_FORM: Final = _declare(
    "GS105",
    Group.LANGUAGE,
    Severity.ERROR,
    "a node (or shared entry) has none of its form keys",
    example="`{lyer: Dense, ...}`",
    fix="use one of `layer`, `use`, `block`, `op`, `expr`, `sequence`",
)
UNSUPPORTED_VERSION: Final = _declare(
    "GS106",
    Group.LANGUAGE,
    Severity.ERROR,
    "an unsupported format version",
    example="`graphspec: 2`",
    fix="write `graphspec: 1`, or `graphspec: 1.1` for a spec that uses what 1.1 adds",
)
PYTHON_TUPLE: Final = _declare(
    "GS107",
    Group.LANGUAGE,
    Severity.ERROR,
    "a Python tuple where YAML needs a list",
    example="`kernel_size: (3, 3)`",
    fix="write `kernel_size: [3, 3]`: YAML reads `(3, 3)` as a string, or in `{...}` as two keys",
)
PYTHON_NONE: Final = _declare(
    "GS108",
    Group.LANGUAGE,
    Severity.ERROR,
    "Python's `None` where YAML needs `null`",
    example="`{layer: Dense, units: 8, activation: None}`",
    fix="write `null` (or leave the argument out for its default): `None` is the string 'None' in YAML",
)
NEWER_LANGUAGE: Final = _declare(
    "GS109",
    Group.LANGUAGE,
    Severity.WARNING,
    "a spec that declares `graphspec: 1` uses what language 1.1 adds",
    example="`dtype: string` on an input of a `graphspec: 1` spec",
    fix="declare `graphspec: 1.1`: an older graphspec then says the spec needs a newer one",
)
UNKNOWN_REFERENCE: Final = _declare(
    "GS201",
    Group.GRAPH,
    Severity.ERROR,
    "a reference names no input or node (did-you-mean hint)",
    example="`from: dense_1` when the node is `dense1`",
    fix="fix the name",
)
DUPLICATE_NAME: Final = _declare(
    "GS202",
    Group.GRAPH,
    Severity.ERROR,
    "a name is used twice across inputs, shared, blocks, nodes and generated layer names (both places shown)",
    example="a node named like an input",
    fix="rename one",
)
GRAPH_CYCLE: Final = _declare(
    "GS203",
    Group.GRAPH,
    Severity.ERROR,
    "the node graph has a cycle (shown as a path `a → b → c → a`)",
    example="`a` reads `c`, `c` reads `b`, `b` reads `a`",
    fix="break the cycle; reuse weights with `shared`",
)
BLOCK_CYCLE: Final = _declare(
    "GS204",
    Group.GRAPH,
    Severity.ERROR,
    "blocks use each other in a cycle",
    example="block `outer` contains `inner`, which contains `outer`",
    fix="a block cannot contain itself",
)
UNKNOWN_HEAD_SOURCE: Final = _declare(
    "GS205",
    Group.GRAPH,
    Severity.ERROR,
    "a head's `from` names no node or input",
    example="`outputs: {out: {from: hiden}}`",
    fix="fix the name",
)
UNKNOWN_SHARED: Final = _declare(
    "GS206",
    Group.GRAPH,
    Severity.ERROR,
    "`use:` names no shared entry",
    example="`{use: encodr}`",
    fix="fix the name or add the shared entry",
)
UNKNOWN_BLOCK: Final = _declare(
    "GS207",
    Group.GRAPH,
    Severity.ERROR,
    "`block:` names no block",
    example="`{block: tower}`",
    fix="fix the name or define the block",
)
BLOCK_ARITY: Final = _declare(
    "GS208",
    Group.GRAPH,
    Severity.ERROR,
    "a block instance passes the wrong number of inputs, or `repeat` on a block without exactly one input and one output",
    example="`{block: pair, from: x}` for a two-input block",
    fix="pass one reference per block input",
)
UNKNOWN_PARAMETER: Final = _declare(
    "GS209",
    Group.GRAPH,
    Severity.ERROR,
    "an unknown block parameter in `with:` or a `${name}` placeholder, or a placeholder outside any block",
    example='`with: {unitz: 4}`; `units: "${units}"` on a top-level node',
    fix="use a name declared in the block's `params`; write plain values outside blocks",
)
HEAD_NAME_TAKEN: Final = _declare(
    "GS210",
    Group.GRAPH,
    Severity.ERROR,
    "a head's name would rename a layer to a name another layer has",
    example="head `hidden` on node `logits` while a node `hidden` exists",
    fix="rename the head or the node",
)
BLOCKS_TOO_DEEP: Final = _declare(
    "GS211",
    Group.GRAPH,
    Severity.ERROR,
    "blocks nest deeper than 32 levels (a block using a block using a block ...)",
    example="500 blocks each wrapping the next",
    fix="flatten the nesting",
)
UNKNOWN_OUTPUT: Final = _declare(
    "GS212",
    Group.GRAPH,
    Severity.ERROR,
    "a reference names an output its layer does not have (its outputs listed, did-you-mean hint)",
    example="`from: enc.state` on an LSTM, whose outputs are output, state_h, state_c",
    fix="use one of the outputs listed, or its position (`enc.1`)",
)
OUTPUT_OUT_OF_RANGE: Final = _declare(
    "GS213",
    Group.GRAPH,
    Severity.ERROR,
    "an output position past the last output of the layer or block",
    example="`from: enc.3` on an LSTM with `return_state: true` (outputs 0 to 2)",
    fix="count from 0; the message gives the outputs",
)
OUTPUT_SWITCHED_OFF: Final = _declare(
    "GS214",
    Group.GRAPH,
    Severity.ERROR,
    "a reference to an output the layer gives only when an argument is on",
    example="`enc.state_h` on an LSTM without `return_state: true`; `att.scores` without "
    "`call: {return_attention_scores: true}`",
    fix="set the argument the message names",
)
INLINE_NAME_TAKEN: Final = _declare(
    "GS216",
    Group.GRAPH,
    Severity.ERROR,
    "a layer an inline block instance makes (`<instance>_<node>`) has the name of another layer, or its `names:` pattern cannot give distinct names",
    example='`{block: unit, inline: true}` as node `s` beside a node `s_conv`; `names: "{node}"` with `repeat: 2`',
    fix="rename the instance or the other node; give `names:` both {n} (with repeat) and {node}",
)
EACH_MISMATCH: Final = _declare(
    "GS217",
    Group.GRAPH,
    Severity.ERROR,
    "per-repetition parameters (`each:`) of unequal lengths, a length other than `repeat`, or also given in `with:`",
    example="`each: {filters: [64, 128], kernel: [3]}`; `repeat: 3` with `each: {filters: [64, 128]}`",
    fix="give every `each:` list one value per repetition",
)
UNKNOWN_LAYER: Final = _declare(
    "GS301",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an unknown Keras layer (did-you-mean hint)",
    example="`layer: Dence`",
    fix="use a layer of `keras.layers`",
)
UNKNOWN_ARGUMENT: Final = _declare(
    "GS302",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an unknown or forbidden layer, optimizer, loss or metric argument",
    example="`filter: 16` on Conv2D; `name:` or `input_shape:` on a node",
    fix="use the documented argument; node keys name layers and `inputs` give shapes",
)
MISSING_ARGUMENT: Final = _declare(
    "GS303",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a required layer or metric argument is missing",
    example="`{layer: Dense}` without `units`; `metrics: [MeanIoU]` without `num_classes`",
    fix="add it",
)
UNSAFE_EXPRESSION: Final = _declare(
    "GS304",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an expression uses something outside the safe whitelist",
    example="`a.__class__`; `eval('1')`; `maxmum(a, b)`",
    fix="use names bound by `from`, numbers, `+ - * / **` and the listed functions",
)
MERGE_ARITY: Final = _declare(
    "GS305",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a merge with too few (or, for subtract/dot, too many) inputs",
    example="`{op: concatenate, from: [hidden]}`",
    fix="list two or more references",
)
UNKNOWN_NAME: Final = _declare(
    "GS306",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an unknown activation, initializer, regularizer, constraint, loss, metric or optimizer name",
    example="`activation: rleu`; `loss: categorical_crosentropy`",
    fix="use a name Keras knows",
)
FORBIDDEN_LAYER: Final = _declare(
    "GS307",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a layer that may run arbitrary code or is structural",
    example="`layer: Lambda`; `TFSMLayer`; `InputLayer`",
    fix="use an `expr` node; declare inputs in `inputs`",
)
HEAD_WITHOUT_LOSS: Final = _declare(
    "GS308",
    Group.ARGUMENTS,
    Severity.ERROR,
    "`compile` is present but a head has no `loss`",
    example="`outputs: {out: hidden}` with `compile:`",
    fix="give every head a loss",
)
OBJECT_FORM: Final = _declare(
    "GS309",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an activation not given by name; an initializer, regularizer or constraint neither a name nor `{name: ..., arguments}`, or with an argument its class does not take",
    example="`kernel_initializer: {class_name: ..., module: ...}`; `{name: L2, l3: 0.1}`",
    fix="give the name as a string, or `{name: VarianceScaling, scale: 2.0}`",
)
BAD_ARGUMENT_VALUE: Final = _declare(
    "GS310",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a layer argument of the wrong type, or a value the layer refuses",
    example='`units: "64"`; `use_bias: 1`; `rate: true`; `padding: on`; `rate: 1.5`',
    fix="write the value with its type (no quotes for numbers) and in its range",
)
TRAINING_ARGUMENTS_ON_FUNCTION: Final = _declare(
    "GS311",
    Group.ARGUMENTS,
    Severity.ERROR,
    "arguments on a loss or metric named by its function or an alias, not its class",
    example="`loss: {name: sparse_categorical_crossentropy, from_logits: true}`",
    fix="name the class: `{name: SparseCategoricalCrossentropy, from_logits: true}`",
)
TRAINING_ARGUMENT_VALUE: Final = _declare(
    "GS312",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a loss or metric argument (a Keras one or a custom one) that is not a plain value: a number, string, boolean, null or a list of those",
    example="`loss: {name: Huber, delta: {value: 2.0}}`",
    fix="write the value itself: `delta: 2.0`",
)
CUSTOM_OBJECT_IMPORT: Final = _declare(
    "GS313",
    Group.ARGUMENTS,
    Severity.ERROR,
    "`build` cannot import a custom loss or metric (`--custom-object`, `[tool.graphspec] custom-objects`), or what it imports is not a function or a Keras Loss or Metric class",
    example='`custom-objects = ["mypkg.losses.contrastive_loss"]` where `mypkg.losses` is not importable',
    fix="install the package or correct the import path; `validate` never imports it",
)
RANDOM_WITHOUT_SEED: Final = _declare(
    "GS315",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a random function in an expression without its integer seed",
    example="`normal_like(m)`",
    fix="give it a seed: `normal_like(m, seed=7)`; a rebuilt or reloaded model then draws the same numbers",
)
REPEATED_SEED: Final = _declare(
    "GS316",
    Group.ARGUMENTS,
    Severity.WARNING,
    "two random functions of one spec share a seed, so their numbers are not independent",
    example="`normal_like(a, seed=1)` in two expr nodes",
    fix="give each random function its own seed",
)
EXPRESSION_KEYWORD_RANGE: Final = _declare(
    "GS317",
    Group.ARGUMENTS,
    Severity.ERROR,
    "an expression function's keyword value that no input would accept",
    example='`normal_like(a, seed=-1)`; `cast(a, dtype="float33")`; `transpose(a, axes=(1, 0))`; `uniform_like(a, seed=1, minval=2)`',
    fix="a seed in 0..2**32-1, a listed dtype, axes that keep the batch first, minval below maxval, num_classes of at least 1",
)
UNKNOWN_CALL_ARGUMENT: Final = _declare(
    "GS318",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a `call:` argument the layer's call does not take (did-you-mean hint), or `call:` on a use of a shared block",
    example="`call: {use_casual_mask: true}` on MultiHeadAttention; `call: {initial_state: h}` on Dense",
    fix="use an argument of the layer's call (docs/language.md lists them)",
)
CALL_ARGUMENT_KIND: Final = _declare(
    "GS319",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a `call:` argument of the wrong kind: a tensor argument given true, false or a number, or a flag given a string (a reference)",
    example='`call: {attention_mask: true}`; `call: {use_causal_mask: "yes"}`',
    fix="give tensor arguments a reference (`attention_mask: mask`) and flags true or false",
)
INITIAL_STATE: Final = _declare(
    "GS320",
    Group.ARGUMENTS,
    Severity.ERROR,
    "`initial_state` lists the wrong number of states for the recurrent layer, or a state of the wrong shape",
    example="`call: {initial_state: enc.state_h}` on an LSTM, which takes [h, c]",
    fix="list one state per state of the layer (LSTM: h and c; GRU, SimpleRNN: one), each of shape (batch, units)",
)
BAD_ARITHMETIC: Final = _declare(
    "GS321",
    Group.ARGUMENTS,
    Severity.ERROR,
    "arithmetic that is not numbers, parameters, `+ - * / // % **` and parentheses, or that cannot be computed (division by zero, a non-numeric parameter, too large)",
    example='`units: "${units * 2 + foo()}"`; `scale: 1/0`; `${padding * 2}` with padding `same`',
    fix="write numbers and numeric parameters with + - * / // % ** and parentheses",
)
ARITHMETIC_NOT_ACCEPTED: Final = _declare(
    "GS322",
    Group.ARGUMENTS,
    Severity.ERROR,
    "arithmetic on an argument that takes no number (the message lists the layer's arguments that do), or on a shared entry",
    example="`padding: 1/2` on Conv2D",
    fix="write arithmetic only on numeric arguments: units, filters, rate, scale, ...",
)
ARITHMETIC_NOT_INT: Final = _declare(
    "GS323",
    Group.ARGUMENTS,
    Severity.ERROR,
    "arithmetic that gives a fraction where the argument takes an integer",
    example="`units: 10/3`",
    fix="use `//` for whole-number division, or numbers that divide evenly",
)
PARAMETER_ORDER: Final = _declare(
    "GS324",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a block parameter's default computed from itself or from a parameter declared after it",
    example='`params: {wide: "${filters * 2}", filters: 32}`',
    fix="declare the parameters a default reads before it",
)
UNKNOWN_CALLBACK: Final = _declare(
    "GS325",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a callback in `training.callbacks` that a spec cannot name: unknown to Keras, one that `graphspec fit` runs itself (checkpoints, backups, CSV and TensorBoard logs), or one that takes code",
    example="`callbacks: [EarlyStoping]`; `callbacks: [ModelCheckpoint]`; `{name: LearningRateScheduler}`",
    fix="name EarlyStopping, ReduceLROnPlateau or TerminateOnNaN; `graphspec fit` writes best.keras, history.csv, the backup for --resume and (with --tensorboard) TensorBoard logs itself",
)
CALLBACK_ARGUMENT: Final = _declare(
    "GS326",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a callback argument the callback does not take, or a value of the wrong type or out of its range",
    example="`{name: EarlyStopping, patients: 3}`; `{name: ReduceLROnPlateau, factor: 2}`; `mode: up`",
    fix="write the arguments of Keras' signature (the message lists them) with values of their types",
)
UNKNOWN_MONITOR: Final = _declare(
    "GS327",
    Group.ARGUMENTS,
    Severity.ERROR,
    "`monitor` (of `training` or of a callback) names no value the model logs",
    example="`monitor: val_acuracy`; `monitor: val_digit_accuracy` when the head `digit` has no `accuracy` metric",
    fix="name `loss`, a head's `HEAD_loss` (with several heads) or a metric of a head, with `val_` for the validation value (the message lists them)",
)
TRAINING_WITHOUT_COMPILE: Final = _declare(
    "GS328",
    Group.ARGUMENTS,
    Severity.ERROR,
    "a `training` section in a spec without `compile`: nothing says how to train",
    example="`training: {epochs: 5}` and no `compile:`",
    fix="add `compile: {optimizer: adam}` and a loss on every head",
)
UNREACHABLE: Final = _declare(
    "GS401",
    Group.REACHABILITY,
    Severity.WARNING,
    "a node, input, shared entry or block that no head depends on: pruned, never built, no weights. A warning; an error with `--strict` or `unreachable: error`",
    example="a third CNN whose output nothing reads",
    fix="connect it to a head, or remove it",
)
KERAS_REFUSED: Final = _declare(
    "GS501",
    Group.BUILD,
    Severity.ERROR,
    "Keras refused a node while building (names the node and its line)",
    example="`{layer: RandomZoom, height_factor: -2.0}`",
    fix="read the Keras message; fix the argument",
)
BACKEND_DIFFERENCE: Final = _declare(
    "GS502",
    Group.BUILD,
    Severity.WARNING,
    "a layer that Keras itself computes differently on the chosen backend (`--backend`, else `KERAS_BACKEND`) than on TensorFlow: the same weights predict other values",
    example="`{layer: AveragePooling2D, pool_size: 3, strides: 2, padding: same}` with `--backend torch`: PyTorch counts copies of the edge in the border averages",
    fix="build on TensorFlow or JAX, or avoid the setting (`padding: valid`, or a pool size and strides whose `same` padding is even)",
)
CUSTOM_IMPORT_FAILED: Final = _declare(
    "GS503",
    Group.BUILD,
    Severity.ERROR,
    "an allowed custom layer whose module cannot be imported, or that is not a Keras layer",
    example="`--custom-layer mypkg.layers.Scale` when `mypkg` is not installed",
    fix="check the import path (`module.Class`), install the package or put its folder on PYTHONPATH",
)
NO_SHAPE_RULE: Final = _declare(
    "GS601",
    Group.SHAPES,
    Severity.INFO,
    "info: a layer has no static shape rule (or an argument form the rules do not read); its shape is checked by Keras when building",
    example="an allowed custom layer without a declared rule; `{layer: Dense, lora_rank: 2}`",
    fix="nothing; `build` checks it",
)
LAYER_SHAPE: Final = _declare(
    "GS602",
    Group.SHAPES,
    Severity.ERROR,
    "a layer cannot take its input's shape (names the layer, its input and the shape)",
    example="Conv2D fed `(None, 32)`; pooling larger than its input; Dense after a Flatten of unknown size; LSTM fed a rank-2 tensor",
    fix="fix the shapes upstream or the layer's arguments",
)
MERGE_SHAPE: Final = _declare(
    "GS603",
    Group.SHAPES,
    Severity.ERROR,
    "a merge's inputs do not fit together (names both sides and their shapes)",
    example="`add`: `'conv2' gives (None, 15, 15, 128) but 'shortcut' gives (None, 32, 32, 128)`",
    fix="align strides, pooling and filters on both branches, or concatenate on another axis",
)
EXPRESSION_SHAPE: Final = _declare(
    "GS604",
    Group.SHAPES,
    Severity.ERROR,
    "an expression's operands do not broadcast",
    example="`(a + b) / 2` with `(None, 3)` and `(None, 4)`",
    fix="give the operands broadcastable shapes",
)
SHARED_SHAPE: Final = _declare(
    "GS605",
    Group.SHAPES,
    Severity.ERROR,
    "a block input declares a shape that the caller does not give",
    example="block input `{shape: [32]}` fed `(None, 16)`",
    fix="fix the declaration or the caller",
)
TOO_MANY_PARAMS: Final = _declare(
    "GS606",
    Group.SHAPES,
    Severity.ERROR,
    "a layer would have more parameters than the cap (default 10^9)",
    example="`Dense(units: 1000000)` on a `(100000,)` input",
    fix="check the sizes, or raise `--max-params`",
)
LAYER_DTYPE: Final = _declare(
    "GS607",
    Group.SHAPES,
    Severity.ERROR,
    "a layer cannot take its input's dtype: strings into a numeric layer, numbers into a string layer, integers into a layer that computes in floats only",
    example="`Dense` fed a `string` input; `StringLookup` fed `int32`; `Conv1D` fed token ids (`int32`) without an `Embedding`",
    fix="put the preprocessing layer in between (`StringLookup`, `TextVectorization`, `Embedding`), or declare the input's dtype",
)
MERGE_DTYPE: Final = _declare(
    "GS608",
    Group.SHAPES,
    Severity.ERROR,
    "a merge or expression mixes strings with numbers, or computes on strings",
    example="`{op: concatenate, from: [city, age]}` with `city` a `string` input; `expr: a + b` on strings",
    fix="turn the strings into numbers first (`StringLookup`, `Hashing`), then merge",
)
BLOCK_DTYPE: Final = _declare(
    "GS609",
    Group.SHAPES,
    Severity.ERROR,
    "a block input declares a dtype the caller does not give (strings against numbers)",
    example="block input `{dtype: string}` fed a `float32` node",
    fix="fix the declaration or the caller",
)
VOCABULARY_TOKENS: Final = _declare(
    "GS610",
    Group.SHAPES,
    Severity.ERROR,
    "a lookup vocabulary Keras refuses: empty, a repeated or empty token, a token of the wrong type",
    example="`vocabulary: [a, b, a]`; IntegerLookup `vocabulary: [x, y]`; a file line `12a` for IntegerLookup",
    fix="list each token once, strings for StringLookup and TextVectorization, integers for IntegerLookup",
)
STRING_BACKEND: Final = _declare(
    "GS611",
    Group.SHAPES,
    Severity.ERROR,
    "a `string` input on the JAX or PyTorch backend: Keras 3 has string tensors on TensorFlow only",
    example="`inputs: {text: {shape: [], dtype: string}}` with `--backend jax`",
    fix="build on TensorFlow, or turn strings into ids outside the model and declare an integer input",
)
UNREADABLE_MODEL: Final = _declare(
    "GS701",
    Group.IMPORT,
    Severity.ERROR,
    "the model file cannot be read, or its config is not a Keras model config",
    example="a `.keras` file without `config.json`; truncated JSON; a subclassed model",
    fix='save the model with `model.save("m.keras")` (functional or Sequential), or pass `model.to_json()` output',
)
INEXPRESSIBLE_MODEL: Final = _declare(
    "GS702",
    Group.IMPORT,
    Severity.ERROR,
    "the model has a structure a spec cannot express",
    example="a layer called with a keyword argument (`x, initial_state=s`); a second output of an LSTM with `return_state=True`; a sparse input",
    fix="call layers on their inputs only; restructure, then import again",
)
LAMBDA_LAYER: Final = _declare(
    "GS703",
    Group.IMPORT,
    Severity.ERROR,
    "a `Lambda` layer: its Python code cannot go into a spec",
    example="`layers.Lambda(lambda t: t * 2)`",
    fix='rewrite it as an `expr` node (`expr: "a * 2"`) or a Keras layer, then import again',
)
UNKNOWN_CLASS: Final = _declare(
    "GS704",
    Group.IMPORT,
    Severity.ERROR,
    "a layer class, initializer or other object outside what a spec may name",
    example="`keras.src.applications.convnext.LayerScale`",
    fix="allow the class with `--custom-layer MODULE.CLASS` or `[tool.graphspec] custom-layers` in pyproject.toml",
)
INEXPRESSIBLE_TRAINING: Final = _declare(
    "GS705",
    Group.IMPORT,
    Severity.ERROR,
    "a training setting of the compiled model that a spec cannot write: a custom loss or metric, one with a name of its own or an object as an argument, a learning-rate schedule, `weighted_metrics`",
    example="a head's loss `contrastive_loss` (a function of the user's); `MeanSquaredError(name='l2')`; a learning-rate schedule",
    fix="compile with Keras losses and metrics (`BinaryCrossentropy(from_logits=True)` imports as `{name: BinaryCrossentropy, from_logits: true}`) and plain optimizer arguments, or import the uncompiled model (`model.to_json()` holds no training settings); a custom loss is then allowed with `--custom-object`",
)
DATA_UNREADABLE: Final = _declare(
    "GS801",
    Group.TRAIN,
    Severity.ERROR,
    "the data cannot be read: no such file or folder, not a `.npz` archive or `.npy` array, a truncated or corrupt file, a folder without `.npy` files",
    example="`--data train.npz` where `train.npz` is missing or cut short",
    fix="check the path; write arrays with `numpy.savez(path, image=x, label=y)` or `numpy.save(folder / 'image.npy', x)`",
)
DATA_PICKLED: Final = _declare(
    "GS802",
    Group.TRAIN,
    Severity.ERROR,
    "an array of Python objects, which only unpickling could read (never done: it runs code)",
    example="`numpy.savez('d.npz', text=numpy.array(['a', None]))` (dtype object)",
    fix="store numbers, booleans or fixed-width strings: `x.astype('float32')`, `x.astype(str)`",
)
DATA_MISSING: Final = _declare(
    "GS803",
    Group.TRAIN,
    Severity.ERROR,
    "the data has no array for an input the model reads, or for a head with a loss",
    example="`train.npz` holds `image` but not `label` for head `label`",
    fix="add the array under the input's or head's name",
)
DATA_EXTRA: Final = _declare(
    "GS804",
    Group.TRAIN,
    Severity.ERROR,
    "an array whose name is no input and no head (often a misspelt one)",
    example="`images` in `train.npz` for input `image`",
    fix="rename the array to the input's or head's name, or leave it out",
)
DATA_INPUT_SHAPE: Final = _declare(
    "GS805",
    Group.TRAIN,
    Severity.ERROR,
    "an input's array has another shape than the input declares (batch first; `null` takes any size)",
    example="`image` of shape `(60000, 28, 28)` for `image: {shape: [28, 28, 1]}` is fine; `(60000, 784)` is not",
    fix="reshape the array (`x.reshape(-1, 28, 28, 1)`) or declare the shape the data has",
)
DATA_TARGET_SHAPE: Final = _declare(
    "GS806",
    Group.TRAIN,
    Severity.ERROR,
    "a head's targets have another shape than its loss takes from the head's output",
    example="targets `(1000, 10)` for a head of shape `(None, 10)` with `sparse_categorical_crossentropy` (which takes `(1000,)` labels)",
    fix="give class ids for a sparse loss and one row per output otherwise, or change the head's loss",
)
DATA_DTYPE: Final = _declare(
    "GS807",
    Group.TRAIN,
    Severity.ERROR,
    "an array's dtype does not fit: fractions into an integer input, numbers into a string input or the reverse, non-numeric targets",
    example="`float32` data for `tokens: {dtype: int32}`; strings for a head with loss `mse`",
    fix="convert the array (`x.astype('int32')`) or declare the dtype the data has",
)
DATA_SAMPLES: Final = _declare(
    "GS808",
    Group.TRAIN,
    Severity.ERROR,
    "the arrays disagree on the number of samples (their first dimension), or hold none",
    example="`image` holds 60000 samples and `label` 59999",
    fix="give every input and head one row per sample",
)
DATA_LABEL_RANGE: Final = _declare(
    "GS809",
    Group.TRAIN,
    Severity.ERROR,
    "values out of range: a sparse label below 0 or not below the head's units, a binary target outside [0, 1], a token id not below the `input_dim` of the Embedding that reads it",
    example="label 10 for a head of 10 units (classes 0..9); token id 20000 into `Embedding(input_dim=10000)`",
    fix="renumber the classes from 0, widen the head (`units`) or the Embedding (`input_dim`), or drop the bad samples",
)
DATA_ONE_HOT_WIDTH: Final = _declare(
    "GS810",
    Group.TRAIN,
    Severity.ERROR,
    "one-hot (categorical) targets whose width is not the head's units",
    example="targets `(1000, 9)` for a 10-unit head with `categorical_crossentropy`",
    fix="one-hot encode over all the head's classes (`keras.utils.to_categorical(y, 10)`), or give class ids with a sparse loss",
)
DATA_NOT_FINITE: Final = _declare(
    "GS811",
    Group.TRAIN,
    Severity.ERROR,
    "NaN or infinite values (the message counts them and gives the first one's index)",
    example="`image` holds 3 NaN values, the first at [17, 4, 9, 0]",
    fix="clean or drop those samples before training",
)
DATA_LABEL_FRACTION: Final = _declare(
    "GS812",
    Group.TRAIN,
    Severity.ERROR,
    "float labels with fractions for a sparse loss, which takes whole class ids",
    example="label 2.5 for `sparse_categorical_crossentropy`",
    fix="give integer class ids (`y.astype('int64')`) or one-hot targets with a categorical loss",
)
DATA_FUNCTION: Final = _declare(
    "GS813",
    Group.TRAIN,
    Severity.ERROR,
    "a data function cannot be used: not importable, not callable, it raised, or it returned no arrays, `tf.data.Dataset` or `keras.utils.PyDataset`",
    example="`--data load_train` when `mypkg.data.load_train` raises `FileNotFoundError`",
    fix="allow it with `--data-function MODULE.FUNCTION` or `[tool.graphspec] data-functions`, and make it return a dataset of `(x, y)` dicts",
)
DATA_ELEMENTS: Final = _declare(
    "GS814",
    Group.TRAIN,
    Severity.ERROR,
    "a dataset's elements are not `(x, y)` pairs of dicts keyed by input and head names, or its first batch cannot be read",
    example="a `tf.data.Dataset` of `(image, label)` tensors, not `({'image': ...}, {'label': ...})`",
    fix="map the elements to dicts: `ds.map(lambda x, y: ({'image': x}, {'label': y}))`",
)
RUN_EXISTS: Final = _declare(
    "GS830",
    Group.TRAIN,
    Severity.ERROR,
    "the run folder exists already, and neither --resume nor --force was given",
    example="`graphspec fit mnist.yaml --data train.npz -o runs/a` a second time",
    fix="continue the run with --resume, start it again with --force, or name another folder",
)
NOT_A_RUN_FOLDER: Final = _declare(
    "GS831",
    Group.TRAIN,
    Severity.ERROR,
    "the output is a file, or a folder that is not empty and that `graphspec fit` did not make (no run.json): --resume and --force never touch it",
    example="`-o .`; `-o src/`; `-o model.keras`",
    fix="name a new or empty folder, such as runs/NAME",
)
RUN_OF_ANOTHER_MODEL: Final = _declare(
    "GS832",
    Group.TRAIN,
    Severity.ERROR,
    "--resume of a run made from a different model (its spec, apart from `training`, has changed): its saved weights do not fit",
    example="a Dense layer's units changed from 32 to 64 between the run and `--resume`",
    fix="resume with the spec the run was made from (a copy is in the run folder: spec.yaml), or start a new run (--force, or another folder)",
)
NO_VALIDATION_DATA: Final = _declare(
    "GS833",
    Group.TRAIN,
    Severity.ERROR,
    "the monitored value is a validation one (`val_...`), but the run has no validation data",
    example="`monitor: val_loss` with neither --validation-data nor `validation_split`",
    fix="give --validation-data, set `training.validation_split`, or monitor a training value (`loss`)",
)
NOT_COMPILED: Final = _declare(
    "GS834",
    Group.TRAIN,
    Severity.ERROR,
    "`graphspec fit` or `evaluate` of a spec without `compile`: no optimizer and no losses to train or evaluate with",
    example="`graphspec fit encoder.yaml ...` where the spec has no `compile:` section",
    fix="add `compile: {optimizer: adam}` and a loss on every head",
)
SPLIT_OF_A_DATASET: Final = _declare(
    "GS835",
    Group.TRAIN,
    Severity.ERROR,
    "a validation split of training data that is a dataset (a data function's `tf.data.Dataset` or `PyDataset`): Keras splits arrays only, so the run would validate on nothing",
    example="`training: {validation_split: 0.2}` with `--data load_train`, a data function",
    fix="give the validation data as --validation-data (a second data function), or set the split to 0 (--validation-split 0)",
)
DISTRIBUTE_NEEDS_TENSORFLOW: Final = _declare(
    "GS851",
    Group.TRAIN,
    Severity.ERROR,
    "`--distribute mirrored` or `multi-worker` (tf.distribute strategies) under a backend other than TensorFlow",
    example="`KERAS_BACKEND=jax graphspec fit m.yaml --data d.npz --distribute mirrored`",
    fix="use `--distribute data-parallel` under JAX, or run on TensorFlow (`KERAS_BACKEND=tensorflow`)",
)
DATA_PARALLEL_NEEDS_JAX: Final = _declare(
    "GS852",
    Group.TRAIN,
    Severity.ERROR,
    "`--distribute data-parallel` (Keras' distribution API) under a backend other than JAX",
    example="`graphspec fit m.yaml --data d.npz --distribute data-parallel` on TensorFlow",
    fix="run on JAX (`KERAS_BACKEND=jax`), or use `--distribute mirrored` on TensorFlow",
)
TF_CONFIG_MISSING: Final = _declare(
    "GS853",
    Group.TRAIN,
    Severity.ERROR,
    "`--distribute multi-worker` without `TF_CONFIG`",
    example="`graphspec fit m.yaml --data d.npz --distribute multi-worker` with `TF_CONFIG` unset",
    fix='set `TF_CONFIG` on every worker: `{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}` (docs/distributed.md)',
)
TF_CONFIG_MALFORMED: Final = _declare(
    "GS854",
    Group.TRAIN,
    Severity.ERROR,
    "`TF_CONFIG` is not a cluster MultiWorkerMirroredStrategy can train: not JSON, no `cluster` or `task`, an address that is not host:port, a task type or index outside the cluster, a `ps` or `evaluator` task",
    example='`TF_CONFIG={"cluster": {"worker": ["localhost:12345"]}, "task": {"type": "worker", "index": 1}}`',
    fix="list every task's host:port under `cluster` (types `chief` and `worker`) and this process's type and index under `task`",
)
TF_CONFIG_IGNORED: Final = _declare(
    "GS855",
    Group.TRAIN,
    Severity.WARNING,
    "`TF_CONFIG` is set but the run is not `--distribute multi-worker`: each process trains alone",
    example="`TF_CONFIG=... graphspec fit m.yaml --data d.npz --distribute mirrored`",
    fix="add `--distribute multi-worker`, or unset `TF_CONFIG`",
)
BATCH_UNEVEN_OVER_DEVICES: Final = _declare(
    "GS856",
    Group.TRAIN,
    Severity.ERROR,
    "under `--distribute data-parallel`, the batch size or the last batch of a data set does not split evenly over the devices (JAX shards each batch in equal parts)",
    example="`--batch-size 32` over 2 devices with 63 validation samples: the last batch holds 31",
    fix="choose a batch size and sample counts whose batches, the last one included, are multiples of the device count",
)
EXPORT_REFUSED: Final = _declare(
    "GS901",
    Group.EXPORT,
    Severity.ERROR,
    "a format's converter or runtime cannot take the model (names the layer when it can)",
    example="`graphspec export seed002_qa.yaml --format litert`: the LSTM needs TensorFlow ops LiteRT lacks",
    fix="export to another format, or replace the layer with one the format supports",
)
EXPORT_MISMATCH: Final = _declare(
    "GS902",
    Group.EXPORT,
    Severity.ERROR,
    "the export cannot be verified: its predictions differ from Keras' on the same random input, or Keras cannot run that input",
    example="an ONNX output 3e-3 away from Keras' (the tolerance is 1e-4); `TimeDistributed` over unknown timesteps (Keras 3.15 traces it over the batch size)",
    fix="report it with the spec; `--tolerance` accepts a looser bound when the difference is expected",
)

REGISTRY: Final[Mapping[str, Code]] = MappingProxyType(_REGISTRY)
"""Every declared code by id, in declaration order."""


def lookup(code_id: str) -> Code:
    """The declared code with this id (KeyError for an undeclared one)."""
    return REGISTRY[code_id]


def in_group(group: Group) -> Iterator[Code]:
    return (code for code in REGISTRY.values() if code.group is group)


def markdown_table(group: Group) -> str:
    """The table of one group, as docs/diagnostics.md shows it."""
    lines = ["| code | meaning | example | fix |", "| --- | --- | --- | --- |"]
    lines += [f"| {c.id} | {c.title} | {c.example} | {c.fix} |" for c in in_group(group)]
    return "\n".join(lines)
