"""``tf.contrib.crf`` against real TF 1.15 (live, or its committed goldens).

Every case of ``tests/fixtures/make_seq2seq_fixtures.py`` (CRF part) runs on
``tfshare.compat.v1`` in graph mode (``[None, ...]`` placeholders), in eager
mode, and after ``tf.disable_v2_behavior()`` in a subprocess: outputs,
variable names and shapes and gradients (eager mode; graph mode for
``GRAPH_GRADIENT_CASES``) must equal TF 1.15's.
"""
import numpy as np
import tensorflow as tf

from fixtures import make_seq2seq_fixtures as fx

import tfshare
import tfshare.compat.v1 as tfc

MODULE = "crf"


(golden, test_case_matches_tf115,
 test_case_matches_tf115_after_disable_v2_behavior) = fx.oracle_tests(MODULE)


def test_namespace_is_tf115s(golden):
    assert sorted(tfc.contrib.crf.__all__) == golden["json:public"]
    for name in golden["json:public"]:
        assert getattr(tfc.contrib.crf, name) is getattr(tfshare.seq2seq.crf, name)


def test_viterbi_decode_finds_the_best_path_by_enumeration():
    import itertools

    rng = np.random.RandomState(3)
    score, trans = rng.randn(4, 3), rng.randn(3, 3)
    best, best_score = tfc.contrib.crf.viterbi_decode(score, trans)
    paths = list(itertools.product(range(3), repeat=4))
    totals = [sum(score[t, p[t]] for t in range(4)) + sum(trans[p[t], p[t + 1]] for t in range(3))
              for p in paths]
    assert tuple(best) == paths[int(np.argmax(totals))]
    assert np.isclose(best_score, max(totals))


def test_log_norm_is_log_sum_over_all_paths():
    import itertools

    rng = np.random.RandomState(4)
    x = rng.randn(1, 3, 2).astype(np.float32)
    trans = rng.randn(2, 2).astype(np.float32)
    got = tfshare.seq2seq.crf.crf_log_norm(x, tf.constant([3]), trans).numpy()[0]
    totals = [sum(x[0, t, p[t]] for t in range(3)) + trans[p[0], p[1]] + trans[p[1], p[2]]
              for p in itertools.product(range(2), repeat=3)]
    assert np.isclose(got, np.log(np.sum(np.exp(totals))), atol=1e-5)


def test_transitions_variable_is_shared_under_reuse():
    with tf.Graph().as_default():
        x = tfc.placeholder(tf.float32, [None, None, 5])
        tags = tfc.placeholder(tf.int32, [None, None])
        lengths = tfc.placeholder(tf.int32, [None])
        with tfc.variable_scope("tagger"):
            _, t1 = tfc.contrib.crf.crf_log_likelihood(x, tags, lengths)
        with tfc.variable_scope("tagger", reuse=True):
            _, t2 = tfc.contrib.crf.crf_log_likelihood(x, tags, lengths)
        assert t1 is t2
        assert [v.name for v in tfc.global_variables()] == ["tagger/transitions:0"]
