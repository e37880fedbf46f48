"""tfshare.rnn: error texts, duck-typed cells, stock TF as a second oracle, linear.

No subprocess here. Second oracles: stock TF's graph-mode
``tf.compat.v1.nn`` drivers (they accept duck-typed cells, spec §0.2, and
raise the TF1 error texts) and independent numpy derivations.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare import rnn

v1 = tf.compat.v1
RNG = np.random.RandomState(7)
X = RNG.uniform(-0.5, 0.5, (4, 6, 3)).astype("float32")
SEQ = np.array([6, 0, 2, 9], np.int32)


def _weight(name, shape):
    rng = np.random.RandomState(sum(map(ord, name)) % 1000)
    return rng.uniform(-0.5, 0.5, shape).astype("float32")


# --------------------------------------------------------------------------- cells
class TinyCell:
    """A TF <= 1.1 style duck-typed cell: ``__call__`` calls get_variable itself.

    ``h' = tanh([x, h] K + b)``; variables ``<scope or "tiny_cell">/kernel|bias``.
    """

    def __init__(self, units):
        self.units = units
        self.calls = 0

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def zero_state(self, batch_size, dtype):
        return tf.zeros([batch_size, self.units], dtype)

    def __call__(self, inputs, state, scope=None):
        self.calls += 1
        with tfshare.variable_scope(scope or "tiny_cell"):
            k = tfshare.get_variable("kernel", [inputs.shape[-1] + self.units, self.units])
            b = tfshare.get_variable("bias", [self.units], initializer=tf.zeros_initializer())
        h = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), k) + b)
        return h, h


class NestedCell:
    """Weight-free duck cell with nested inputs, outputs and state (fixed constants)."""

    def __init__(self):
        r = np.random.RandomState(3)
        self.a = r.uniform(-0.5, 0.5, (3, 2)).astype("float32")
        self.b = r.uniform(-0.5, 0.5, (2, 2)).astype("float32")
        self.c = r.uniform(-0.5, 0.5, (2, 2)).astype("float32")

    state_size = (2, 2)
    output_size = {"p": 2, "q": 2}

    def zero_state(self, batch_size, dtype):
        return (tf.zeros([batch_size, 2], dtype), tf.zeros([batch_size, 2], dtype))

    def __call__(self, inputs, state, scope=None):
        x, y = inputs
        s1, s2 = state
        n1 = tf.tanh(tf.matmul(x, self.a) + tf.matmul(s1, self.b) + y)
        n2 = tf.sigmoid(tf.matmul(n1, self.c) - s2)
        return {"p": n1, "q": n2 * 2.0}, (n1, n2)


def _numpy_tiny(x, k, b, seq):
    """Independent numpy derivation of TinyCell under the TF1 sequence_length rule."""
    batch, steps, _ = x.shape
    h = np.zeros((batch, k.shape[1]), np.float32)
    outs = np.zeros((batch, steps, k.shape[1]), np.float32)
    for t in range(steps):
        new = np.tanh(np.concatenate([x[:, t], h], 1) @ k + b)
        for i in range(batch):
            if seq is None or t < seq[i]:
                outs[i, t] = new[i]
                h[i] = new[i]
    return outs, h


# --------------------------------------------------------------------------- errors
def _message(fn):
    try:
        fn()
    except (TypeError, ValueError) as e:  # noqa: PERF203
        return type(e), str(e)
    raise AssertionError("no error raised")


def test_error_texts_equal_stock_tf_graph_mode():
    """§2.2/§2.3 errors: same type and text as TF core's drivers on the same arguments."""
    with tf.Graph().as_default():
        x2 = tf.constant(X[:, 0])
        x3 = tf.constant(X)
        cell = tfshare.GRUCell(2)
        not_a_cell = object()
        cases = [
            ("static_rnn", lambda m: m.static_rnn(cell, x2, dtype=tf.float32)),
            ("static_rnn", lambda m: m.static_rnn(cell, [], dtype=tf.float32)),
            ("static_rnn", lambda m: m.static_rnn(cell, [x2])),
            ("static_rnn", lambda m: m.static_rnn(not_a_cell, [x2], dtype=tf.float32)),
            ("dynamic_rnn", lambda m: m.dynamic_rnn(cell, x3)),
            ("dynamic_rnn", lambda m: m.dynamic_rnn(cell, x2, dtype=tf.float32)),
            ("dynamic_rnn", lambda m: m.dynamic_rnn(not_a_cell, x3, dtype=tf.float32)),
            ("bidirectional_dynamic_rnn",
             lambda m: m.bidirectional_dynamic_rnn(cell, not_a_cell, x3, dtype=tf.float32)),
            ("static_bidirectional_rnn",
             lambda m: m.static_bidirectional_rnn(not_a_cell, cell, [x2], dtype=tf.float32)),
            ("static_bidirectional_rnn",
             lambda m: m.static_bidirectional_rnn(cell, cell, x2, dtype=tf.float32)),
        ]
        for name, call in cases:
            want = _message(lambda: call(v1.nn))
            got = _message(lambda: call(rnn))
            assert got == want, name


def test_error_texts_spec():
    """Texts quoted by spec §2.2, §2.3 (eager mode)."""
    cell = tfshare.BasicLSTMCell(2)
    kind, msg = _message(lambda: rnn.static_rnn(cell, [X[:, 0]]))
    assert (kind, msg) == (ValueError,
                           "If no initial_state is provided, argument `dtype` must be specified")
    kind, msg = _message(lambda: rnn.dynamic_rnn(cell, X[:, 0], dtype=tf.float32,
                                                 time_major=True))
    assert (kind, msg) == (ValueError, "Shape (4, 3) must have rank at least 3")
    kind, msg = _message(lambda: rnn.dynamic_rnn(cell, X, sequence_length=[[1], [2], [3], [4]],
                                                 dtype=tf.float32))
    assert kind is ValueError
    assert msg.startswith("Argument sequence_length must be a vector of length batch_size. "
                          "Received sequence_length=")
    assert msg.endswith("of shape: (4, 1)")
    kind, msg = _message(lambda: rnn.static_rnn(cell, list(tf.unstack(X, axis=1)),
                                                sequence_length=[[1], [2], [3], [4]],
                                                dtype=tf.float32))
    assert kind is ValueError
    assert msg.startswith("Argument `sequence_length` must be a vector of length 4. Received")
    kind, msg = _message(lambda: rnn.dynamic_rnn(object(), X, dtype=tf.float32))
    assert kind is TypeError and msg.startswith("The argument 'cell' (<object object at")
    assert msg.endswith("is not an RNNCell: 'output_size' property is missing, 'state_size' "
                        "property is missing, either 'zero_state' or 'get_initial_state' method "
                        "is required, is not callable.")


def test_unknown_depth_error_graph_mode():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, None, None])
        kind, msg = _message(lambda: rnn.dynamic_rnn(tfshare.GRUCell(2), x, dtype=tf.float32))
        assert kind is ValueError
        assert msg.startswith("Input size (depth of inputs) must be accessible via shape "
                              "inference, but saw value None for input=")


def test_stack_error_texts():
    """§2.7 validation messages of the contrib stack functions."""
    c = [tfshare.GRUCell(2)]
    x_list = list(tf.unstack(X, axis=1))
    for fn, inputs in ((rnn.stack_bidirectional_rnn, x_list),
                       (rnn.stack_bidirectional_dynamic_rnn, X)):
        cases = [
            (([], c), {}, "Must specify at least one fw cell for BidirectionalRNN."),
            ((c, []), {}, "Must specify at least one bw cell for BidirectionalRNN."),
            ((c[0], c), {}, "cells_fw must be a list of RNNCells (one per layer)."),
            ((c, c[0]), {}, "cells_bw must be a list of RNNCells (one per layer)."),
            ((c, c + c), {}, "Forward and Backward cells must have the same depth."),
            ((c, c), {"initial_states_fw": [None, None]},
             "initial_states_fw must be a list of state tensors (one per layer)."),
            ((c, c), {"initial_states_bw": "s"},
             "initial_states_bw must be a list of state tensors (one per layer)."),
        ]
        for (fw, bw), kw, text in cases:
            got = _message(lambda: fn(fw, bw, inputs, dtype=tf.float32, **kw))
            assert got == (ValueError, text)


# --------------------------------------------------------------------------- duck cells
@pytest.mark.parametrize("mode", ["graph", "eager", "function"])
def test_tf11_style_duck_cell_all_modes(mode):
    """A cell whose __call__ calls get_variable works in dynamic_rnn and static_rnn.

    The drivers set their scope to reuse after step 0 (static_rnn as in TF1;
    dynamic_rnn after its first step), so one variable set is created, and the
    numbers follow the numpy derivation with TF1's sequence_length rule.
    """
    names_expected = ["rnn/tiny_cell/kernel:0", "rnn/tiny_cell/bias:0",
                      "st/tiny_cell/kernel:0", "st/tiny_cell/bias:0"]

    def build():
        y, s = rnn.dynamic_rnn(TinyCell(3), X, sequence_length=SEQ, dtype=tf.float32)
        ys, ss = rnn.static_rnn(TinyCell(3), list(tf.unstack(X, axis=1)), sequence_length=SEQ,
                                dtype=tf.float32, scope="st")
        return y, s, tf.stack(ys, 1), ss

    if mode == "graph":
        with tf.Graph().as_default():
            out = build()
            variables = v1.global_variables()
            with v1.Session() as sess:
                sess.run([v.assign(_weight(v.op.name.split("/", 1)[1], v.shape.as_list()))
                          for v in variables])
                out = sess.run(out)
    else:
        tfshare.reset_default_graph()
        fn = build if mode == "eager" else tf.function(build)
        fn()
        variables = tfshare.global_variables()
        for v in variables:
            v.assign(_weight(v.name[:-2].split("/", 1)[1], v.shape.as_list()))
        with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
            out = [np.asarray(t) for t in fn()]
        assert [v.name for v in tfshare.global_variables()] == names_expected
    assert [v.name for v in variables] == names_expected
    want_y, want_s = _numpy_tiny(X, _weight("tiny_cell/kernel", [6, 3]),
                                 _weight("tiny_cell/bias", [3]), SEQ)
    for got_y, got_s in ((out[0], out[1]), (out[2], out[3])):
        np.testing.assert_allclose(got_y, want_y, atol=1e-6)
        np.testing.assert_allclose(got_s, want_s, atol=1e-6)
    assert not out[0][1].any() and not out[0][2, 2:].any()  # exactly zero past each length


def test_nested_inputs_outputs_match_stock_tf():
    """Nested inputs/outputs/state, time_major, sequence_length: equal to TF core's drivers."""
    x = RNG.uniform(-0.5, 0.5, (4, 5, 3)).astype("float32")
    y = RNG.uniform(-0.5, 0.5, (4, 5, 2)).astype("float32")
    seq = np.array([5, 0, 3, 1], np.int32)
    with tf.Graph().as_default():
        results = []
        for mod in (v1.nn, rnn):
            cell = NestedCell()
            a = mod.dynamic_rnn(cell, (x, y), sequence_length=seq, dtype=tf.float32)
            b = mod.dynamic_rnn(cell, (tf.constant(np.transpose(x, [1, 0, 2])),
                                       tf.constant(np.transpose(y, [1, 0, 2]))),
                                dtype=tf.float32, time_major=True)
            c = mod.static_rnn(cell, [(tf.constant(x[:, t]), tf.constant(y[:, t]))
                                      for t in range(5)], sequence_length=seq,
                               dtype=tf.float32)
            results.append((a, b, c))
        with v1.Session() as sess:
            want, got = sess.run(results)
    tf.nest.assert_same_structure(want, got)
    for w, g in zip(tf.nest.flatten(want), tf.nest.flatten(got)):
        np.testing.assert_allclose(g, w, atol=1e-6)


@pytest.mark.parametrize("cell_cls", ["LSTMCell", "GRUCell"])
def test_tfshare_cells_in_stock_drivers_match(cell_cls):
    """Stock TF's graph-mode drivers accept tfshare cells (§0.2): same numbers as tfshare's.

    Stock drivers open TF's own scopes (invisible to tfshare cells), so weights
    are paired by creation order; tfshare's names are checked exactly.
    """
    def make():
        if cell_cls == "LSTMCell":
            return tfshare.LSTMCell(3, use_peepholes=True)
        return tfshare.GRUCell(3)

    def build(mod):
        return (mod.dynamic_rnn(make(), x, sequence_length=SEQ, dtype=tf.float32),
                mod.bidirectional_dynamic_rnn(make(), make(), x, sequence_length=SEQ % 7,
                                              dtype=tf.float32),
                mod.static_rnn(make(), tf.unstack(x, axis=1), sequence_length=SEQ,
                               dtype=tf.float32, scope="st"))

    with tf.Graph().as_default():
        x = tf.constant(X)
        with tfshare.variable_scope("stock"):
            want = build(v1.nn)
        with tfshare.variable_scope("mine"):
            got = build(rnn)
        stock = [v for v in v1.global_variables() if v.op.name.startswith("stock/")]
        mine = [v for v in v1.global_variables() if v.op.name.startswith("mine/")]
        assert [v.shape.as_list() for v in stock] == [v.shape.as_list() for v in mine]
        with v1.Session() as sess:
            for i, (a, b) in enumerate(zip(stock, mine)):
                value = _weight(str(i), a.shape.as_list())
                sess.run([a.assign(value), b.assign(value)])
            want, got = sess.run((want, got))
    paths = _cell_paths(cell_cls)
    assert [v.op.name for v in mine] == (
        ["mine/rnn/" + p for p in paths]
        + ["mine/bidirectional_rnn/fw/" + p for p in paths]
        + ["mine/bidirectional_rnn/bw/" + p for p in paths]
        + ["mine/st/" + p for p in paths])
    for w, g in zip(tf.nest.flatten(want), tf.nest.flatten(got)):
        np.testing.assert_allclose(g, w, atol=1e-6)


def _cell_paths(cell_cls):
    if cell_cls == "LSTMCell":
        return ["lstm_cell/kernel", "lstm_cell/bias", "lstm_cell/w_f_diag", "lstm_cell/w_i_diag",
                "lstm_cell/w_o_diag"]
    return ["gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel",
            "gru_cell/candidate/bias"]


# --------------------------------------------------------------------------- loop, shapes
def test_eager_drivers_compile_their_loops():
    """Eager mode: the cell's Python __call__ runs a bounded number of times, not per step.

    Call 1 runs eagerly (step 0 creates the variables, the loop body is traced
    once); call 2 traces the whole driver as one tf.function (step 0 + loop
    body); later calls with the same shapes do not call the cell at all.
    """
    tfshare.reset_default_graph()
    x = RNG.uniform(-0.5, 0.5, (2, 30, 3)).astype("float32")
    cell = TinyCell(3)
    y1, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert cell.calls == 2
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        y2, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
        assert cell.calls == 4
        y3, _ = rnn.dynamic_rnn(cell, x * 2, dtype=tf.float32, parallel_iterations=1,
                                swap_memory=True)
        assert cell.calls == 4
    np.testing.assert_allclose(np.asarray(y2), np.asarray(y1), atol=1e-6)
    want, _ = _numpy_tiny(x * 2, np.asarray(tfshare.global_variables()[0]),
                          np.asarray(tfshare.global_variables()[1]), None)
    np.testing.assert_allclose(np.asarray(y3), want, atol=1e-6)
    assert len(tfshare.global_variables()) == 2

    cell = TinyCell(2)
    xs = list(tf.unstack(x, axis=1))
    rnn.static_rnn(cell, xs, dtype=tf.float32, scope="st")
    assert cell.calls == 30
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        rnn.static_rnn(cell, xs, dtype=tf.float32, scope="st")
        rnn.static_rnn(cell, xs, dtype=tf.float32, scope="st")
    assert cell.calls == 60  # one trace, then no Python step at all


def test_static_shapes_unknown_batch_and_time_graph_mode():
    """Static shapes as TF core's: unknown batch/time stay None; runs with feeds."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, None, 3])
        seq = v1.placeholder(tf.int32, [None])
        with tfshare.variable_scope("a"):
            y, s = rnn.dynamic_rnn(tfshare.BasicLSTMCell(2), x, sequence_length=seq,
                                   dtype=tf.float32)
        with tfshare.variable_scope("b"):
            ys, ss = v1.nn.dynamic_rnn(tfshare.BasicLSTMCell(2), x, sequence_length=seq,
                                       dtype=tf.float32)
        assert y.shape.as_list() == ys.shape.as_list() == [None, None, 2]
        assert s.c.shape.as_list() == ss.c.shape.as_list() == [None, 2]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            out = sess.run(y, {x: X, seq: [6, 0, 2, 9]})
    assert out.shape == (4, 6, 2) and not out[1].any() and not out[2, 2:].any()


# --------------------------------------------------------------------------- linear
def test_linear_names_values_and_sharing():
    tfshare.reset_default_graph()
    a = RNG.uniform(-0.5, 0.5, (2, 3)).astype("float32")
    b = RNG.uniform(-0.5, 0.5, (2, 2)).astype("float32")
    with tfshare.variable_scope("lin"):
        y = rnn.linear([a, b], 4, True)
    with tfshare.variable_scope("old"):
        z = rnn.linear(a, 2, True, bias_start=0.25, legacy_names=True)
    names = [v.name for v in tfshare.global_variables()]
    assert names == ["lin/kernel:0", "lin/bias:0", "old/Linear/Matrix:0", "old/Linear/Bias:0"]
    k, bias, m, mb = tfshare.global_variables()
    assert k.shape == (5, 4) and bias.shape == (4,) and m.shape == (3, 2)
    np.testing.assert_allclose(np.asarray(y), np.concatenate([a, b], 1) @ np.asarray(k),
                               atol=1e-6)  # bias starts at zero
    np.testing.assert_allclose(np.asarray(z), a @ np.asarray(m) + 0.25, atol=1e-6)
    with tfshare.variable_scope("lin"):
        with pytest.raises(ValueError, match="Variable lin/kernel already exists"):
            rnn.linear([a, b], 4, True)
    with tfshare.variable_scope("lin", reuse=True):
        y2 = rnn.linear([a, b], 4, True)
    np.testing.assert_array_equal(np.asarray(y2), np.asarray(y))


def test_linear_scope_initializer_and_errors():
    """TF1 testLinear: constant(1.0) scope initializer, [[1, 2]] -> [[3, 3]] (bias ignores it)."""
    tfshare.reset_default_graph()
    with tfshare.variable_scope("root", initializer=tf.constant_initializer(1.0)):
        y = rnn.linear([tf.constant([[1.0]]), tf.constant([[2.0]])], 2, True)
    np.testing.assert_array_equal(np.asarray(y), [[3.0, 3.0]])
    assert _message(lambda: rnn.linear([], 2, True)) == (ValueError, "`args` must be specified")
    kind, msg = _message(lambda: rnn.linear(tf.zeros([2]), 2, True))
    assert (kind, msg) == (ValueError, "linear is expecting 2D arguments: [TensorShape([2])]")
    with tf.Graph().as_default():
        kind, msg = _message(lambda: rnn.linear(v1.placeholder(tf.float32, [2, None]), 2, True))
    assert (kind, msg) == (ValueError,
                           "linear expects shape[1] to be provided for shape (2, None), "
                           "but saw None")


@pytest.mark.parametrize("fast", [False, True], ids=["exact_path", "fast_path"])
def test_gradients_match_stock_tf_and_eager(fast):
    """Gradients through dynamic_rnn (graph: vs TF core's driver; eager tape: same numbers)."""
    from tfshare import fastpath

    previous = fastpath.set_fast_path_options(enabled=fast)
    try:
        _check_gradients()
    finally:
        fastpath.set_fast_path_options(**previous)


def _check_gradients():
    def weights_for(variables):
        return [_weight(str(i), v.shape.as_list()) for i, v in enumerate(variables)]

    with tf.Graph().as_default():
        x = tf.constant(X)
        with tfshare.variable_scope("stock"):
            ys, _ = v1.nn.dynamic_rnn(tfshare.LSTMCell(3, num_proj=2), x, sequence_length=SEQ,
                                      dtype=tf.float32)
        with tfshare.variable_scope("mine"):
            ym, _ = rnn.dynamic_rnn(tfshare.LSTMCell(3, num_proj=2), x, sequence_length=SEQ,
                                    dtype=tf.float32)
        stock = [v for v in v1.global_variables() if v.op.name.startswith("stock/")]
        mine = [v for v in v1.global_variables() if v.op.name.startswith("mine/")]
        loss_s = tf.reduce_sum(ys * tf.constant(X[:, :, :2]))
        loss_m = tf.reduce_sum(ym * tf.constant(X[:, :, :2]))
        grads = (tf.gradients(loss_s, stock + [x]), tf.gradients(loss_m, mine + [x]))
        with v1.Session() as sess:
            for a, b, w in zip(stock, mine, weights_for(stock)):
                sess.run([a.assign(w), b.assign(w)])
            g_stock, g_mine = sess.run(grads)
    for a, b in zip(g_stock, g_mine):
        np.testing.assert_allclose(b, a, atol=1e-5)

    tfshare.reset_default_graph()
    cell = tfshare.LSTMCell(3, num_proj=2)
    rnn.dynamic_rnn(cell, X, sequence_length=SEQ, dtype=tf.float32)
    variables = tfshare.global_variables()
    for v, w in zip(variables, weights_for(variables)):
        v.assign(w)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, _ = rnn.dynamic_rnn(cell, x, sequence_length=SEQ, dtype=tf.float32)
        loss = tf.reduce_sum(y * X[:, :, :2])
    g_eager = tape.gradient(loss, variables + [x])
    for a, b in zip(g_stock, g_eager):
        np.testing.assert_allclose(np.asarray(b), a, atol=1e-5)


def test_single_step_and_lengths_above_time_bidirectional():
    """T = 1 (no loop) equals stock TF; lengths > T act as T in the bidirectional drivers."""
    with tf.Graph().as_default():
        x1 = tf.constant(X[:, :1])
        with tfshare.variable_scope("stock"):
            want = v1.nn.dynamic_rnn(tfshare.GRUCell(2), x1, sequence_length=[1, 0, 1, 0],
                                     dtype=tf.float32)
        with tfshare.variable_scope("mine"):
            got = rnn.dynamic_rnn(tfshare.GRUCell(2), x1, sequence_length=[1, 0, 1, 0],
                                  dtype=tf.float32)
        with v1.Session() as sess:
            variables = v1.global_variables()
            half = len(variables) // 2
            for i, (a, b) in enumerate(zip(variables[:half], variables[half:])):
                w = _weight(str(i), a.shape.as_list())
                sess.run([a.assign(w), b.assign(w)])
            want, got = sess.run((want, got))
    for w, g in zip(tf.nest.flatten(want), tf.nest.flatten(got)):
        np.testing.assert_allclose(g, w, atol=1e-6)

    tfshare.reset_default_graph()
    fw, bw = TinyCell(2), TinyCell(3)
    clipped = np.minimum(SEQ, X.shape[1])
    a = rnn.bidirectional_dynamic_rnn(fw, bw, X, sequence_length=SEQ, dtype=tf.float32)
    b = rnn.static_bidirectional_rnn(fw, bw, list(tf.unstack(X, axis=1)), sequence_length=SEQ,
                                     dtype=tf.float32, scope="s")
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        a2 = rnn.bidirectional_dynamic_rnn(fw, bw, X, sequence_length=clipped, dtype=tf.float32)
        b2 = rnn.static_bidirectional_rnn(fw, bw, list(tf.unstack(X, axis=1)),
                                          sequence_length=clipped, dtype=tf.float32, scope="s")
    for u, v in zip(tf.nest.flatten((a, b)), tf.nest.flatten((a2, b2))):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), atol=1e-6)
