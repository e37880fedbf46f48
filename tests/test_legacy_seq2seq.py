"""``tf.contrib.legacy_seq2seq`` against real TF 1.15 (live, or its goldens).

Every case of ``tests/fixtures/make_seq2seq_fixtures.py`` (legacy part) runs
on ``tfshare.compat.v1`` in graph mode (``[None, ...]`` placeholders), in
eager mode and after ``tf.disable_v2_behavior()`` in a subprocess. Gradients
are compared in eager mode (graph mode: ``GRAPH_GRADIENT_CASES``).
"""

from fixtures import make_seq2seq_fixtures as fx

import tfshare
import tfshare.compat.v1 as tfc

MODULE = "legacy_seq2seq"


(golden, test_case_matches_tf115,
 test_case_matches_tf115_after_disable_v2_behavior) = fx.oracle_tests(MODULE)


def test_namespace_is_tf115s(golden):
    assert sorted(tfc.contrib.legacy_seq2seq.__all__) == golden["json:public"]
    for name in golden["json:public"]:
        assert getattr(tfc.contrib.legacy_seq2seq, name) is getattr(tfshare.seq2seq.legacy, name)
