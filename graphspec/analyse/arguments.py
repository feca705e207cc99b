"""Static checks against the Keras catalogue: layers, their arguments, names, expressions.

Runs in `validate` without Keras: the catalogue is a checked-in JSON file generated from the
installed Keras (`python -m graphspec.catalogue`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.catalogue.argument_types import (
    STRUCTURAL_ARGUMENTS,
    TYPE_WORDS,
    expected_type,
)
from graphspec.catalogue.custom import CustomLayers
from graphspec.catalogue.reader import (
    UNSAFE_LAYERS,
    ArgInfo,
    Catalogue,
    load_catalogue,
    object_kind,
)
from graphspec.diagnostics import Diagnostic, Location, SpecPath, codes, format_path
from graphspec.diagnostics.codes import Code
from graphspec.diagnostics.reporter import Reporter
from graphspec.diagnostics.suggest import unknown_layer_hint
from graphspec.shape import is_int
from graphspec.spec.arithmetic import (
    ArithmeticProblem,
    evaluate,
    holds_arithmetic,
    is_arithmetic_placeholder,
    is_bare_arithmetic,
    parse,
    placeholder_body,
    resolve,
)
from graphspec.spec.base import LAYER_VALUED_ARGS, WRAPPERS, keras_arguments
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    SharedBlock,
    SharedLayer,
)
from graphspec.spec.model import Spec
from graphspec.spec.params import PLACEHOLDER, instance_params

_NUMERIC_KINDS = ("int", "float", "ints")
"""The argument types that take arithmetic (`units: 7 * 7 * 64`, `scale: 1/255`)."""

_OBJECT_HINT = (
    "give a name Keras knows, or a mapping of that name and its arguments "
    "({name: VarianceScaling, scale: 2.0}); never a class path or a config"
)


def _plain_value(value: Any) -> bool:
    """A literal argument value: no mappings, so nothing can name a class or a module."""
    if isinstance(value, list):
        return all(_plain_value(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _has_type(value: Any, kind: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return is_int(value)
    if kind == "float":
        return is_int(value) or isinstance(value, float)
    if kind == "str":
        return isinstance(value, str)
    if is_int(value):
        return True
    # A list of sizes, or of (before, after) pairs: ZeroPadding2D's ((1, 1), (0, 1)).
    return isinstance(value, list) and all(
        is_int(v) or v is None or (isinstance(v, list) and all(is_int(x) for x in v)) for v in value
    )


def _layer_entries(spec: Spec) -> Iterator[tuple[SpecPath, str, Mapping[str, Any]]]:
    """Every layer a spec declares: (spec path of the entry, layer class, arguments)."""
    for name, shared in spec.shared.items():
        if isinstance(shared, SharedLayer):
            yield ("shared", name), shared.layer, shared.args
    for base, name, node in spec.walk():
        for sub, layer, args in node.declared_layers():
            yield (*base, "nodes", name, *sub), layer, args


class _Checker(Reporter):
    """Checks layer arguments, block parameters and expressions against the catalogue."""

    def __init__(self, spec: Spec, catalogue: Catalogue, custom: CustomLayers) -> None:
        super().__init__(spec.source)
        self.spec = spec
        self.catalogue = catalogue
        self.custom = custom
        self.checked: set[tuple[SpecPath, str, str]] = set()

    def check_layer(self, path: SpecPath, layer: str, args: Mapping[str, Any]) -> None:
        if layer in UNSAFE_LAYERS:
            self.error(
                codes.FORBIDDEN_LAYER,
                f"layer '{layer}' is not allowed in a spec: it can run arbitrary code or is "
                "structural",
                (*path, "layer"),
                hint="for arithmetic on tensors use an 'expr' node; inputs are declared in "
                "'inputs'",
            )
            return
        if self.custom.get(layer) is not None:
            self.check_custom(path, layer, args)
            return
        info = self.catalogue.layer(layer)
        if info is None or not info.safe:
            self.error(
                codes.UNKNOWN_LAYER,
                f"unknown layer '{layer}' (Keras {self.catalogue.keras_version} has no such layer)",
                (*path, "layer"),
                unknown_layer_hint(layer, self.catalogue.safe_layer_names()),
            )
            return
        args = keras_arguments(layer, args)
        wrapped: set[str] = set()
        if layer in WRAPPERS:
            wrapped = self.check_wrapped(path, layer, args)
            args = {k: v for k, v in args.items() if k not in wrapped}
        suggested: set[str] = set()
        for arg, value in args.items():
            if arg in STRUCTURAL_ARGUMENTS and arg not in info.args:
                self.structural(path, layer, arg)
            elif not info.accepts(arg):
                close = self.closest(arg, [*info.all_args(), "from"])
                suggested.add(close or "")
                self.error(
                    codes.UNKNOWN_ARGUMENT,
                    f"layer '{layer}' has no argument '{arg}'",
                    (*path, arg),
                    f"did you mean '{close}'?" if close else None,
                    key=True,
                )
            else:
                self.check_type(path, layer, arg, value, info.args.get(arg))
                self.check_named_value(path, arg, value)
        # A misspelt required argument is reported once, as the unknown one above.
        missing = [
            n for n in info.required if n not in args and n not in suggested and n not in wrapped
        ]
        if missing:
            self.error(
                codes.MISSING_ARGUMENT,
                f"layer '{layer}' needs argument(s) {', '.join(repr(m) for m in missing)}",
                path,
                key=True,
            )

    def check_wrapped(self, path: SpecPath, layer: str, args: Mapping[str, Any]) -> set[str]:
        """Check the layers a wrapper takes; returns the arguments dealt with here."""
        done = {"layer"}
        for arg in LAYER_VALUED_ARGS:
            if arg not in args:
                continue
            done.add(arg)
            value = args[arg]
            where = (*path, "wraps" if arg == "layer" else arg)
            if isinstance(value, Mapping) and isinstance(value.get("layer"), str):
                inner = {k: v for k, v in value.items() if k != "layer"}
                self.check_layer(where, value["layer"], inner)
            else:
                self.error(
                    codes.BAD_ARGUMENT_VALUE,
                    f"'{where[-1]}' of {layer} takes a layer written as a mapping, "
                    f"e.g. {{layer: LSTM, units: 32}}; received {type(value).__name__}",
                    where,
                )
        if "layer" not in args:
            self.error(
                codes.MISSING_ARGUMENT,
                f"layer '{layer}' needs the layer it wraps: wraps: {{layer: LSTM, units: 32}}",
                path,
                key=True,
            )
        return done

    def check_type(
        self, path: SpecPath, layer: str, arg: str, value: Any, about: ArgInfo | None
    ) -> None:
        """Values are strictly typed: no "64" for 64, no true for 1, no null when required."""
        if about is None:
            return
        if value is None:
            if about.required:
                self.error(
                    codes.BAD_ARGUMENT_VALUE,
                    f"'{arg}' of {layer} is required and cannot be null",
                    (*path, arg),
                    f"give '{arg}' a value",
                )
            return
        kind = expected_type(arg, about.default, about.required)
        if holds_arithmetic(value):
            value = self.check_arithmetic(path, layer, arg, value, kind)
            if value is None:
                return
        if isinstance(value, str) and PLACEHOLDER.search(value):
            return
        if object_kind(arg) is not None and isinstance(value, str | Mapping):
            return  # a name or {name: ..., args}: check_named_value looks at it
        if kind is None or _has_type(value, kind):
            return
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        hint = None
        if isinstance(value, str) and kind in ("int", "float", "ints") and _is_number(value):
            hint = f"write it without quotes: {arg}: {value}"
        self.error(
            codes.BAD_ARGUMENT_VALUE,
            f"'{arg}' of {layer} takes {TYPE_WORDS[kind]}, but received "
            f"{type(value).__name__} {shown}",
            (*path, arg),
            hint,
        )

    def check_arithmetic(
        self, path: SpecPath, layer: str, arg: str, value: Any, kind: str | None
    ) -> Any:
        """Arithmetic on an argument: only where a number goes (GS322), computable (GS321),
        an integer where one is required (GS323). Returns the value computed, or None when
        reported or left to each block instance (`${...}` reads parameters)."""
        where = (*path, arg)
        if path[0] == "shared" and "with" not in path:
            self.error(
                codes.ARITHMETIC_NOT_ACCEPTED,
                f"'{arg}' of shared entry '{path[1]}' is written as arithmetic; shared entries "
                "take plain values",
                where,
                "compute the value and write the number",
            )
            return None
        if kind not in _NUMERIC_KINDS:
            self.error(
                codes.ARITHMETIC_NOT_ACCEPTED,
                f"'{arg}' of {layer} takes {TYPE_WORDS.get(kind or '', 'no number')}, not "
                f"arithmetic; {self.numeric_arguments(layer)}",
                where,
                "arithmetic computes numbers; write this value as it is",
            )
            return None
        if any(is_arithmetic_placeholder(text) for text in _strings_in(value)):
            return None  # reads parameters: computed per instance (check_parameters)
        for text in _strings_in(value):
            if is_bare_arithmetic(text):
                try:
                    evaluate(text, {})
                except ArithmeticProblem as problem:
                    self.error(codes.BAD_ARITHMETIC, problem.message, where, problem.hint)
                    return None
        computed = resolve(value, {})
        if kind in ("int", "ints") and _has_fraction(computed):
            self.not_int(where, layer, arg, value, computed)
            return None
        return computed

    def not_int(self, where: SpecPath, layer: str, arg: str, written: Any, computed: Any) -> None:
        self.error(
            codes.ARITHMETIC_NOT_INT,
            f"'{arg}' of {layer} takes an integer, but {written!r} gives {computed!r}",
            where,
            "use // for whole-number division, or numbers that divide evenly",
        )

    def numeric_arguments(self, layer: str) -> str:
        """The layer's arguments that take arithmetic, for GS322's message."""
        info = self.catalogue.layer(layer)
        numeric = [
            name
            for name, about in (info.args.items() if info else ())
            if expected_type(name, about.default, about.required) in _NUMERIC_KINDS
        ]
        if not numeric:
            return f"{layer} has no numeric argument"
        return f"arithmetic is accepted by {layer}'s numeric arguments: {', '.join(numeric)}"

    def check_instance_arithmetic(
        self, instance: SpecPath, block_name: str, params: Mapping[str, Any]
    ) -> None:
        """Each `${...}` arithmetic in a block's layers, computed with one instance's
        parameters: computable (GS321) and an integer where one is required (GS323)."""
        block = self.spec.blocks[block_name]
        if any(isinstance(v, str) and "${" in v for v in params.values()):
            return  # an outer block's parameter: its own instances are checked
        for node_name, node in block.nodes.items():
            for sub, layer, args in node.declared_layers():
                info = self.catalogue.layer(layer)
                for arg, written in args.items():
                    texts = [t for t in _strings_in(written) if is_arithmetic_placeholder(t)]
                    if not texts or info is None or arg not in info.args:
                        continue
                    about = info.args[arg]
                    kind = expected_type(arg, about.default, about.required)
                    where = ("blocks", block_name, "nodes", node_name, *sub, arg)
                    key = (where, json_key(params), "")
                    if key in self.checked or kind not in _NUMERIC_KINDS:
                        continue
                    self.checked.add(key)
                    bodies = [placeholder_body(text) or text for text in texts]
                    if not all(_parses(body) for body in bodies):
                        continue  # GS321 once, at the text (`check_calls`)
                    try:
                        for body in bodies:
                            evaluate(body, params)
                    except ArithmeticProblem as problem:
                        self.error(
                            codes.BAD_ARITHMETIC,
                            f"{problem.message} (instance '{format_path(instance)}')",
                            where,
                            problem.hint,
                        )
                        continue
                    computed = resolve(written, params)
                    if kind in ("int", "ints") and _has_fraction(computed):
                        self.not_int(where, layer, arg, written, computed)

    def check_parameters(
        self, instance: SpecPath, block_name: str, arguments: Mapping[str, Any]
    ) -> None:
        """Type-check the values a block instance sends through `${param}` to its layers."""
        block = self.spec.blocks.get(block_name)
        if block is None:
            return  # the graph check reports the unknown block
        params = instance_params(block.params, arguments)
        outer = any(isinstance(v, str) and "${" in v for v in arguments.values())
        for param, default in block.params.items() if not outer else ():
            value = params[param]
            if param in arguments or not isinstance(default, str) or value != default:
                continue
            body = placeholder_body(default)
            if body is not None and is_arithmetic_placeholder(default):
                try:
                    evaluate(body, params)
                except ArithmeticProblem as problem:
                    at: SpecPath = ("blocks", block_name, "params", param)
                    self.error(codes.BAD_ARITHMETIC, problem.message, at, problem.hint)
        self.check_instance_arithmetic(instance, block_name, params)
        declared = (entry for node in block.nodes.values() for entry in node.declared_layers())
        for _, layer, args in declared:
            info = self.catalogue.layer(layer)
            if info is None:
                continue
            for arg, written in args.items():
                whole = PLACEHOLDER.fullmatch(written) if isinstance(written, str) else None
                if whole is None or whole.group(1) not in params:
                    continue
                param = whole.group(1)
                value = params[param]
                if isinstance(value, str) and "${" in value:
                    continue  # an outer block's parameter: checked at that block's instances
                where = (
                    (*instance, "with", param)
                    if param in arguments
                    else ("blocks", block_name, "params", param)
                )
                key = (where, layer, arg)
                if key not in self.checked:
                    self.checked.add(key)
                    self.check_type(where, layer, arg, value, info.args.get(arg))

    def structural(self, path: SpecPath, layer: str, arg: str) -> None:
        """An argument a spec never writes (`name`, `input_shape`, ...), at its key."""
        message = f"'{arg}' is not allowed on layer '{layer}'"
        self.error(
            codes.UNKNOWN_ARGUMENT, message, (*path, arg), STRUCTURAL_ARGUMENTS[arg], key=True
        )

    def check_custom(self, path: SpecPath, layer: str, args: Mapping[str, Any]) -> None:
        """An allowed custom layer: its arguments are only ever plain values."""
        for arg, value in args.items():
            if arg in STRUCTURAL_ARGUMENTS:
                self.structural(path, layer, arg)
            elif not _plain_value(value) and not (
                object_kind(arg) is not None and isinstance(value, Mapping)
            ):
                self.error(
                    codes.BAD_ARGUMENT_VALUE,
                    f"'{arg}' of custom layer {layer} must be a number, string, boolean or a "
                    "list of those",
                    (*path, arg),
                )
            else:
                self.check_named_value(path, arg, value)

    def check_named_value(self, path: SpecPath, arg: str, value: Any) -> None:
        """Activations, initializers, regularizers and constraints given by name are known."""
        kind = object_kind(arg)
        if arg in ("activation", "recurrent_activation"):
            kind = "activations"
        if kind is None or value is None:
            return
        if isinstance(value, str) and PLACEHOLDER.search(value):
            return
        if isinstance(value, Mapping) and kind != "activations":
            self.check_object(path, arg, kind, value)
            return
        if not isinstance(value, str):
            self.error(
                codes.OBJECT_FORM,
                f"'{arg}' must be given by name (a string), not {type(value).__name__}",
                (*path, arg),
                hint=_OBJECT_HINT if kind != "activations" else "give the activation's name",
            )
            return
        known: frozenset[str] = getattr(self.catalogue, kind)
        if value not in known:
            self.error(
                codes.UNKNOWN_NAME,
                f"unknown {kind[:-1]} '{value}' for '{arg}'",
                (*path, arg),
                self.hint(value, known),
            )

    def check_object(self, path: SpecPath, arg: str, kind: str, value: Mapping[str, Any]) -> None:
        """`{name: VarianceScaling, scale: 2.0}`: a Keras name and its constructor arguments."""
        where = (*path, arg)
        name = value.get("name")
        if not isinstance(name, str):
            self.error(
                codes.OBJECT_FORM,
                f"'{arg}' given as a mapping needs 'name', the {kind[:-1]}'s Keras name",
                where,
                hint=_OBJECT_HINT,
            )
            return
        known: Mapping[str, Mapping[str, ArgInfo]] = self.catalogue.object_args.get(kind, {})
        if name not in known:
            names = frozenset(known)
            self.error(
                codes.UNKNOWN_NAME,
                f"unknown {kind[:-1]} '{name}' for '{arg}'",
                (*where, "name"),
                self.hint(name, names),
            )
            return
        accepted = known[name]
        for key, item in value.items():
            if key == "name":
                continue
            if key not in accepted:
                choices = ", ".join(accepted) or "none"
                self.error(
                    codes.OBJECT_FORM,
                    f"{name} takes no argument '{key}' (it takes: {choices})",
                    (*where, key),
                    self.hint(key, frozenset(accepted)),
                )
            elif not _plain_value(item):
                self.error(
                    codes.OBJECT_FORM,
                    f"{name} argument '{key}' must be a number, string, boolean or a list of those",
                    (*where, key),
                )

    def check_expression(self, path: SpecPath, node: ExprNode) -> None:
        # Imported here: the expression checker's tables cost milliseconds, spent only on
        # specs that have an expr node.
        from graphspec.spec.expression import check_expression

        problems = check_expression(node.expr, list(node.from_))
        if not problems:
            return
        value_at = self.at.at((*path, "expr"))
        for problem in problems:
            self.error(
                _EXPRESSION_CODES[problem.kind],
                problem.message,
                (*path, "expr"),
                problem.hint,
                location=self.expression_location(value_at, node, problem.column),
            )

    def expression_location(self, value_at: Location, node: ExprNode, column: int) -> Location:
        """Where ``column`` of the expression is in the file (the value's start when the
        expression spans lines)."""
        if not value_at.line or node.expr.count("\n"):
            return value_at
        offset = column + (1 if self._starts_with_quote(value_at) else 0)
        return Location(value_at.file, value_at.line, value_at.column + offset)

    def check_seeds(self, expressions: Sequence[tuple[SpecPath, ExprNode]]) -> None:
        """A seed that two random functions of the spec share (GS316, a warning)."""
        from graphspec.spec.expression import random_seeds

        first: dict[int, tuple[str, Location]] = {}
        for path, node in expressions:
            value_at = self.at.at((*path, "expr"))
            for draw in random_seeds(node.expr):
                where = self.expression_location(value_at, node, draw.column)
                if draw.seed not in first:
                    first[draw.seed] = (format_path(path), where)
                    continue
                earlier = first[draw.seed]
                self.error(
                    codes.REPEATED_SEED,
                    f"{draw.function}(..., seed={draw.seed}) has the seed of a random function "
                    f"in '{earlier[0]}', so their numbers are not independent (equal, for the same "
                    f"function and shape)",
                    (*path, "expr"),
                    "give each random function its own seed",
                    related=(earlier[1],),
                    location=where,
                )

    def _starts_with_quote(self, location: Location) -> bool:
        source = self.spec.source
        if source is None or not location.line:
            return False
        line = source.line(location.line)
        return line[location.column - 1 : location.column] in ("'", '"')


_EXPRESSION_CODES: Mapping[str, Code] = {
    "unsafe": codes.UNSAFE_EXPRESSION,
    "seed": codes.RANDOM_WITHOUT_SEED,
    "value": codes.EXPRESSION_KEYWORD_RANGE,
}
"""The code of each kind of expression problem (`graphspec.spec.expression.ProblemKind`)."""


def _block_instances(spec: Spec) -> Iterator[tuple[SpecPath, str, Mapping[str, Any]]]:
    """Every place a block is instantiated: (spec path, block name, `with` arguments), once
    per distinct repetition of a node with `each:`."""
    for name, shared in spec.shared.items():
        if isinstance(shared, SharedBlock):
            yield ("shared", name), shared.block, shared.with_
    for base, name, node in spec.walk():
        if isinstance(node, BlockNode):
            copies = min((len(values) for values in node.each.values()), default=1)
            for copy in range(min(copies, node.repeat)):
                yield (*base, "nodes", name), node.block, node.repetition_arguments(copy)


def _parses(text: str) -> bool:
    try:
        parse(text)
    except ArithmeticProblem:
        return False
    return True


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in(item)]
    return []


def _has_fraction(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_fraction(item) for item in value)
    return isinstance(value, float)


def json_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=repr)


def check_arguments(analysis: Analysis) -> list[Diagnostic]:
    """Check every layer, block parameter and expression a spec writes."""
    spec = analysis.spec
    checker = _Checker(spec, load_catalogue(), analysis.options.custom_layers)
    for path, layer, args in _layer_entries(spec):
        checker.check_layer(path, layer, args)
    for path, block, arguments in _block_instances(spec):
        checker.check_parameters(path, block, arguments)
    expressions = [
        ((*base, "nodes", name), node)
        for base, name, node in spec.walk()
        if isinstance(node, ExprNode)
    ]
    for path, node in expressions:
        checker.check_expression(path, node)
    checker.check_seeds(expressions)
    return checker.diagnostics
