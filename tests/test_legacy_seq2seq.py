"""``tf.contrib.legacy_seq2seq`` against real TF 1.15 (live, or its goldens).

Every case of ``tests/fixtures/make_seq2seq_fixtures.py`` (legacy part) runs
on ``tfshare.compat.v1`` in graph mode (``[None, ...]`` placeholders), in
eager mode and after ``tf.disable_v2_behavior()`` in a subprocess. Gradients
are compared in eager mode (graph mode: ``GRAPH_GRADIENT_CASES``).
"""
import pytest

from fixtures import make_seq2seq_fixtures as fx

import tfshare
import tfshare.compat.v1 as tfc

MODULE = "legacy_seq2seq"
CASES = fx.case_names(MODULE)


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    return fx.golden_for(tmp_path_factory, MODULE)


@pytest.mark.parametrize("mode", ["graph", "eager"])
@pytest.mark.parametrize("case", CASES)
def test_case_matches_tf115(golden, case, mode):
    eager = mode == "eager"
    grads = eager or case in fx.GRAPH_GRADIENT_CASES[MODULE]
    out = fx.run_on_tfshare(MODULE, [case], eager=eager, grads=grads)
    fx.check_case(golden, out, case, eager=eager, grads=grads)


@pytest.mark.parametrize("case", CASES)
def test_case_matches_tf115_after_disable_v2_behavior(golden, tmp_path_factory, case):
    fx.check_case(golden, fx.v1_results_for(tmp_path_factory, MODULE), case, grads=False)


def test_namespace_is_tf115s(golden):
    assert sorted(tfc.contrib.legacy_seq2seq.__all__) == golden["json:public"]
    for name in golden["json:public"]:
        assert getattr(tfc.contrib.legacy_seq2seq, name) is getattr(tfshare.seq2seq.legacy, name)
