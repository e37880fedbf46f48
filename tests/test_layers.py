"""``tfshare.compat.v1.layers`` against real TF 1.15, in graph and eager mode.

The cases of ``tests/layers_cases.py`` (tf-keras's ``legacy_tf_layers`` tests
re-expressed: naming, reuse, shapes, values, regularizers, ``UPDATE_OPS``) run
as one program on TF 1.15 (live when the oracle is built, else the goldens of
``tests/fixtures/make_layers_fixtures.py``) and on tfshare: in a fresh graph
per case, and in eager mode for the cases that do not need graph mode. The
records must agree (values to 2e-5; keys starting with ``g:`` are graph-only).

The module is setup-aware: ``tests/test_tf1_setups.py`` runs it again under
each TF1 switch (``disable_v2_behavior()``...).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import tf1_setups  # noqa: F401  (applies the process's TF1 setup first)
import tensorflow as tf  # noqa: E402

import layers_cases  # noqa: E402
import tfshare.compat.v1 as tfc  # noqa: E402
from oracle import tf115_or_golden  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(__file__), "fixtures", "tf115_layers")
CASES = layers_cases.case_names()
EAGER_CASES = [c for c in CASES if c not in layers_cases.GRAPH_ONLY]


def run_on_tfshare(cases: list[str], eager: bool) -> dict:
    """Run ``cases`` with ``tf = tfshare.compat.v1``; return their records."""
    scope = {"tf": tfc, "np": np, "OUT": {}}
    tfc.reset_default_graph()
    try:
        exec(compile(layers_cases.program(cases, eager=eager), "layers_cases", "exec"), scope)
    finally:
        tfc.reset_default_graph()
    return {k[5:]: v for k, v in scope["OUT"].items()}


@pytest.fixture(scope="module")
def tf115(tmp_path_factory):
    out = tf115_or_golden(tmp_path_factory, "layers", layers_cases.program(), GOLDEN)
    return {k[5:]: v for k, v in out.items() if k.startswith("json:") and k != "json:__source__"}


@pytest.fixture(scope="module")
def tfshare_graph():
    return run_on_tfshare(CASES, eager=False)


@pytest.fixture(scope="module")
def tfshare_eager():
    return run_on_tfshare(EAGER_CASES, eager=True)


def differences(want, got, path="") -> list[str]:
    """Where ``got`` differs from ``want`` (floats to 2e-5)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}/{k}: missing" for k in want if k not in got]
        out += [f"{path}/{k}: unexpected" for k in got if k not in want]
        for k in want:
            if k in got:
                out += differences(want[k], got[k], f"{path}/{k}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{path}: length {len(got)} != {len(want)}: {str(got)[:300]}"]
        return [d for i, (w, g) in enumerate(zip(want, got, strict=True))
                for d in differences(w, g, f"{path}[{i}]")]
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return [] if abs(want - got) <= 2e-5 else [f"{path}: {got} != {want}"]
    return [] if want == got else [f"{path}: {str(got)[:300]} != {str(want)[:300]}"]


def test_setup_is_in_force():
    assert tf1_setups.in_force() == tf1_setups.EXPECTED[tf1_setups.NAME]


@pytest.mark.parametrize("case", CASES)
def test_graph_mode_matches_tf115(case, tf115, tfshare_graph):
    assert "error" not in tf115[case], tf115[case]
    diffs = differences(tf115[case], tfshare_graph[case])
    assert not diffs, "\n".join(diffs)


@pytest.mark.skipif(not tf1_setups.EAGER, reason="eager execution is off in this TF1 setup")
@pytest.mark.parametrize("case", EAGER_CASES)
def test_eager_mode_matches_tf115(case, tf115, tfshare_eager):
    want = {k: v for k, v in tf115[case].items() if not k.startswith("g:")}
    diffs = differences(want, tfshare_eager[case])
    assert not diffs, "\n".join(diffs)


def test_the_comparison_sees_differences():
    want = {"a": [1.0, 2.0], "n": "x/kernel:0", "g:op": "x/Relu"}
    assert differences(want, dict(want)) == []
    assert differences(want, {"a": [1.0, 2.001], "n": "x/kernel:0", "g:op": "x/Relu"})
    assert differences(want, {"a": [1.0], "n": "x/kernel:0", "g:op": "x/Relu"})
    assert differences(want, {"a": [1.0, 2.0], "n": "x_1/kernel:0", "g:op": "x/Relu"})
    assert differences(want, {"a": [1.0, 2.0], "n": "x/kernel:0"})
