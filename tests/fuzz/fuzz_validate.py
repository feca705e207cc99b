"""Fuzz what `graphspec validate` does with untrusted spec files.

    .venv/bin/python tests/fuzz/fuzz_validate.py --seconds 60 [--seed N]

Inputs come from three sources: raw bytes and spec-shaped YAML or JSON documents, both from
hypothesis strategies (the documents from recursive ones, then dumped); and, two in three,
mutations of the real specs in specs/ and of the test fixtures, driven by the run's seeded
random generator (byte flips; deleted, duplicated, swapped and spliced lines; YAML syntax such
as `&a`, `*a`, `!!`, `{`, `[`, `<<:`; tabs; odd unicode; very long lines; deep nesting;
YAML 1.1 scalars; swapped identifiers; placeholders; other line endings and BOMs). Each input
is written to a file and given to `graphspec.pipeline.check_path`, and its text to
`check_text`, with the default limits; every diagnostic is then formatted as the CLI would.

The only acceptable outcome is a Report. A finding is: any exception; an input that takes more
than a second (twice in a row); a diagnostic code docs/diagnostics.md does not list; a
diagnostic outside the file; `check_path` and `check_text` disagreeing on the same text; a
report that is valid without a plan; formatted output that cannot be encoded or carries an
escape character. Findings are printed and saved under tests/fuzz/findings/ (which must stay
empty in the repository). Exceptions that match a known, reported graphspec bug are listed
as known and do not fail the run.

Not collected by pytest (see test_fuzz_smoke.py for the short run `make test` does).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from graphspec.diagnostics.render import diagnostic_json, format_github, format_text
from graphspec.pipeline import Report, check_path, check_text
from graphspec.settings import DEFAULT_LIMITS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FINDINGS = HERE / "findings"
SLOW_SECONDS = 1.0
HANG_SECONDS = 20.0
CHUNK = 200
"""Examples per hypothesis run; runs repeat until the time is up."""
SAVED_PER_SIGNATURE = 3

DOCUMENTED_CODES = frozenset(
    re.findall(r"^\| (GS\d{3}) \|", (ROOT / "docs" / "diagnostics.md").read_text("utf-8"), re.M)
)

# Exceptions already reported as graphspec bugs but not fixed yet, recognised by the exception
# type and the graphspec functions on the stack ("file.py:function"); they are listed but do
# not fail a run. Empty: the ones found so far (a top-level ${param}, deep JSON, deep block
# chains) are fixed and have tests in tests/read/test_hostile.py.
KNOWN_BUGS: dict[str, Callable[[str, frozenset[str]], bool]] = {}

# ---- results -------------------------------------------------------------------------------


@dataclass
class Finding:
    """One input graphspec mishandled."""

    kind: str
    """'exception', 'slow', 'invariant'."""
    signature: str
    detail: str
    data: bytes
    source: str
    known: str | None = None
    saved: Path | None = None


@dataclass
class FuzzStats:
    """What a fuzz run did and found."""

    seed: int = 0
    inputs: int = 0
    seconds: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    slowest: float = 0.0

    @property
    def new_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.known is None]

    def summary(self) -> str:
        rate = self.inputs / self.seconds if self.seconds else 0.0
        lines = [
            f"inputs run: {self.inputs:,} in {self.seconds:.1f} s ({rate:,.0f} inputs/s); "
            f"slowest {self.slowest * 1000:.0f} ms; seed {self.seed}",
            "sources: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.sources.items())),
            f"distinct diagnostic codes seen: {len(self.codes)}",
        ]
        lines += [f"  {code}: {count:,}" for code, count in sorted(self.codes.items())]
        signatures = Counter((f.kind, f.signature, f.known) for f in self.findings)
        lines.append(
            f"findings: {len(self.new_findings)} new, "
            f"{len(self.findings) - len(self.new_findings)} known"
        )
        for (kind, signature, known), count in sorted(signatures.items(), key=str):
            label = f"known ({known})" if known else "NEW"
            lines.append(f"  [{label}] {kind}: {signature} x{count}")
        return "\n".join(lines)


# ---- generating inputs ---------------------------------------------------------------------


def load_corpus() -> list[str]:
    """The real specs and the invalid fixtures, as text."""
    paths = sorted((ROOT / "specs").rglob("*.yaml"))
    paths += sorted((ROOT / "tests" / "fixtures").rglob("*.yaml"))
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths]


TOKENS = [
    "&a ", "*a", "&a [1]", "!!", "!!python/object:os.system ", "!!python/name:os.system ",
    "!!binary ", "!!str ", "!!int ", "!tag ", "!<tag:x> ", "{", "}", "[", "]", ",", ": ", ":",
    "- ", "? ", "<<: ", "<<: *a", "\t", "\n", "\r\n", "\r", "#", "'", '"', "|", ">-", "---\n",
    "...\n", "%YAML 1.1\n", "%TAG ! tag:yaml.org,2002:python/\n", "${x}", "${filters}",
    "${units}", "\\", "\\u0000", "%", "@", "`", "~", "null", "~: ", "1: ", "true: ", "? [a]\n: ",
    "{a: 1, a: 2}", "\ufeff", "\x00", "\x1b[31m", "\u202e", "\u2028", "\x85",
]  # fmt: skip
SCALARS = [
    "no", "on", "off", "yes", "y", "010", "0o17", "0x1F", "0b101", "1_000", "1e999", "-1e999",
    "1e-999", ".inf", "-.inf", ".nan", ".NaN", "-0", "0", "-1", "1:30", "2024-01-01",
    "2001-12-14t21:59:43.10-05:00", "null", "~", "''", '""', "true", "True", "1.5", "-2.0",
    "99999999999999999999999999999999999999", "9" * 41, "[]", "{}", "[[[]]]", '"${units}"',
    '"${nope}"', "__import__", "os.system", "Lambda", "keras.layers.Dense", '"a\\nb"',
    '"\\e[31m"', "'a: b'", "&x 1", "*x", "!!float 1", "=", "<<",
]  # fmt: skip
UNICODE = (
    "\u0000\u0007\u001b\u007f\u0085\u00a0\u00ad\u061c\u200b\u200e\u202e\u2028\u2066\ufeff"
    "\ufffd\U0001f600é中"
)
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
VALUE = re.compile(r"(?<=: )[^\s{}\[\],#][^,}\]\n#]*")


def _random_char(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(UNICODE)
    code = rng.randrange(0x20, 0x110000)
    return chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _lines_op(text: str, rng: random.Random, corpus: list[str]) -> str:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(7)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines[i:i] = [lines[i]] * rng.choice([1, 1, 2, 50])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        other = rng.choice(corpus).split("\n")
        k = rng.randrange(len(other))
        lines[i:i] = other[k : k + rng.randrange(1, 6)]
    elif op == 4:
        lines[i] = " " * rng.randrange(0, 9) + lines[i].lstrip(" ")
    elif op == 5:
        lines[i] = "\t" + lines[i]
    else:
        lines = lines[: rng.randrange(len(lines) + 1)]
    return "\n".join(lines)


def mutate(text: str, rng: random.Random, corpus: list[str]) -> bytes:
    """Apply one to six random mutations to a spec's text; returns bytes (some are byte-level)."""
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 6])):
        at = rng.randrange(len(text) + 1)
        op = rng.randrange(12)
        if op == 0:
            text = _lines_op(text, rng, corpus)
        elif op == 1:
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif op == 2:
            text = (
                text[:at] + "".join(_random_char(rng) for _ in range(rng.randint(1, 4))) + text[at:]
            )
        elif op == 3:
            filler = rng.choice(["x", "9", "[", "a, ", "${x}", "é"]) * rng.choice(
                [300, 5000, 60000]
            )
            text = text[:at] + filler + text[at:]
        elif op == 4:
            depth = rng.choice([5, 40, 63, 65, 200, 3000])
            kind = rng.choice(["[]", "{}"])
            inner = "x" if kind == "[]" else "a: 1"
            nested = (kind[0] if kind == "[]" else "{a: ") * depth
            closing = (kind[1]) * depth
            text = text[:at] + nested + inner + closing + text[at:]
        elif op in (5, 6):
            spots = list(VALUE.finditer(text))
            if spots:
                spot = rng.choice(spots)
                text = text[: spot.start()] + rng.choice(SCALARS) + text[spot.end() :]
        elif op in (7, 8):
            names = list(IDENTIFIER.finditer(text))
            if len(names) > 1:
                target, source = rng.choice(names), rng.choice(names)
                text = text[: target.start()] + source.group() + text[target.end() :]
        elif op == 9:
            spots = list(VALUE.finditer(text))
            if len(spots) > 1:
                first, second = sorted(rng.sample(spots, 2), key=lambda m: m.start())
                text = text[: second.start()] + "*a" + text[second.end() :]
                text = text[: first.start()] + "&a " + text[first.start() :]
        elif op == 10:
            text = text.replace("\n", rng.choice(["\r\n", "\r", "\n\n", "\u2028"]))
        else:
            spots = list(VALUE.finditer(text))
            if spots:
                spot = rng.choice(spots)
                text = (
                    text[: spot.start()]
                    + '"${'
                    + rng.choice(["x", "filters", "u"])
                    + '}"'
                    + text[spot.end() :]
                )
    data = text.encode("utf-8", errors="surrogatepass")
    if data and rng.random() < 0.15:
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        data = bytes(raw)
    if rng.random() < 0.03:
        data = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data
    return data


NAMES = st.sampled_from(["x", "y", "a", "b", "t", "h", "out"])
ODD_NAMES = NAMES | st.text(max_size=12) | st.sampled_from(["", "a.b", "1x", "a\nb", "__init__"])


def _mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` nine times in ten, else ``odd``."""
    return st.integers(0, 9).flatmap(lambda k: usual if k else odd)


SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(-3, 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=16)
    | st.sampled_from(["same", "valid", "relu", "softmax", "mse", "no", "on", "${x}", "1:30"])
)
TREE = st.recursive(
    SCALAR,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(ODD_NAMES, kids, max_size=4),
    max_leaves=12,
)
LAYERS = st.sampled_from(
    [
        "Dense", "Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv2D", "MaxPooling2D",
        "AveragePooling1D", "GlobalAveragePooling2D", "Flatten", "Reshape", "Permute",
        "RepeatVector", "LSTM", "GRU", "Embedding", "Dropout", "BatchNormalization",
        "LayerNormalization", "Activation", "ZeroPadding2D", "Cropping2D", "UpSampling2D",
        "Concatenate", "Add", "Lambda", "TFSMLayer", "InputLayer", "Dence", "RandomZoom",
    ]
)  # fmt: skip
ARG_VALUES = (
    st.integers(-2, 40)
    | st.lists(st.integers(-2, 9) | st.none(), max_size=4)
    | st.sampled_from(["same", "valid", "causal", "relu", "tanh", "glorot_uniform", "l2", "on"])
    | st.floats(-2, 2)
    | st.booleans()
    | SCALAR
)
ARGS = st.dictionaries(
    st.sampled_from(
        [
            "units", "filters", "kernel_size", "strides", "padding", "activation", "rate",
            "pool_size", "target_shape", "dims", "n", "input_dim", "output_dim", "axis",
            "use_bias", "kernel_initializer", "kernel_regularizer", "return_sequences",
            "dilation_rate", "cropping", "size", "data_format", "name", "input_shape", "lyer",
        ]
    ),
    ARG_VALUES,
    max_size=5,
)  # fmt: skip
REFS = NAMES | st.lists(NAMES | st.sampled_from(["b.y", "a.out"]), max_size=5)
EXPR = st.recursive(
    st.sampled_from(["a", "b", "c", "1", "2.5", "0", "1e999", "true", "__class__", "'s'"]),
    lambda e: (
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "**", "%", "@", "//", "and"]), e).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        | st.tuples(
            st.sampled_from(
                ["mean", "relu", "maximum", "clip", "softmax", "norm", "eval", "__import__"]
            ),
            st.lists(e, max_size=3),
            st.sampled_from(["", ", axis=-1", ", axis=(1, 1)", ", keepdims=true", ", k=1"]),
        ).map(lambda t: f"{t[0]}({', '.join(t[1])}{t[2]})")
        | e.map(lambda s: f"-{s}")
        | e.map(lambda s: f"{s}.real")
        | e.map(lambda s: f"{s}[0]")
    ),
    max_leaves=10,
)


def _merge(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return {**parts[1], **parts[0]}


LAYER_NODE = st.tuples(st.fixed_dictionaries({"layer": LAYERS, "from": REFS}), ARGS).map(_merge)
NODE = st.one_of(
    LAYER_NODE,
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "concatenate", "dot", "subtract", "average", "mul"])},
        optional={"from": REFS, "axis": st.integers(-4, 4), "axes": ARG_VALUES},
    ),
    st.fixed_dictionaries(
        {"expr": EXPR, "from": st.dictionaries(st.sampled_from(["a", "b", "c"]), NAMES)}
    ),
    st.fixed_dictionaries({"use": NAMES, "from": REFS}),
    st.fixed_dictionaries(
        {"block": NAMES, "from": REFS},
        optional={"with": st.dictionaries(NAMES, SCALAR, max_size=2), "repeat": st.integers(-1, 4)},
    ),
    st.fixed_dictionaries(
        {
            "sequence": st.lists(
                st.tuples(st.fixed_dictionaries({"layer": LAYERS}), ARGS).map(_merge), max_size=3
            ),
            "from": REFS,
        }
    ),
    TREE,
)
INPUT = st.fixed_dictionaries(
    {
        "shape": _mostly(
            st.lists(st.none() | st.integers(1, 32), min_size=1, max_size=4),
            SCALAR | st.lists(st.integers(-1, 40)),
        )
    },
    optional={"dtype": st.sampled_from(["float32", "int32", "complex64", "bool"])},
)
BLOCK = st.fixed_dictionaries(
    {
        "inputs": st.dictionaries(NAMES, st.none() | st.just({}) | INPUT, max_size=2),
        "nodes": st.dictionaries(NAMES, NODE, max_size=3),
        "outputs": st.dictionaries(NAMES, NAMES, max_size=2),
    },
    optional={"params": st.dictionaries(NAMES, SCALAR, max_size=2)},
)
HEAD = NAMES | st.fixed_dictionaries(
    {"from": NAMES},
    optional={
        "loss": st.sampled_from(["mse", "categorical_crossentropy", "bogus"]),
        "loss_weight": st.floats(allow_nan=True, allow_infinity=True) | st.integers(-1, 3),
        "metrics": st.lists(st.sampled_from(["accuracy", "mae", "bogus"]), max_size=2),
    },
)
SPEC = st.fixed_dictionaries(
    {
        "graphspec": _mostly(st.just(1), SCALAR),
        "name": _mostly(NAMES, ODD_NAMES),
        "inputs": _mostly(st.dictionaries(NAMES, INPUT, min_size=1, max_size=3), TREE),
        "outputs": st.dictionaries(NAMES, HEAD, max_size=3),
    },
    optional={
        "nodes": st.dictionaries(NAMES, NODE, max_size=6),
        "blocks": st.dictionaries(NAMES, BLOCK, max_size=2),
        "shared": st.dictionaries(NAMES, NODE, max_size=2),
        "compile": st.fixed_dictionaries({"optimizer": st.sampled_from(["adam", "sgd", "nope"])})
        | TREE,
        "description": st.text(max_size=40),
        "unreachable": st.sampled_from(["warning", "error", "no"]),
        "extra_key": TREE,
    },
)


def _dump(document: Any, style: int) -> tuple[bytes, str]:
    if style == 0:
        return json.dumps(document).encode(), ".json"
    text = yaml.safe_dump(
        document,
        default_flow_style=[None, True, False][style % 3],
        allow_unicode=style % 2 == 0,
        sort_keys=False,
        width=[80, 20, 10_000][style % 3],
    )
    return text.encode("utf-8"), ".yaml" if style < 5 else ".yml"


@st.composite
def generated_inputs(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """(source, bytes, file suffix): raw bytes, or a spec-shaped document dumped as YAML/JSON."""
    if draw(st.booleans()):
        prefix = draw(st.sampled_from([b"", b"graphspec: 1\n", b"\xef\xbb\xbf", b"{", b"- "]))
        suffix = draw(st.sampled_from([".yaml", ".json", ""]))
        return "bytes", prefix + draw(st.binary(max_size=600)), suffix
    return ("structure", *_dump(draw(SPEC), draw(st.integers(0, 5))))


def mutated_inputs(corpus: list[str], rng: random.Random) -> Iterator[tuple[str, bytes, str]]:
    """Endless mutations of the corpus, driven by the run's own generator.

    Not through hypothesis: its integers favour simple values and it never repeats a choice
    sequence, so a seed drawn from it would give few distinct mutations.
    """
    while True:
        data = mutate(rng.choice(corpus), rng, corpus)
        yield "mutation", data, rng.choice([".yaml"] * 8 + [".json", ".yml"])


# ---- checking one input --------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by the alarm when one input runs too long (BaseException: nothing catches it)."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def _signature(error: BaseException) -> tuple[str, frozenset[str], str]:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/graphspec/" in f.filename.replace("\\", "/")]
    names = frozenset(f"{Path(f.filename).name}:{f.name}" for f in ours)
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} in {ours[-1].name}" if ours else "?"
    return type(error).__name__, names, where


def _decoded(data: bytes) -> str | None:
    """The text check_path would parse (None when it stops at the bytes)."""
    if len(data) > DEFAULT_LIMITS.max_bytes or data.startswith(
        (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
    ):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _invariants(report: Report, file: str, text: str | None) -> Iterator[str]:
    errors = [d for d in report.diagnostics if d.is_error]
    if report.ok != (not errors):
        yield "report.ok disagrees with its errors"
    if report.ok and report.plan is None:
        yield "a valid report without a plan"
    limit = len(text.splitlines()) + 1 if text is not None else None
    lines = text.splitlines() if text is not None else []
    for d in report.diagnostics:
        if d.code not in DOCUMENTED_CODES:
            yield f"undocumented code {d.code}"
        if d.location.file != file:
            yield f"{d.code} located in {d.location.file!r}"
        if d.location.line < 0 or d.location.column < 0 or (limit and d.location.line > limit):
            yield f"{d.code} at line {d.location.line}, column {d.location.column}"
        printed = format_text(d, lines) + format_github(d) + json.dumps(diagnostic_json(d))
        printed.encode("utf-8")
        if "\x1b" in printed:
            yield f"{d.code} prints an escape character"


T = TypeVar("T")


def _timed(call: Callable[[], T]) -> T:
    """``call()``, interrupted by _Hang after HANG_SECONDS."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _validate(path: Path, text: str | None) -> tuple[Report, list[str]]:
    """What `graphspec validate` does with a file: check it, then format every diagnostic."""
    report = check_path(path)
    return report, list(_invariants(report, str(path), text))


class Fuzzer:
    """Runs inputs through graphspec and records what happens."""

    def __init__(self, workdir: Path, findings_dir: Path | None, slow: float, verbose: bool):
        self.workdir = workdir
        self.findings_dir = findings_dir
        self.slow = slow
        self.verbose = verbose
        self.stats = FuzzStats()
        self.saved: Counter[str] = Counter()
        self.printed: set[str] = set()
        self.deadline = 0.0

    def check(self, source: str, data: bytes, suffix: str) -> None:
        self.stats.inputs += 1
        self.stats.sources[source] += 1
        path = self.workdir / f"input{suffix}"
        path.write_bytes(data)
        text = _decoded(data)
        started = time.perf_counter()
        try:
            report, problems = _timed(lambda: _validate(path, text))
            elapsed = time.perf_counter() - started
            self.stats.codes.update(d.code for d in report.diagnostics)
            loose = text if text is not None else data.decode("utf-8", errors="replace")
            other = _timed(lambda: check_text(loose, str(path)))
            if text is not None:
                mine = [(d.code, d.location.line, d.location.column) for d in report.diagnostics]
                theirs = [(d.code, d.location.line, d.location.column) for d in other.diagnostics]
                if mine != theirs:
                    problems.append(f"check_path gives {mine[:3]}, check_text {theirs[:3]}")
        except _Hang:
            self.record("slow", f"no result after {HANG_SECONDS:.0f} s", "", data, source)
            return
        except BaseException as error:  # every exception is a finding
            if isinstance(error, KeyboardInterrupt):
                raise
            kind, frames, where = _signature(error)
            known = next((name for name, test in KNOWN_BUGS.items() if test(kind, frames)), None)
            detail = "".join(traceback.format_exception(error))
            self.record("exception", f"{kind} at {where}", detail, data, source, known)
            return
        self.stats.slowest = max(self.stats.slowest, elapsed)
        for problem in problems:
            self.record("invariant", re.sub(r"\d+", "N", problem), problem, data, source)
        if elapsed > self.slow:
            again = time.perf_counter()
            try:
                _timed(lambda: _validate(path, text))
                seconds = time.perf_counter() - again
            except _Hang:
                seconds = HANG_SECONDS
            if seconds > self.slow:
                count = len(report.diagnostics)
                longest = max((len(line) for line in data.splitlines()), default=0)
                detail = (
                    f"{elapsed:.2f} s then {seconds:.2f} s; {len(data):,} bytes, "
                    f"longest line {longest:,}; {count:,} diagnostics"
                )
                self.record("slow", f"over {self.slow:.1f} s", detail, data, source)

    def record(
        self,
        kind: str,
        signature: str,
        detail: str,
        data: bytes,
        source: str,
        known: str | None = None,
    ) -> None:
        finding = Finding(kind, signature, detail, data, source, known)
        self.stats.findings.append(finding)
        key = f"{kind}:{signature}"
        if self.findings_dir is not None and self.saved[key] < SAVED_PER_SIGNATURE:
            self.saved[key] += 1
            self.findings_dir.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha1(data).hexdigest()[:12]
            finding.saved = self.findings_dir / f"{kind}-{digest}.bin"
            finding.saved.write_bytes(data)
            finding.saved.with_suffix(".txt").write_text(
                f"{kind}: {signature}\nknown: {known}\nsource: {source}\n\n{detail}\n"
            )
        if self.verbose and key not in self.printed:
            self.printed.add(key)
            label = f"known: {known}" if known else "NEW"
            print(f"FINDING [{label}] {kind}: {signature}", file=sys.stderr)
            print(f"  input ({len(data)} bytes): {data[:300]!r}", file=sys.stderr)
            if finding.saved:
                print(f"  saved: {finding.saved}", file=sys.stderr)


def run_fuzz(
    seconds: float = 60.0,
    seed_value: int | None = None,
    findings_dir: Path | None = FINDINGS,
    slow: float = SLOW_SECONDS,
    verbose: bool = False,
    max_inputs: int | None = None,
    chunk_size: int = CHUNK,
) -> FuzzStats:
    """Fuzz for about ``seconds`` or until ``max_inputs`` ran; returns the figures and findings.

    With ``max_inputs`` and a seed the run is the same on every machine, however fast: the
    smoke test uses that, so its pass or fail never depends on timing.
    """
    corpus = load_corpus()
    base = random.randrange(2**32) if seed_value is None else seed_value
    rng = random.Random(base)
    with tempfile.TemporaryDirectory(prefix="graphspec-fuzz-") as work:
        fuzzer = Fuzzer(Path(work), findings_dir, slow, verbose)
        fuzzer.stats.seed = base
        started = time.perf_counter()
        fuzzer.deadline = started + seconds

        limit = math.inf if max_inputs is None else max_inputs

        def going() -> bool:
            return time.perf_counter() < fuzzer.deadline and fuzzer.stats.inputs < limit

        def one(item: tuple[str, bytes, str]) -> None:
            if going():
                fuzzer.check(*item)

        mutations = mutated_inputs(corpus, rng)
        chunk = 0
        while going():
            # One round: a hypothesis run of generated inputs, then twice as many mutations.
            runner = seed(base + chunk)(
                settings(
                    max_examples=chunk_size,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )(given(generated_inputs())(one))
            )
            runner()
            for _ in range(2 * chunk_size):
                if not going():
                    break
                fuzzer.check(*next(mutations))
            chunk += 1
        fuzzer.stats.seconds = time.perf_counter() - started
    return fuzzer.stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (60)")
    parser.add_argument("--seed", type=int, help="base seed, for a reproducible run")
    parser.add_argument("--slow", type=float, default=SLOW_SECONDS, help="seconds per input (1)")
    parser.add_argument("--findings", type=Path, default=FINDINGS, help="where to save findings")
    parser.add_argument("--inputs", type=int, help="stop after this many inputs (no limit)")
    args = parser.parse_args(argv)
    stats = run_fuzz(
        args.seconds, args.seed, args.findings, args.slow, verbose=True, max_inputs=args.inputs
    )
    print(stats.summary())
    return 1 if stats.new_findings else 0


if __name__ == "__main__":
    sys.exit(main())
