"""References to a layer's other outputs (`enc.state_h`, `enc.1`) and `call:` arguments: how
they resolve, what they report, and the graph, shapes and summary they give."""

from __future__ import annotations

import textwrap

import pytest

from graphspec.analyse.plan import Plan
from graphspec.pipeline import Report, check_text
from graphspec.views.summary import summary_rows

HEADER = """\
graphspec: 1
name: t
inputs:
  source: {shape: [12, 16]}
  target: {shape: [10, 16]}
"""


def check(body: str) -> Report:
    return check_text(HEADER + textwrap.dedent(body))


def errors(body: str) -> list[tuple[str, str]]:
    """(code, message) of every error."""
    return [(str(d.code), d.message) for d in check(body).diagnostics if d.is_error]


def plan_of(body: str) -> Plan:
    report = check(body)
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    return report.plan


SEQ2SEQ = """\
nodes:
  enc: {layer: LSTM, from: source, units: 8, return_state: true}
  dec:
    layer: LSTM
    from: target
    units: 8
    return_sequences: true
    call: {initial_state: [enc.state_h, enc.2], training: false}
  out: {layer: Dense, from: dec, units: 3}
outputs:
  out: out
  last: enc
  cell: enc.state_c
"""


def test_states_by_name_and_position_resolve_and_keep_the_encoder_live() -> None:
    plan = plan_of(SEQ2SEQ)
    assert plan.top.live_order == ("enc", "dec", "out")
    assert set(plan.top.graph.predecessors("dec")) == {"target", "enc"}
    assert plan.static["enc"].outputs == {"output": (8,), "state_h": (8,), "state_c": (8,)}
    assert plan.head_shapes == {"out": (10, 3), "last": (8,), "cell": (8,)}


def test_a_call_reference_alone_keeps_its_source_from_pruning() -> None:
    plan = plan_of(
        """\
        nodes:
          enc: {layer: GRU, from: source, units: 8, return_state: true}
          dec: {layer: GRU, from: target, units: 8, call: {initial_state: enc.state}}
        outputs:
          out: dec
        """
    )
    assert "enc" in plan.top.live and "source" in plan.top.live


def test_summary_shows_each_output_on_its_own_row() -> None:
    rows = {row.node: row for row in summary_rows(plan_of(SEQ2SEQ))}
    assert rows["enc"].shape == "(None, 8)" and rows["enc"].params == "800"
    assert rows["enc.state_h"].shape == "(None, 8)" and rows["enc.state_h"].layer == ""
    assert "enc.output" not in rows and "dec.state_h" not in rows


@pytest.mark.parametrize(
    ("ref", "code", "words"),
    [
        ("enc.state", "GS212", "outputs are output, state_h, state_c"),
        ("enc.3", "GS213", "3 outputs (output, state_h, state_c), at 0 to 2"),
        ("plain.state_h", "GS214", "gives only with return_state: true"),
        ("plain.1", "GS214", "return_state: true"),
        ("dense.1", "GS213", "it has one output"),
        ("dense.state_h", "GS212", "its outputs are output"),
        ("nowhere.state_h", "GS201", "names no input or node"),
    ],
)
def test_a_bad_output_reference_says_what_the_node_gives(ref: str, code: str, words: str) -> None:
    found = errors(
        f"""\
        nodes:
          enc:   {{layer: LSTM, from: source, units: 8, return_state: true}}
          plain: {{layer: LSTM, from: source, units: 8}}
          dense: {{layer: Dense, from: plain, units: 8}}
          use:   {{layer: Dense, from: {ref}, units: 2}}
          both:  {{op: concatenate, from: [enc, dense, use]}}
        outputs:
          out: both
        """
    )
    assert [c for c, _ in found] == [code]
    assert words in found[0][1]


def test_scores_need_the_call_switch() -> None:
    body = """\
        nodes:
          att: {{layer: MultiHeadAttention, from: [target, source], num_heads: 2, key_dim: 4{call}}}
        outputs:
          out: att
          scores: att.scores
        """
    assert [c for c, _ in errors(body.format(call=""))] == ["GS214"]
    plan = plan_of(body.format(call=", call: {return_attention_scores: true}"))
    assert plan.head_shapes == {"out": (10, 16), "scores": (2, 10, 12)}


def test_positions_of_block_outputs() -> None:
    body = """\
        blocks:
          pair:
            inputs: {{x: {{}}}}
            nodes:
              a: {{layer: Dense, from: x, units: 2}}
              b: {{layer: Dense, from: x, units: 3}}
            outputs: {{first: a, second: b}}
        nodes:
          p: {{block: pair, from: source}}
        outputs:
          out: {ref}
        """
    assert plan_of(body.format(ref="p.1")).head_shapes == {"out": (12, 3)}
    assert [c for c, _ in errors(body.format(ref="p.2"))] == ["GS213"]


def test_a_block_output_may_be_a_layer_state() -> None:
    plan = plan_of(
        """\
        blocks:
          encoder:
            inputs: {x: {}}
            nodes:
              lstm: {layer: LSTM, from: x, units: 4, return_state: true}
            outputs: {h: lstm.state_h, c: lstm.state_c}
        nodes:
          e: {block: encoder, from: source}
          d: {layer: LSTM, from: target, units: 4, call: {initial_state: [e.h, e.c]}}
        outputs:
          out: d
        """
    )
    assert plan.static["e"].outputs == {"h": (4,), "c": (4,)}
    assert plan.head_shapes == {"out": (4,)}


def test_a_custom_layer_is_referred_to_by_position_only() -> None:
    from graphspec.catalogue.custom import CustomLayers
    from graphspec.settings import Options

    text = HEADER + textwrap.dedent(
        """\
        nodes:
          split: {layer: Splitter, from: source}
          first: {layer: Dense, from: split.0, units: 2}
          again: {layer: Splitter, from: first, call: {anything: split.1, flag: true}}
          named: {layer: Dense, from: split.left, units: 2}
        outputs:
          a: again.1
          b: named
        """
    )
    options = Options(custom_layers=CustomLayers.from_paths(["my_layers.Splitter"]))
    found = [d for d in check_text(text, options=options).diagnostics if d.is_error]
    assert [str(d.code) for d in found] == ["GS212"]
    assert "by position ('split.0', 'split.1', ...)" in found[0].message


def test_a_cycle_through_a_call_argument() -> None:
    found = errors(
        """\
        nodes:
          a: {layer: LSTM, from: source, units: 8, call: {initial_state: [b.state_h, b.state_c]}}
          b: {layer: LSTM, from: a, units: 8, return_state: true, return_sequences: true}
        outputs:
          out: b
        """
    )
    assert [c for c, _ in found] == ["GS203"]


@pytest.mark.parametrize(
    ("node", "code", "words"),
    [
        (
            "{layer: MultiHeadAttention, from: [target, source], num_heads: 2, key_dim: 4, "
            "call: {use_casual_mask: true}}",
            "GS318",
            "takes no argument 'use_casual_mask'",
        ),
        ("{layer: Dense, from: target, units: 2, call: {mask: source}}", "GS318", "takes training"),
        ("{use: towers, from: target, call: {mask: source}}", "GS318", "a shared block's call"),
        (
            "{layer: MultiHeadAttention, from: [target, source], num_heads: 2, key_dim: 4, "
            "call: {attention_mask: 1}}",
            "GS319",
            "takes a tensor, but received 1",
        ),
        (
            "{layer: Dropout, from: target, rate: 0.5, call: {training: target}}",
            "GS319",
            "true or false",
        ),
        (
            "{layer: GRU, from: target, units: 4, call: {initial_state: [source, source]}}",
            "GS320",
            "GRU takes 1 initial state tensor, but `initial_state` lists 2",
        ),
        (
            "{layer: Bidirectional, from: target, wraps: {layer: LSTM, units: 4}, "
            "call: {initial_state: [source, source]}}",
            "GS320",
            "takes 4 initial state tensors",
        ),
    ],
)
def test_call_arguments_are_checked_against_the_call(node: str, code: str, words: str) -> None:
    found = errors(
        f"""\
        shared:
          towers: {{block: tower}}
        blocks:
          tower:
            inputs: {{x: {{}}}}
            nodes: {{d: {{layer: Dense, from: x, units: 2}}}}
            outputs: {{y: d}}
        nodes:
          n: {node}
          keep: {{use: towers, from: source}}
        outputs:
          out: n
          kept: keep
        """
    )
    assert [c for c, _ in found] == [code]
    assert words in found[0][1]


def test_initial_state_of_the_wrong_size() -> None:
    found = errors(
        """\
        nodes:
          enc: {layer: LSTM, from: source, units: 4, return_state: true}
          dec: {layer: LSTM, from: target, units: 8,
                call: {initial_state: [enc.state_h, enc.state_c]}}
        outputs:
          out: dec
        """
    )
    assert [c for c, _ in found] == ["GS320", "GS320"]
    assert (
        "initial state 'enc.state_h' is (None, 4), but the layer's state is (None, 8)"
        in (found[0][1])
    )


def test_a_string_that_is_no_reference_is_a_schema_error() -> None:
    report = check(
        """\
        nodes:
          d: {layer: Dense, from: target, units: 2, call: {training: "not a name"}}
        outputs:
          out: d
        """
    )
    assert [str(d.code)[:3] for d in report.diagnostics if d.is_error] == ["GS1"]


def test_a_shared_layer_is_switched_on_at_its_entry() -> None:
    found = [
        d
        for d in check(
            """\
            shared:
              recur: {layer: GRU, units: 4}
            nodes:
              first: {use: recur, from: source}
              second: {layer: Dense, from: first.state, units: 2}
            outputs:
              out: second
            """
        ).diagnostics
        if d.is_error
    ]
    assert [str(d.code) for d in found] == ["GS214"]
    assert found[0].hint == "set return_state: true on the shared entry 'recur'"


def test_a_switch_given_by_a_block_parameter() -> None:
    plan = plan_of(
        """\
        blocks:
          encoder:
            params: {states: true}
            inputs: {x: {}}
            nodes:
              lstm: {layer: LSTM, from: x, units: 4, return_state: "${states}"}
            outputs: {c: lstm.state_c}
        nodes:
          e: {block: encoder, from: source}
        outputs:
          out: e
        """
    )
    assert plan.head_shapes == {"out": (4,)}
