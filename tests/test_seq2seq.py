"""``tf.contrib.seq2seq`` against real TF 1.15 (live, or its committed goldens).

Every case of ``tests/fixtures/make_seq2seq_fixtures.py`` (decoders, helpers,
attention, beam search, ``sequence_loss``) runs on ``tfshare.compat.v1`` in
graph mode (``[None, ...]`` placeholders), in eager mode, and after
``tf.disable_v2_behavior()`` in a subprocess: outputs, variable names and
shapes, beams (``predicted_ids``, ``parent_ids``, scores), error texts and
gradients (eager mode; graph mode for ``GRAPH_GRADIENT_CASES``) must equal
TF 1.15's.
"""
import numpy as np
import pytest
import tensorflow as tf

from fixtures import make_seq2seq_fixtures as fx

import tfshare
import tfshare.compat.v1 as tfc

MODULE = "seq2seq"
s2s = tfc.contrib.seq2seq


(golden, test_case_matches_tf115,
 test_case_matches_tf115_after_disable_v2_behavior) = fx.oracle_tests(MODULE)


def test_namespace_is_tf115s(golden):
    assert sorted(s2s.__all__) == golden["json:public"]
    for name in golden["json:public"]:
        assert getattr(s2s, name) is getattr(tfshare.seq2seq, name)
    assert tfc.contrib.seq2seq is __import__("tfshare.compat.v1.contrib.seq2seq").compat.v1 \
        .contrib.seq2seq


def test_beam_cases_really_search(golden):
    """The beam comparisons would test little if every beam were the same."""
    for case in ("beam_basic", "beam_penalties", "beam_plain"):
        ids = golden[f"{case}/outputs/predicted_ids"]
        assert ids.ndim == 3 and ids.shape[2] >= 2
        assert any(len({tuple(ids[b, :, k]) for k in range(ids.shape[2])}) > 1
                   for b in range(ids.shape[0])), case
        parents = golden[f"{case}/outputs/beam_search_decoder_output/parent_ids"]
        assert np.any(parents != np.arange(parents.shape[2])), case


def test_clone_rejects_another_shape():
    with tf.Graph().as_default():
        mem = tf.zeros([3, 5, 6])
        wrapper = s2s.AttentionWrapper(tfc.nn.rnn_cell.LSTMCell(4), s2s.LuongAttention(4, mem))
        state = wrapper.zero_state(3, tf.float32)
        with pytest.raises(ValueError, match=r"Invalid shape for tensor .*, expected \[3 6\], "
                                             r"got \(2, 4\)"):
            state.clone(attention=tf.zeros([2, 4]))
        assert state.clone(time=tf.constant(3)).time.shape == ()
    tfc.reset_default_graph()  # eager mode: a fresh variable store
    state = s2s.AttentionWrapper(tfc.nn.rnn_cell.LSTMCell(4), s2s.LuongAttention(
        4, tf.zeros([3, 5, 6]))).zero_state(3, tf.float32)
    with pytest.raises(ValueError, match="expected to be same as the one to clone"):
        state.clone(attention=tf.zeros([2, 4]))


def test_luong_depth_mismatch_names_the_num_units():
    tfc.reset_default_graph()
    mech = s2s.LuongAttention(4, tf.zeros([2, 3, 5]))
    with pytest.raises(ValueError, match="Perhaps you need to set num_units to the keys' "
                                         r"dimension \(4\)"):
        mech(tf.zeros([2, 6]), mech.initial_alignments(2, tf.float32))


def test_gather_tree_rejects_a_parent_out_of_range():
    step = tf.zeros([2, 1, 2], tf.int32)
    parent = tf.constant([[[0, 1]], [[5, 0]]], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError):
        s2s.gather_tree(step, parent, [2], 9)


def test_attention_wrapper_under_dynamic_rnn_and_a_second_call_reuses():
    """The wrapper is a TF1 cell: ``tf.nn.dynamic_rnn`` drives it, and calling it
    again (an inference graph) adds no variables."""
    with tf.Graph().as_default():
        mem = tfc.placeholder(tf.float32, [None, 5, 6])
        x = tfc.placeholder(tf.float32, [None, 4, 3])
        wrapper = s2s.AttentionWrapper(tfc.nn.rnn_cell.GRUCell(4),
                                       s2s.BahdanauAttention(4, mem), attention_layer_size=3)
        init = wrapper.zero_state(tf.shape(x)[0], tf.float32)
        out, state = tfc.nn.dynamic_rnn(wrapper, x, initial_state=init)
        n = len(tfc.global_variables())
        out2, _ = wrapper(x[:, 0], init)
        assert len(tfc.global_variables()) == n
        assert [v.name for v in wrapper.trainable_variables] == [
            "rnn/attention_wrapper/gru_cell/gates/kernel:0",
            "rnn/attention_wrapper/gru_cell/gates/bias:0",
            "rnn/attention_wrapper/gru_cell/candidate/kernel:0",
            "rnn/attention_wrapper/gru_cell/candidate/bias:0",
            "rnn/attention_wrapper/bahdanau_attention/query_layer/kernel:0",
            "rnn/attention_wrapper/bahdanau_attention/attention_v:0",
            "rnn/attention_wrapper/attention_layer/kernel:0"]
        with tfc.Session() as sess:
            sess.run(tfc.global_variables_initializer())
            feed = {mem: np.ones([2, 5, 6]), x: np.ones([2, 4, 3])}
            a, b = sess.run([out[:, 0], out2], feed)
        np.testing.assert_allclose(a, b, rtol=1e-6)
