"""tfshare.rnn: error texts, duck-typed and Keras 3 cells, unknown shapes, zero steps.

Every case runs under every TF1 setup (``setup_runs.SETUPS``: eager, graph,
``disable_v2_behavior``, and each switch alone), in each of its modes that the
setup allows (``graph`` via ``tf.Graph()``, ``eager``, ``function``): one
process per setup runs them all, ``test_case`` reports each one. Second
oracles: stock TF's graph-mode ``tf.compat.v1.nn`` drivers (they accept
duck-typed cells and raise the TF1 error texts), plain Python unrolls of the
same cell, and independent numpy derivations.
"""
from __future__ import annotations

import os
from functools import partial

import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare import rnn
from test_rnn_oracle import TF115_DRIVERS
from setup_runs import Cases

v1 = tf.compat.v1
nest = tf.nest
RNG = np.random.RandomState(7)
X = RNG.uniform(-0.5, 0.5, (4, 6, 3)).astype("float32")
SEQ = np.array([6, 0, 2, 9], np.int32)

CASES = Cases("test_rnn_api:run_cases")
run_cases = CASES.run


def _weight(name, shape):
    rng = np.random.RandomState(sum(map(ord, name)) % 1000)
    return rng.uniform(-0.5, 0.5, shape).astype("float32")


def _var_name(v):
    return v.name.split(":")[0]


def evaluate(mode, build, weight=None):
    """Build ``build()`` in ``mode``; return ``(variable names, numpy results)``.

    Graph: a new ``tf.Graph`` and a Session. Eager / function: a first call
    creates the variables, a second call (reusing them) gives the results.
    ``weight(name, shape)`` sets every variable by name first.
    """
    if mode == "graph":
        with tf.Graph().as_default():
            out = build()
            variables = v1.global_variables()
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                for v in variables if weight else ():
                    v.load(weight(_var_name(v), v.shape.as_list()), sess)
                return [v.name for v in variables], sess.run(out)
    tfshare.reset_default_graph()
    fn = build if mode == "eager" else tf.function(build, autograph=False)
    fn()
    variables = tfshare.global_variables()
    for v in variables if weight else ():
        v.assign(weight(_var_name(v), v.shape.as_list()))
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        out = fn()
    assert [v.name for v in tfshare.global_variables()] == [v.name for v in variables]
    return [v.name for v in variables], nest.map_structure(
        lambda t: t if isinstance(t, tf.TensorArray) else np.asarray(t), out)


def graph_or_eager(mode):
    """A context for a case that only builds (no run): a new graph, or nothing."""
    import contextlib

    return tf.Graph().as_default() if mode == "graph" else contextlib.nullcontext()


def assert_close(got, want, atol=1e-6):
    got_flat, want_flat = nest.flatten(got), nest.flatten(want)
    assert len(got_flat) == len(want_flat), (len(got_flat), len(want_flat))
    for g, w in zip(got_flat, want_flat, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=atol)


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
        depth = tf.compat.dimension_value(inputs.shape[-1])
        with tfshare.variable_scope(scope or "tiny_cell"):
            k = tfshare.get_variable("kernel", [depth + self.units, self.units])
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


class TensorArrayCell:
    """State ``(count, TensorArray)``: the cell writes each input into the array."""

    output_size = 1
    state_size = (tf.TensorShape([]), ())

    def zero_state(self, batch_size, dtype):
        return (tf.zeros([], tf.int32), tf.TensorArray(dtype, size=0, dynamic_size=True))

    def __call__(self, inputs, state, scope=None):
        return inputs, (state[0] + 1, state[1].write(state[0], inputs))


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


def _masked_reference(step_outputs, step_states, initial, seq):
    """The TF1 sequence_length rule applied in numpy to a plain unroll's results."""
    steps = len(step_outputs)
    outs = np.stack(step_outputs, 1).copy()
    final = [np.array(s) for s in nest.flatten(initial)]
    for b, length in enumerate(seq):
        outs[b, min(length, steps):] = 0.0
        if length > 0:
            for i, leaf in enumerate(nest.flatten(step_states[min(length, steps) - 1])):
                final[i][b] = leaf[b]
    return outs, final


# --------------------------------------------------------------------------- errors
def _message(fn):
    try:
        fn()
    except (TypeError, ValueError) as e:  # noqa: PERF203
        return type(e), str(e)
    raise AssertionError("no error raised")


@CASES.case("graph")
def error_texts_equal_stock_tf(mode):
    """Driver errors (docs/tf1-behaviour.md §2): same type and text as TF core's drivers on the same arguments."""
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


@CASES.case("graph", "eager")
def error_texts_spec(mode):
    """The drivers' error texts (docs/tf1-behaviour.md §2)."""
    with graph_or_eager(mode):
        cell = tfshare.BasicLSTMCell(2)
        x = tf.constant(X)
        kind, msg = _message(lambda: rnn.static_rnn(cell, [x[:, 0]]))
        assert (kind, msg) == (
            ValueError, "If no initial_state is provided, argument `dtype` must be specified")
        kind, msg = _message(lambda: rnn.dynamic_rnn(cell, x[:, 0], dtype=tf.float32,
                                                     time_major=True))
        assert kind is ValueError and msg.startswith("Shape (4, 3) must have rank at least 3")
        kind, msg = _message(lambda: rnn.dynamic_rnn(
            cell, x, sequence_length=[[1], [2], [3], [4]], dtype=tf.float32))
        assert kind is ValueError
        assert msg.startswith("Argument sequence_length must be a vector of length batch_size. "
                              "Received sequence_length=")
        assert msg.endswith("of shape: (4, 1)")
        kind, msg = _message(lambda: rnn.static_rnn(cell, list(tf.unstack(x, axis=1)),
                                                    sequence_length=[[1], [2], [3], [4]],
                                                    dtype=tf.float32))
        assert kind is ValueError
        assert msg.startswith("Argument `sequence_length` must be a vector of length 4. Received")
        kind, msg = _message(lambda: rnn.dynamic_rnn(object(), x, dtype=tf.float32))
        assert kind is TypeError and msg.startswith("The argument 'cell' (<object object at")
        assert msg.endswith("is not an RNNCell: 'output_size' property is missing, 'state_size' "
                            "property is missing, either 'zero_state' or 'get_initial_state' "
                            "method is required, is not callable.")


@CASES.case("graph", "eager")
def bad_inputs_name_the_argument(mode):
    """Bad arguments TF 1.15 accepted silently or failed on obscurely: a clear error
    naming the argument and the value, raised before anything is created."""
    with graph_or_eager(mode):
        cell = tfshare.GRUCell(2)
        x = tf.constant(X)
        kind, msg = _message(lambda: rnn.dynamic_rnn(cell, x, sequence_length=["a"] * 4,
                                                     dtype=tf.float32))
        assert kind is TypeError and msg.startswith(
            "Argument `sequence_length` must hold integers. Received: sequence_length=")
        kind, msg = _message(lambda: rnn.dynamic_rnn(cell, x, sequence_length=[1, 2, 3],
                                                     dtype=tf.float32))
        assert (kind, msg.split(" Received")[0]) == (
            ValueError, "Argument `sequence_length` must be a vector of length 4 (the batch size).")
        assert "(3,)" in msg
        kind, msg = _message(lambda: rnn.dynamic_rnn(cell, x, dtype="not a dtype"))
        assert kind is TypeError and "not a dtype" in msg
        assert tfshare.global_variables() == [] if mode == "eager" else v1.global_variables() == []


@CASES.case("graph")
def unknown_depth_error(mode):
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, None, None])
        kind, msg = _message(lambda: rnn.dynamic_rnn(tfshare.GRUCell(2), x, dtype=tf.float32))
        assert kind is ValueError
        assert msg.startswith("Input size (depth of inputs) must be accessible via shape "
                              "inference, but saw value None for input=")
        y = v1.placeholder(tf.float32)  # unknown rank
        kind, msg = _message(lambda: rnn.dynamic_rnn(tfshare.GRUCell(2), y, dtype=tf.float32))
        assert kind is ValueError and msg.startswith("Input size (depth of inputs) must be")


@CASES.case("graph", "eager")
def stack_error_texts(mode):
    """Validation messages of the contrib stack functions (docs/tf1-behaviour.md §2)."""
    with graph_or_eager(mode):
        c = [tfshare.GRUCell(2)]
        x = tf.constant(X)
        x_list = list(tf.unstack(x, axis=1))
        for fn, inputs in ((rnn.stack_bidirectional_rnn, x_list),
                           (rnn.stack_bidirectional_dynamic_rnn, x)):
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
@CASES.case("graph", "eager", "function")
def tf11_style_duck_cell(mode):
    """A cell whose __call__ calls get_variable works in dynamic_rnn and static_rnn.

    The drivers set their scope to reuse after step 0 (static_rnn as in TF1;
    dynamic_rnn after its first step), so one variable set is created, and the
    numbers follow the numpy derivation with TF1's sequence_length rule.
    """
    def build():
        x = tf.constant(X)
        y, s = rnn.dynamic_rnn(TinyCell(3), x, sequence_length=SEQ, dtype=tf.float32)
        ys, ss = rnn.static_rnn(TinyCell(3), list(tf.unstack(x, axis=1)), sequence_length=SEQ,
                                dtype=tf.float32, scope="st")
        return y, s, tf.stack(ys, 1), ss

    names, out = evaluate(mode, build, lambda n, s: _weight(n.split("/", 1)[1], s))
    assert names == ["rnn/tiny_cell/kernel:0", "rnn/tiny_cell/bias:0",
                     "st/tiny_cell/kernel:0", "st/tiny_cell/bias:0"]
    want_y, want_s = _numpy_tiny(X, _weight("tiny_cell/kernel", [6, 3]),
                                 _weight("tiny_cell/bias", [3]), SEQ)
    assert_close(out, (want_y, want_s, want_y, want_s))
    assert not out[0][1].any() and not out[0][2, 2:].any()  # exactly zero past each length


@CASES.case("graph")
def nested_inputs_match_stock_tf(mode):
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
    nest.assert_same_structure(want, got)
    assert_close(got, want)


def _cell_paths(cell_cls):
    return ["lstm_cell/kernel", "lstm_cell/bias", "lstm_cell/w_f_diag", "lstm_cell/w_i_diag",
            "lstm_cell/w_o_diag"]


@CASES.case("graph")
def tfshare_cells_in_stock_drivers(mode):
    """Stock TF's graph-mode drivers accept tfshare cells (docs/tf1-behaviour.md §1): same numbers as tfshare's.

    Stock drivers open TF's own scopes (invisible to tfshare cells), so weights
    are paired by creation order; tfshare's names are checked exactly.
    """
    for cell_cls in ("LSTMCell",):
        def make():
            return tfshare.LSTMCell(3, use_peepholes=True)

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
                sess.run(v1.global_variables_initializer())
                for i, (a, b) in enumerate(zip(stock, mine, strict=True)):
                    value = _weight(str(i), a.shape.as_list())
                    a.load(value, sess)
                    b.load(value, sess)
                want, got = sess.run((want, got))
        paths = _cell_paths(cell_cls)
        assert [v.op.name for v in mine] == (
            ["mine/rnn/" + p for p in paths]
            + ["mine/bidirectional_rnn/fw/" + p for p in paths]
            + ["mine/bidirectional_rnn/bw/" + p for p in paths]
            + ["mine/st/" + p for p in paths])
        assert_close(got, want)


# --------------------------------------------------------------------------- loop, shapes
@CASES.case("eager")
def eager_calls_compile_only_the_loop(mode):
    """Eager mode: each call runs eagerly, with the time loop of dynamic_rnn compiled.

    The cell's Python ``__call__`` runs once per call for step 0, plus once
    when the loop body is traced (first call of a shape), never per step.
    ``static_rnn`` unrolls in Python (one cell call per step), as TF1 did;
    inside ``tf.function`` it is traced once.
    """
    x = RNG.uniform(-0.5, 0.5, (2, 30, 3)).astype("float32")
    cell = TinyCell(3)
    y1, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert cell.calls == 2  # step 0 + the loop body's trace
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        y2, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
        assert cell.calls == 3  # step 0 only: the compiled loop is reused
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
        assert cell.calls == 60
        fn = tf.function(lambda: rnn.static_rnn(cell, xs, dtype=tf.float32, scope="st"))
        fn()
        fn()
    assert cell.calls == 90  # one trace, then no Python step at all


@CASES.case("graph")
def static_shapes_unknown_batch_and_time(mode):
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


@CASES.case("graph")
def unknown_shape_sequence_length(mode):
    """``sequence_length`` of unknown static shape (``placeholder(tf.int64)``) in every
    driver: the same numbers as a ``[batch]`` vector; a rank or size error when run."""
    x_np = X[:, :5]
    seq_np = np.array([5, 0, 2, 3], np.int64)

    def build(seq):
        x = tf.constant(x_np)
        xs = tf.unstack(x, axis=1)
        with tfshare.variable_scope("m", reuse=v1.AUTO_REUSE):
            return (rnn.dynamic_rnn(tfshare.GRUCell(3), x, sequence_length=seq,
                                    dtype=tf.float32),
                    rnn.bidirectional_dynamic_rnn(tfshare.LSTMCell(3), TinyCell(2), x,
                                                  sequence_length=seq, dtype=tf.float32),
                    rnn.static_rnn(tfshare.BasicLSTMCell(2), xs, sequence_length=seq,
                                   dtype=tf.float32),
                    rnn.static_bidirectional_rnn(tfshare.GRUCell(2), tfshare.GRUCell(2), xs,
                                                 sequence_length=seq, dtype=tf.float32),
                    rnn.stack_bidirectional_dynamic_rnn(
                        [tfshare.GRUCell(2)], [tfshare.GRUCell(2)], x, sequence_length=seq,
                        dtype=tf.float32),
                    rnn.stack_bidirectional_rnn([tfshare.GRUCell(2)], [tfshare.GRUCell(2)], xs,
                                                sequence_length=seq, dtype=tf.float32))

    with tf.Graph().as_default():
        unknown = v1.placeholder(tf.int64)
        known = tf.constant(seq_np)
        got, want = build(unknown), build(known)
        assert got[0][0].shape.as_list() == [4, 5, 3]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            got_np, want_np = sess.run((got, want), {unknown: seq_np})
            assert_close(got_np, want_np)
            for bad in (seq_np[:3], seq_np[:, None]):
                with pytest.raises(tf.errors.InvalidArgumentError):
                    sess.run(got[0][0], {unknown: bad})


@CASES.case("graph", "eager", "function")
def zero_time_steps(mode):
    """``T = 0`` (TF 1.15's result): the variables are created, outputs have 0 steps
    and the final state is the initial state, in dynamic_rnn and
    bidirectional_dynamic_rnn."""
    x0 = np.zeros((3, 0, 2), np.float32)
    init = np.full((3, 4), 0.5, np.float32)

    def build():
        a = rnn.dynamic_rnn(tfshare.LSTMCell(4), x0, initial_state=tfshare.LSTMStateTuple(
            init, 2 * init), scope="a")
        b = rnn.bidirectional_dynamic_rnn(tfshare.GRUCell(4), tfshare.GRUCell(4), x0,
                                          initial_state_fw=init, dtype=tf.float32, scope="b")
        c = rnn.dynamic_rnn(TinyCell(4), x0, sequence_length=[0, 0, 0],
                            initial_state=init, scope="c")
        return a, b, c

    names, (a, b, c) = evaluate(mode, build)
    assert [n.split("/")[0] for n in names] == ["a"] * 2 + ["b"] * 8 + ["c"] * 2
    assert a[0].shape == (3, 0, 4) and b[0][0].shape == b[0][1].shape == (3, 0, 4)
    assert_close((a[1], b[1], c[1]), ((init, 2 * init), (init, np.zeros_like(init)), init))


def _zero_steps_fed(x0, init):
    """``T`` known only when the graph runs (a ``[None, None, D]`` placeholder fed
    ``T = 0``): outputs with 0 steps, the initial state; ``T > 0`` still runs."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, None, 2])
        s = v1.placeholder(tf.float32, [None, 4])
        y, final = rnn.dynamic_rnn(tfshare.GRUCell(4), x, initial_state=s)
        (yf, yb), (ff, fb) = rnn.bidirectional_dynamic_rnn(
            TinyCell(4), tfshare.GRUCell(4), x, initial_state_fw=s, initial_state_bw=s)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            out = sess.run((y, final, yf, yb, ff, fb), {x: x0, s: init})
            full = sess.run(y, {x: np.ones((3, 2, 2), np.float32), s: init})
    assert out[0].shape == out[2].shape == out[3].shape == (3, 0, 4)
    assert_close((out[1], out[4], out[5]), (init, init, init))
    assert full.shape == (3, 2, 4) and np.abs(full).min() > 0


@CASES.case("graph")
def zero_time_steps_fed_exact_path(mode):
    from tfshare import fastpath

    previous = fastpath.set_fast_path_options(enabled=False)
    try:
        _zero_steps_fed(np.zeros((3, 0, 2), np.float32), np.full((3, 4), 0.5, np.float32))
    finally:
        fastpath.set_fast_path_options(**previous)


_FAST_PATH_ZERO_STEPS = ("known limitation (docs/cells.md): the GRU/LSTM fast path fails on a "
                         "fed T = 0 with an unknown batch size ('Tried to stack elements of an "
                         "empty list with non-fully-defined element_shape'); with ref variables "
                         "(v1_behavior, ref_variables) the fast path does not apply")


@CASES.case("graph", xfail={s: _FAST_PATH_ZERO_STEPS
                            for s in ("eager", "graph", "v1_tensorshape", "control_flow_v1")})
def zero_time_steps_fed_fast_path(mode):
    _zero_steps_fed(np.zeros((3, 0, 2), np.float32), np.full((3, 4), 0.5, np.float32))


@CASES.case("graph", "eager", "function")
def tensor_array_in_state(mode):
    """A TensorArray in the state (TF's rnn_test): passed through the loop, also eagerly."""
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32)

    def build():
        outputs, (count, array) = rnn.dynamic_rnn(TensorArrayCell(), x, dtype=tf.float32,
                                                  sequence_length=[4])
        return outputs, count, array.stack()

    _, (outputs, count, stacked) = evaluate(mode, build)
    np.testing.assert_array_equal(outputs, x)
    assert int(count) == 4
    np.testing.assert_array_equal(stacked, x.transpose(1, 0, 2))


# --------------------------------------------------------------------------- Keras 3 cells
def _keras_cells():
    import keras

    return {
        "simple": lambda: keras.layers.SimpleRNNCell(3),
        "gru": lambda: keras.layers.GRUCell(3),
        "lstm": lambda: keras.layers.LSTMCell(3),
        "stacked": lambda: keras.layers.StackedRNNCells(
            [keras.layers.LSTMCell(4), keras.layers.SimpleRNNCell(3)]),
        "stacked_one": lambda: keras.layers.StackedRNNCells([keras.layers.SimpleRNNCell(3)]),
    }


#: (Keras cell kind, drivers) pairs: every kind and every driver, each a few times
KERAS_PAIRS = {
    "graph": [("simple", ("dynamic", "static_bidirectional", "static")),
              ("lstm", ("bidirectional_dynamic", "dynamic_time_major",
                        "stack_bidirectional_dynamic")),
              ("stacked", ("dynamic", "stack_bidirectional")),
              ("stacked_one", ("dynamic",))],
    "eager": [("lstm", ("dynamic", "static", "bidirectional_dynamic")),
              ("stacked_one", ("dynamic",))],
    "function": [("simple", ("dynamic",))],
}
#: Keras 3.15's GRUCell splits its bias by ``self.bias.shape[0]``, a ``Dimension``
#: under V1 TensorShape behaviour, and fails there even without tfshare
KERAS_GRU_V1_SHAPES = ("upstream Keras 3.15: GRUCell.call fails under "
                       "disable_v2_tensorshape() (ops.split(bias, bias.shape[0]) with a "
                       "Dimension), also outside any tfshare driver")


def _run_driver(driver, cell, bw, x, seq):
    xs = tf.unstack(x, axis=1)
    if driver == "dynamic":
        return rnn.dynamic_rnn(cell, x, sequence_length=seq, dtype=tf.float32)
    if driver == "dynamic_time_major":
        y, s = rnn.dynamic_rnn(cell, tf.transpose(x, [1, 0, 2]), dtype=tf.float32,
                               time_major=True)
        return tf.transpose(y, [1, 0, 2]), s
    if driver == "static":
        y, s = rnn.static_rnn(cell, xs, sequence_length=seq, dtype=tf.float32)
        return tf.stack(y, 1), s
    if driver == "bidirectional_dynamic":
        (y, yb), (s, sb) = rnn.bidirectional_dynamic_rnn(cell, bw, x, dtype=tf.float32)
        return tf.concat([y, yb], 2), (s, sb)
    if driver == "static_bidirectional":
        y, s, sb = rnn.static_bidirectional_rnn(cell, bw, xs, dtype=tf.float32)
        return tf.stack(y, 1), (s, sb)
    if driver == "stack_bidirectional_dynamic":
        y, s, sb = rnn.stack_bidirectional_dynamic_rnn([cell], [bw], x, dtype=tf.float32)
        return y, (s[0], sb[0])
    y, s, sb = rnn.stack_bidirectional_rnn([cell], [bw], xs, dtype=tf.float32)
    return tf.stack(y, 1), (s[0], sb[0])


def _unroll(cell, xs):
    """The reference: ``cell`` unrolled by hand from its own zero state (a new state
    is kept in the zero state's nesting, as Keras' own RNN layer does)."""
    init = cell.get_initial_state(batch_size=4)
    state, steps, states = init, [], []
    for x_t in xs:
        o, state = cell(x_t, state)
        state = nest.pack_sequence_as(init, nest.flatten(state))
        steps.append(o)
        states.append(state)
    return steps, states, init


@CASES.case("graph", "eager", "function")
def keras_cells_in_every_driver(mode):
    """Keras 3 cells (tf-keras ``legacy_rnn_test``): every driver accepts them, with the
    zero state from ``get_initial_state(batch_size)``; outputs and states equal a
    plain Python unroll of the same cells under TF1's sequence_length rule."""
    _check_keras_pairs(mode, KERAS_PAIRS[mode])


@CASES.case("graph", "eager", xfail={"v1_behavior": KERAS_GRU_V1_SHAPES,
                                     "v1_tensorshape": KERAS_GRU_V1_SHAPES})
def keras_gru_cell_in_drivers(mode):
    _check_keras_pairs(mode, [("gru", ("static", "stack_bidirectional_dynamic", "dynamic"))])


def _check_keras_pairs(mode, pairs):
    x_np = X[:, :4]
    seq = np.array([4, 0, 2, 3], np.int32)
    for kind, drivers in pairs:
        make = _keras_cells()[kind]

        def build(cell, bw):
            x = tf.constant(x_np)
            xs = tf.unstack(x, axis=1)
            out = {d: _run_driver(d, cell, bw, x, seq) for d in drivers}
            return out, (_unroll(cell, xs), _unroll(bw, xs[::-1]))

        if mode == "graph":
            with tf.Graph().as_default():
                result = build(make(), make())
                with v1.Session() as sess:
                    sess.run(v1.global_variables_initializer())
                    out, ref = sess.run(result)
        else:  # cells made outside tf.function (Keras makes seed variables in __init__)
            fn = partial(build, make(), make())
            run = tf.function(fn, autograph=False) if mode == "function" else fn
            out, ref = nest.map_structure(np.asarray, run())
        (steps, states, init), (bsteps, bstates, binit) = ref
        masked_y, masked_s = _masked_reference(steps, states, init, seq)
        full_y, full_s = _masked_reference(steps, states, init, [4] * 4)
        bw_y, bw_s = _masked_reference(bsteps, bstates, binit, [4] * 4)
        both = (np.concatenate([full_y, bw_y[:, ::-1]], 2), (full_s, bw_s))
        want = {"dynamic": (masked_y, masked_s), "static": (masked_y, masked_s),
                "dynamic_time_major": (full_y, full_s)}
        for driver in drivers:
            assert_close(out[driver], want.get(driver, both), atol=1e-5)
        if kind == "lstm" and "dynamic" in drivers:
            assert isinstance(out["dynamic"][1], list) and len(out["dynamic"][1]) == 2


@CASES.case("graph")
def keras_cells_train_in_a_session(mode):
    """tf-keras ``legacy_rnn_test``: a Keras cell in ``dynamic_rnn`` fed by a
    ``[None, T, D]`` placeholder, trained by a v1 optimizer in a Session."""
    import keras

    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 4, 3])
        target = v1.placeholder(tf.float32, [None, 5])
        cell = keras.layers.StackedRNNCells([keras.layers.LSTMCell(6), keras.layers.LSTMCell(5)])
        outputs, state = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
        assert outputs.shape.as_list() == [None, 4, 5]
        assert [s.shape.as_list() for s in nest.flatten(state)] == [[None, 6]] * 2 + [[None, 5]] * 2
        loss = tf.reduce_mean(tf.square(nest.flatten(state)[2] - target))
        train = v1.train.GradientDescentOptimizer(0.5).minimize(loss)
        assert len(v1.trainable_variables()) == 6
        feed = {x: X[:, :4], target: np.full((4, 5), 0.3, np.float32)}
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            before = sess.run(loss, feed)
            for _ in range(3):
                sess.run(train, feed)
            assert sess.run(loss, feed) < before


@CASES.case("eager")
def keras_cell_matches_keras_rnn_layer(mode):
    """tf-keras ``testKerasAndTFRNNLayerOutputComparison``: ``dynamic_rnn`` with a Keras
    cell equals ``keras.layers.RNN`` over the same cell (same weights)."""
    import keras

    for kind, make in _keras_cells().items():
        if kind == "gru":
            continue  # keras_gru_cell_in_drivers
        cell = make()
        y, s = rnn.dynamic_rnn(cell, X, dtype=tf.float32)
        layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        ky, *ks = layer(X)
        assert_close((y, s), (ky, ks), atol=1e-5)


# --------------------------------------------------------------------------- linear
@CASES.case("graph", "eager")
def linear_names_values_and_sharing(mode):
    a = RNG.uniform(-0.5, 0.5, (2, 3)).astype("float32")
    b = RNG.uniform(-0.5, 0.5, (2, 2)).astype("float32")

    def build():
        with tfshare.variable_scope("lin", reuse=v1.AUTO_REUSE):
            y = rnn.linear([a, b], 4, True)
        with tfshare.variable_scope("old", reuse=v1.AUTO_REUSE):
            z = rnn.linear(a, 2, True, bias_start=0.25, legacy_names=True)
        variables = v1.global_variables() if mode == "graph" else tfshare.global_variables()
        return y, z, variables

    names, (y, z, (k, bias, m, mb)) = evaluate(mode, build)
    tfshare.reset_default_graph()
    assert names == ["lin/kernel:0", "lin/bias:0", "old/Linear/Matrix:0", "old/Linear/Bias:0"]
    assert k.shape == (5, 4) and bias.shape == (4,) and m.shape == (3, 2)
    np.testing.assert_allclose(y, np.concatenate([a, b], 1) @ k, atol=1e-6)
    np.testing.assert_allclose(z, a @ m + 0.25, atol=1e-6)
    with graph_or_eager(mode):
        with tfshare.variable_scope("lin"):
            rnn.linear([a, b], 4, True)
            with pytest.raises(ValueError, match="Variable lin/kernel already exists"):
                rnn.linear([a, b], 4, True)


@CASES.case("graph", "eager")
def linear_scope_initializer_and_errors(mode):
    """TF1 testLinear: constant(1.0) scope initializer, [[1, 2]] -> [[3, 3]] (bias ignores it)."""
    def build():
        with tfshare.variable_scope("root", initializer=tf.constant_initializer(1.0),
                                    reuse=v1.AUTO_REUSE):
            return rnn.linear([tf.constant([[1.0]]), tf.constant([[2.0]])], 2, True)

    _, y = evaluate(mode, build)
    np.testing.assert_array_equal(y, [[3.0, 3.0]])
    with graph_or_eager(mode):
        assert _message(lambda: rnn.linear([], 2, True)) == (ValueError,
                                                             "`args` must be specified")
        kind, msg = _message(lambda: rnn.linear(tf.zeros([2]), 2, True))
        assert kind is ValueError and msg.startswith("linear is expecting 2D arguments: ")
    with tf.Graph().as_default():
        kind, msg = _message(lambda: rnn.linear(v1.placeholder(tf.float32, [2, None]), 2, True))
    assert kind is ValueError and msg.startswith("linear expects shape[1] to be provided for shape")
    assert msg.endswith("but saw None")


# --------------------------------------------------------------------------- gradients
@CASES.case("graph", "eager")
def gradients_match_stock_tf(mode):
    """Gradients through dynamic_rnn, exact and fast path: graph mode vs TF core's
    driver; the eager tape gives the same numbers."""
    from tfshare import fastpath

    previous = fastpath.get_fast_path_options()
    try:
        for fast in (False, True):
            fastpath.set_fast_path_options(enabled=fast)
            if mode == "graph" or not fast:
                stock, mine = _graph_gradients()
                want = stock
                if mode == "graph":
                    assert_close(mine, want, atol=1e-5)
            if mode == "eager":
                assert_close(_eager_gradients(), want, atol=1e-5)
    finally:
        fastpath.set_fast_path_options(**previous)


def _gradient_weights(variables):
    return [_weight(str(i), v.shape.as_list()) for i, v in enumerate(variables)]


def _graph_gradients():
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
            sess.run(v1.global_variables_initializer())
            for a, b, w in zip(stock, mine, _gradient_weights(stock), strict=True):
                a.load(w, sess)
                b.load(w, sess)
            return sess.run(grads)


def _eager_gradients():
    tfshare.reset_default_graph()
    cell = tfshare.LSTMCell(3, num_proj=2)
    rnn.dynamic_rnn(cell, X, sequence_length=SEQ, dtype=tf.float32)
    variables = tfshare.global_variables()
    for v, w in zip(variables, _gradient_weights(variables), strict=True):
        v.assign(w)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, _ = rnn.dynamic_rnn(cell, x, sequence_length=SEQ, dtype=tf.float32)
        loss = tf.reduce_sum(y * X[:, :, :2])
    return tape.gradient(loss, variables + [x])


@CASES.case("graph", "eager")
def single_step_and_lengths_above_time(mode):
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
            sess.run(v1.global_variables_initializer())
            variables = v1.global_variables()
            half = len(variables) // 2
            for i, (a, b) in enumerate(zip(variables[:half], variables[half:], strict=True)):
                w = _weight(str(i), a.shape.as_list())
                a.load(w, sess)
                b.load(w, sess)
            want, got = sess.run((want, got))
    assert_close(got, want)

    clipped = np.minimum(SEQ, X.shape[1])

    def build():
        fw, bw = TinyCell(2), TinyCell(3)
        x = tf.constant(X)
        with tfshare.variable_scope("t", reuse=v1.AUTO_REUSE):
            a = rnn.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=SEQ, dtype=tf.float32)
            b = rnn.static_bidirectional_rnn(fw, bw, list(tf.unstack(x, axis=1)),
                                             sequence_length=SEQ, dtype=tf.float32, scope="s")
            a2 = rnn.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=clipped,
                                               dtype=tf.float32)
            b2 = rnn.static_bidirectional_rnn(fw, bw, list(tf.unstack(x, axis=1)),
                                              sequence_length=clipped, dtype=tf.float32,
                                              scope="s")
        return (a, b), (a2, b2)

    _, (long, clip) = evaluate(mode, build, _weight)
    assert_close(long, clip)


# --------------------------------------------------------------------------- TF 1.15's errors
#: bad calls of every driver (``R``: the drivers, ``C``: the cells; graph mode);
#: TF 1.15 runs the same text, its messages are recorded in docs/oracles.md
ERROR_CASES = {
    "static_rnn_tensor_inputs": "R.static_rnn(C.GRUCell(2), x2, dtype=tf.float32)",
    "static_rnn_empty_inputs": "R.static_rnn(C.GRUCell(2), [], dtype=tf.float32)",
    "static_rnn_no_dtype": "R.static_rnn(C.GRUCell(2), [x2])",
    "static_rnn_not_a_cell": "R.static_rnn(object(), [x2], dtype=tf.float32)",
    "static_rnn_rank2_lengths": "R.static_rnn(C.GRUCell(2), [x2], sequence_length=[[1]] * 4, "
                                "dtype=tf.float32)",
    "dynamic_rnn_no_dtype": "R.dynamic_rnn(C.GRUCell(2), x3)",
    "dynamic_rnn_rank2_inputs": "R.dynamic_rnn(C.GRUCell(2), x2, dtype=tf.float32)",
    "dynamic_rnn_rank2_lengths": "R.dynamic_rnn(C.GRUCell(2), x3, sequence_length=[[1]] * 4, "
                                 "dtype=tf.float32)",
    "dynamic_rnn_unknown_depth": "R.dynamic_rnn(C.GRUCell(2), tf.compat.v1.placeholder("
                                 "tf.float32, [None, None, None]), dtype=tf.float32)",
    "dynamic_rnn_int_inputs": "R.dynamic_rnn(C.GRUCell(2), tf.zeros([4, 6, 3], tf.int32), "
                              "dtype=tf.int32)",
    "bidirectional_not_a_cell": "R.bidirectional_dynamic_rnn(C.GRUCell(2), object(), x3, "
                                "dtype=tf.float32)",
    "static_bidirectional_tensor": "R.static_bidirectional_rnn(C.GRUCell(2), C.GRUCell(2), x2, "
                                   "dtype=tf.float32)",
    "stack_no_fw_cells": "R.stack_bidirectional_dynamic_rnn([], [C.GRUCell(2)], x3, "
                         "dtype=tf.float32)",
    "stack_depths_differ": "R.stack_bidirectional_rnn([C.GRUCell(2)], [C.GRUCell(2)] * 2, [x2], "
                           "dtype=tf.float32)",
}
ERRORS_CODE = f"""
import re


def driver_errors(R, C):
    out = {{}}
    for name, call in sorted({ERROR_CASES!r}.items()):
        with tf.Graph().as_default():
            x2, x3 = tf.zeros([4, 3]), tf.zeros([4, 6, 3])
            try:
                eval(call)
                out[name] = None
            except Exception as e:  # the type and the first line (no object addresses)
                message = re.sub(" at 0x[0-9a-f]+", "", str(e).split("\\n")[0])
                out[name] = [type(e).__name__, message]
    return out
"""
TF115_ERRORS_CODE = ERRORS_CODE + TF115_DRIVERS + """
OUT["json:errors"] = driver_errors(R, tf.nn.rnn_cell)
"""
ERRORS_GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "programs",
                             "tf115_driver_errors")


def test_error_types_match_tf115(tmp_path_factory):
    """Every bad call raises the exception type TF 1.15 raises (the messages name the
    argument and the value, in TF 2.x's wording: docs/oracles.md)."""
    from oracle import tf115_or_golden

    want = tf115_or_golden(tmp_path_factory, "driver_errors", TF115_ERRORS_CODE,
                           ERRORS_GOLDEN)["json:errors"]
    ns = {"tf": tf}
    exec(ERRORS_CODE, ns)  # noqa: S102 (our own code, shared with TF 1.15)
    got = ns["driver_errors"](rnn, tfshare)
    assert sorted(got) == sorted(want) == sorted(ERROR_CASES)
    for name in ERROR_CASES:
        assert want[name] is not None, f"TF 1.15 accepted {name}"
        assert got[name] is not None, f"tfshare accepted {name}"
        assert got[name][0] == want[name][0], (name, got[name], want[name])


# every case above, under every setup (keep this last: it lists the cases)
@pytest.mark.parametrize("setup,name,mode", CASES.params())
def test_case(tmp_path_factory, setup, name, mode):
    outcome = CASES.outcome(tmp_path_factory, setup, name, mode)
    assert outcome == "ok", f"{name}[{mode}] under setup {setup!r}:\n{outcome}"
