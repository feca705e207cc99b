"""A short run of the fuzz harness (tests/fuzz/fuzz_validate.py) so `make test` exercises it.

The full run is `python tests/fuzz/fuzz_validate.py --seconds 120`. Exceptions that match a
known, reported graphspec bug (listed in the harness) do not fail this test; anything else does.
"""

from __future__ import annotations

from pathlib import Path

from tests.fuzz.fuzz_validate import FINDINGS, run_fuzz

SMOKE_INPUTS = 240


def test_fuzz_smoke(tmp_path: Path) -> None:
    # A fixed number of inputs from a fixed seed: the same run on a fast or a slow machine.
    # The time limit is only a guard against a hang; the slow-input threshold is generous
    # for the same reason (hostile-input timings are measured in benchmarks/bench_hostile.py).
    stats = run_fuzz(
        seconds=300.0,
        seed_value=20_240_101,
        findings_dir=tmp_path / "findings",
        slow=10.0,
        max_inputs=SMOKE_INPUTS,
        chunk_size=40,
    )
    assert stats.inputs == SMOKE_INPUTS, stats.summary()
    assert stats.sources["mutation"] > 0 and stats.sources["structure"] > 0, stats.summary()
    assert len(stats.codes) >= 15, stats.summary()
    report = "\n\n".join(
        f"{f.kind}: {f.signature} (from {f.source})\ninput: {f.data[:400]!r}\n{f.detail[-3000:]}"
        for f in stats.new_findings
    )
    assert not stats.new_findings, f"{stats.summary()}\n\n{report}"


def test_findings_folder_stays_empty() -> None:
    """Saved findings are for reproducing a bug, then become a test; they are never committed."""
    left = sorted(p.name for p in FINDINGS.iterdir()) if FINDINGS.exists() else []
    assert not left, f"tests/fuzz/findings/ holds {left}: turn them into tests, then delete them"
