"""The driver behaviours TensorFlow's own tests check, re-expressed for tfshare.

What TF's ``rnn_test.py`` (RNNTest), ``rnn_cell_test.py`` (RNNTest, the driver
parts of LSTMTest, BidirectionalRNNTest) and contrib's ``rnn_test.py``
(StackBidirectionalRNNTest) check of the drivers, written anew against
``tfshare.rnn``: batch size from the inputs, scalar and unbalanced states,
int inputs refused, the TF1 step rule on a cell with known arithmetic,
unknown time, static vs dynamic equivalence (values and gradients), tuple vs
concatenated LSTM states, float64, the bidirectional time symmetry, stacked
static vs dynamic layers, and the scope names. (tf-keras' ``legacy_rnn_test``,
Keras cells in the drivers, is in ``test_rnn_api``.) Every case runs under
every TF1 setup (``setup_runs``).
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare import rnn
from test_rnn_api import evaluate, graph_or_eager
from setup_runs import Cases

v1 = tf.compat.v1
nest = tf.nest
CASES = Cases("test_rnn_tf_cases:run_cases")
run_cases = CASES.run


class PlusOneCell:
    """``(output, state) = (input + 1, state + 1)``: the drivers' arithmetic is exact."""

    output_size = 5
    state_size = 5

    def zero_state(self, batch_size, dtype):
        return tf.zeros([batch_size, 5], dtype)

    def __call__(self, inputs, state, scope=None):
        return inputs + 1.0, state + 1.0


class ScalarStateCell:
    """An int32 scalar state (a step counter) next to float outputs."""

    output_size = 1
    state_size = tf.TensorShape([])

    def zero_state(self, batch_size, dtype):
        return tf.zeros([], tf.int32)

    def __call__(self, inputs, state, scope=None):
        return inputs, state + 1


class UnbalancedCell(ScalarStateCell):
    """Two outputs of different depths: ``(x, [x, x])``."""

    output_size = (tf.TensorShape([1]), tf.TensorShape([2]))

    def __call__(self, inputs, state, scope=None):
        return (inputs, tf.concat([inputs, inputs], -1)), state + 1


# --------------------------------------------------------------------------- RNNTest
@CASES.case("graph", "eager")
def batch_size_from_inputs(mode):
    """The static batch size comes from the inputs, with or without an initial state;
    an unknown batch stays unknown (graph mode)."""
    with graph_or_eager(mode):
        x = tf.zeros([3, 4, 5])
        for init in (None, tf.zeros([3, 5])):
            y, s = rnn.dynamic_rnn(PlusOneCell(), x, initial_state=init, dtype=tf.float32)
            assert y.shape.as_list()[0] == s.shape.as_list()[0] == 3
    if mode == "graph":
        with tf.Graph().as_default():
            x = v1.placeholder(tf.float32, [None, 4, 5])
            for init in (None, v1.placeholder(tf.float32, [None, 5])):
                y, s = rnn.dynamic_rnn(PlusOneCell(), x, initial_state=init, dtype=tf.float32)
                assert y.shape.as_list() == [None, 4, 5] and s.shape.as_list() == [None, 5]


@CASES.case("graph", "eager", "function")
def scalar_and_unbalanced_states(mode):
    """A scalar int state passes through the step rule; outputs of different depths."""
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32)

    def build():
        return (rnn.dynamic_rnn(ScalarStateCell(), x, dtype=tf.float32, sequence_length=[4]),
                rnn.dynamic_rnn(UnbalancedCell(), x, dtype=tf.float32, sequence_length=[4]))

    _, ((y, s), ((y1, y2), s2)) = evaluate(mode, build)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(y1, x)
    np.testing.assert_array_equal(y2, np.concatenate([x, x], -1))
    assert int(s) == int(s2) == 4


@CASES.case("graph", "eager")
def integer_inputs_are_refused(mode):
    """int32 inputs: the TF1 cells' ``RNN cell only supports floating point inputs``."""
    with graph_or_eager(mode):
        x = tf.zeros([3, 4, 5], tf.int32)
        for cell_cls in (tfshare.BasicRNNCell, tfshare.GRUCell, tfshare.BasicLSTMCell,
                         tfshare.LSTMCell):
            with pytest.raises(ValueError, match="RNN cell only supports floating"):
                rnn.dynamic_rnn(cell_cls(2, dtype=tf.int32), x, dtype=tf.int32)


@CASES.case("graph", "eager")
def static_rnn_step_arithmetic(mode):
    """static_rnn on PlusOneCell: ``output_t = x_t + 1``, final state = number of
    steps; with sequence lengths the outputs past them are 0 and the state stops."""
    steps = [np.full((2, 5), t, np.float32) for t in range(4)]

    def build():
        return (rnn.static_rnn(PlusOneCell(), steps, dtype=tf.float32),
                rnn.static_rnn(PlusOneCell(), steps, dtype=tf.float32, sequence_length=[2, 3]))

    _, ((ys, s), (ys_len, s_len)) = evaluate(mode, build)
    assert len(ys) == len(ys_len) == 4
    for t in range(4):
        np.testing.assert_array_equal(ys[t], steps[t] + 1)
        np.testing.assert_array_equal(ys_len[t][0], steps[t][0] + 1 if t < 2 else 0)
        np.testing.assert_array_equal(ys_len[t][1], steps[t][1] + 1 if t < 3 else 0)
    np.testing.assert_array_equal(s, np.full((2, 5), 4.0))
    np.testing.assert_array_equal(s_len, [[2.0] * 5, [3.0] * 5])


@CASES.case("graph")
def unknown_time_dimension(mode):
    """A ``[1, None, 5]`` input: the time is known only when the graph runs."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [1, None, 5])
        y, s = rnn.dynamic_rnn(tfshare.LSTMCell(3), x, dtype=tf.float32)
        assert y.shape.as_list() == [1, None, 3]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for steps in (1, 4):
                assert sess.run(y, {x: np.ones((1, steps, 5))}).shape == (1, steps, 3)


# --------------------------------------------------------------------------- LSTMTest
@CASES.case("graph")
def dynamic_equals_static(mode):
    """dynamic_rnn and static_rnn over the same LSTM variables (peepholes, a
    concatenated state, sequence lengths, time-major or not) give the same outputs,
    final states and gradients."""
    rng = np.random.RandomState(5)
    x_np = rng.uniform(-1, 1, (3, 6, 4)).astype(np.float32)
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 6, 4])
        seq = v1.placeholder(tf.int64, [None])
        init = tf.random_uniform_initializer(-0.3, 0.3, seed=1)
        with tfshare.variable_scope("shared", initializer=init) as vs:
            cell = tfshare.LSTMCell(3, use_peepholes=True, state_is_tuple=False)
            ys, s_static = rnn.static_rnn(cell, tf.unstack(x, axis=1), sequence_length=seq,
                                          dtype=tf.float32)
        with tfshare.variable_scope(vs, reuse=True):
            y_dyn, s_dyn = rnn.dynamic_rnn(
                tfshare.LSTMCell(3, use_peepholes=True, state_is_tuple=False),
                tf.transpose(x, [1, 0, 2]), sequence_length=seq, dtype=tf.float32,
                time_major=True)
        y_static = tf.stack(ys, 0)
        variables = v1.trainable_variables()
        assert len(variables) == 5  # kernel, bias, three peepholes: shared, not copied
        grads = [tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(st), variables + [x])
                 for y, st in ((y_static, s_static), (y_dyn, s_dyn))]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            feed = {x: x_np, seq: [6, 2, 4]}
            (a, b), (sa, sb), (ga, gb) = sess.run(((y_static, y_dyn), (s_static, s_dyn), grads),
                                                  feed)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(sa, sb, atol=1e-6)
    assert len(ga) == len(gb) == 6
    for u, w in zip(ga, gb, strict=True):
        np.testing.assert_allclose(u, w, atol=1e-5)


@CASES.case("graph", "eager")
def tuple_and_concatenated_states_agree(mode):
    """An LSTM with a projection: ``state_is_tuple=True`` and ``False`` over the same
    variables give the same outputs; the concatenated state is ``[c, h]``."""
    rng = np.random.RandomState(6)
    steps = [rng.uniform(-1, 1, (2, 3)).astype(np.float32) for _ in range(4)]

    def build():
        init = tf.random_uniform_initializer(-0.5, 0.5, seed=3)
        with tfshare.variable_scope("root", initializer=init, reuse=v1.AUTO_REUSE):
            kw = {"num_proj": 2, "use_peepholes": True}
            y_t, s_t = rnn.static_rnn(tfshare.LSTMCell(4, state_is_tuple=True, **kw), steps,
                                      sequence_length=[4, 2], dtype=tf.float32)
            y_c, s_c = rnn.static_rnn(tfshare.LSTMCell(4, state_is_tuple=False, **kw), steps,
                                      sequence_length=[4, 2], dtype=tf.float32)
        return y_t, s_t, y_c, s_c

    names, (y_t, s_t, y_c, s_c) = evaluate(mode, build)
    assert len(names) == 6  # one variable set: kernel, bias, 3 peepholes, projection
    for a, b in zip(y_t, y_c, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([s_t[0], s_t[1]], 1), s_c, atol=1e-6)


@CASES.case("graph")
def double_precision_inputs(mode):
    """float64 inputs, a float64 initial state and int64 lengths fed at run time."""
    with tf.Graph().as_default():
        steps = [v1.placeholder(tf.float64, [None, 3]) for _ in range(4)]
        seq = v1.placeholder(tf.int64, [None])
        cell = tfshare.LSTMCell(2, use_peepholes=True, state_is_tuple=False)
        ys, _ = rnn.static_rnn(cell, steps, sequence_length=seq,
                               initial_state=cell.zero_state(2, tf.float64))
        assert all(y.dtype == tf.float64 for y in ys)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            feed = dict(zip(steps, np.ones((4, 2, 3)), strict=True))
            feed[seq] = [4, 1]
            out = sess.run(ys, feed)
    assert [o.shape for o in out] == [(2, 2)] * 4
    assert not out[2][1].any() and out[2][0].any()


# --------------------------------------------------------------------------- bidirectional
@CASES.case("graph", "eager")
def bidirectional_time_symmetry(mode):
    """Forward and backward cells with equal weights on a time-constant input: the
    forward output at ``t`` equals the backward output at ``L - 1 - t`` within each
    sequence's length ``L``, zeros past it; static, dynamic and time-major."""
    x_np = np.tile(np.random.RandomState(8).uniform(-1, 1, (3, 1, 2)).astype(np.float32),
                   (1, 5, 1))
    lengths = [5, 3, 1]

    def build():
        init = tf.constant_initializer(0.3)
        with tfshare.variable_scope("sym", initializer=init, reuse=v1.AUTO_REUSE):
            x = tf.constant(x_np)
            ys, _, _ = rnn.static_bidirectional_rnn(
                tfshare.GRUCell(3), tfshare.GRUCell(3), tf.unstack(x, axis=1),
                sequence_length=lengths, dtype=tf.float32, scope="static")
            (yf, yb), _ = rnn.bidirectional_dynamic_rnn(
                tfshare.LSTMCell(3), tfshare.LSTMCell(3), tf.transpose(x, [1, 0, 2]),
                sequence_length=lengths, dtype=tf.float32, time_major=True, scope="dyn")
            return tf.stack(ys, 1), tf.concat([yf, yb], 2)

    _, (static, dynamic) = evaluate(mode, build)
    dynamic = np.transpose(dynamic, [1, 0, 2])
    for out in (static, dynamic):
        assert out.shape == (3, 5, 6)
        for b, length in enumerate(lengths):
            for t in range(length):
                np.testing.assert_allclose(out[b, t, :3], out[b, length - 1 - t, 3:],
                                           atol=1e-6)
            assert not out[b, length:].any()
        assert np.abs(out[0, 0, :3] - out[0, 1, :3]).max() > 1e-3  # the state matters


@CASES.case("graph", "eager")
def stacked_static_equals_stacked_dynamic(mode):
    """contrib's stack_bidirectional_rnn and stack_bidirectional_dynamic_rnn, two
    layers, same weights (loaded by name): same outputs and final states."""
    rng = np.random.RandomState(9)
    x_np = rng.uniform(-1, 1, (2, 4, 3)).astype(np.float32)
    lengths = [4, 2]

    def build():
        x = tf.constant(x_np)
        layers = ([tfshare.LSTMCell(3), tfshare.GRUCell(2)], [tfshare.LSTMCell(2),
                                                               tfshare.GRUCell(3)])
        st = rnn.stack_bidirectional_rnn(*layers, tf.unstack(x, axis=1), sequence_length=lengths,
                                         dtype=tf.float32, scope="static")
        layers = ([tfshare.LSTMCell(3), tfshare.GRUCell(2)], [tfshare.LSTMCell(2),
                                                               tfshare.GRUCell(3)])
        dy = rnn.stack_bidirectional_dynamic_rnn(*layers, x, sequence_length=lengths,
                                                 dtype=tf.float32, scope="dynamic")
        return (tf.stack(st[0], 1),) + st[1:], dy

    def weight(name, shape):
        local = name.split("/", 1)[1].replace("bidirectional_rnn/", "")
        return np.random.RandomState(sum(map(ord, local)) % 997).uniform(
            -0.5, 0.5, shape).astype(np.float32)

    names, (static, dynamic) = evaluate(mode, build, weight)
    assert [n.replace("static/", "dynamic/").replace("/fw/", "/bidirectional_rnn/fw/").replace(
        "/bw/", "/bidirectional_rnn/bw/") for n in names if n.startswith("static/")] == [
        n for n in names if n.startswith("dynamic/")]
    for a, b in zip(nest.flatten(static), nest.flatten(dynamic), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert static[0].shape == (2, 4, 5) and not static[0][1, 2:].any()


@CASES.case("graph", "eager")
def driver_scope_names(mode):
    """Scopes given as strings, as a scope object, and none (the default names)."""
    steps = [np.ones((2, 3), np.float32)] * 2

    def build():
        with tfshare.variable_scope("root"):
            rnn.static_rnn(tfshare.GRUCell(2), steps, dtype=tf.float32)
            rnn.static_bidirectional_rnn(tfshare.BasicRNNCell(2), tfshare.BasicRNNCell(2), steps,
                                         dtype=tf.float32, scope="BiRNN")
            rnn.bidirectional_dynamic_rnn(tfshare.BasicRNNCell(2), tfshare.BasicRNNCell(2),
                                          np.ones((2, 2, 3), np.float32), dtype=tf.float32)
            rnn.stack_bidirectional_rnn([tfshare.BasicRNNCell(2)], [tfshare.BasicRNNCell(2)],
                                        steps, dtype=tf.float32, scope="MyStack")
            with tfshare.variable_scope("obj") as obj:
                pass
            rnn.stack_bidirectional_dynamic_rnn([tfshare.BasicRNNCell(2)],
                                                [tfshare.BasicRNNCell(2)],
                                                np.ones((2, 2, 3), np.float32),
                                                dtype=tf.float32, scope=obj)
        return tf.constant(0)

    names, _ = evaluate(mode, build)
    prefixes = sorted({n.rsplit("/", 2)[0] for n in names})
    assert prefixes == [
        "root/BiRNN/bw", "root/BiRNN/fw", "root/MyStack/cell_0/bw", "root/MyStack/cell_0/fw",
        "root/bidirectional_rnn/bw", "root/bidirectional_rnn/fw",
        "root/obj/cell_0/bidirectional_rnn/bw", "root/obj/cell_0/bidirectional_rnn/fw",
        "root/rnn/gru_cell"], prefixes
    assert sum(n.endswith("basic_rnn_cell/kernel:0") for n in names) == 8


# every case above, under every setup (keep this last: it lists the cases)
@pytest.mark.parametrize("setup,name,mode", CASES.params())
def test_case(tmp_path_factory, setup, name, mode):
    outcome = CASES.outcome(tmp_path_factory, setup, name, mode)
    assert outcome == "ok", f"{name}[{mode}] under setup {setup!r}:\n{outcome}"
