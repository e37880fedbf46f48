"""The dynamic_rnn fast path (tfshare.fastpath) against a straightforward reference.

The reference is the TF1 math written the obvious way, one step at a time, with
``concat([x, h])·K`` (docs/cells.md §4), differentiated by TensorFlow's autodiff.
The fast path (hoisted input projection, hand-written backward pass, masks) must
give the same outputs, final states and gradients to 1e-5.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfshare import fastpath

RNG = np.random.default_rng(1234)
B, T, I, U = 3, 6, 4, 5
LENGTHS = np.array([6, 2, 0], np.int32)  # full, partial, empty


def _u(*shape, scale=0.5):
    return tf.constant(RNG.uniform(-scale, scale, shape).astype(np.float32))


def _ref_lstm(x, kernel, bias, c, h, *, forget_bias, seq=None, peep=None, cell_clip=None,
              proj=None, proj_clip=None):
    outs = []
    for t in range(x.shape[0]):
        z = tf.matmul(tf.concat([x[t], h], 1), kernel) + bias
        i, j, f, o = tf.split(z, 4, 1)
        if peep is not None:
            wi, wf, wo = peep
            cn = tf.sigmoid(f + forget_bias + wf * c) * c + tf.sigmoid(i + wi * c) * tf.tanh(j)
        else:
            cn = tf.sigmoid(f + forget_bias) * c + tf.sigmoid(i) * tf.tanh(j)
        if cell_clip is not None:
            cn = tf.clip_by_value(cn, -cell_clip, cell_clip)
        o = tf.sigmoid(o + peep[2] * cn) if peep is not None else tf.sigmoid(o)
        m = o * tf.tanh(cn)
        if proj is not None:
            m = tf.matmul(m, proj)
            if proj_clip is not None:
                m = tf.clip_by_value(m, -proj_clip, proj_clip)
        if seq is not None:
            mk = (t < seq)[:, None]
            outs.append(tf.where(mk, m, tf.zeros_like(m)))
            c, h = tf.where(mk, cn, c), tf.where(mk, m, h)
        else:
            outs.append(m)
            c, h = cn, m
    return tf.stack(outs), c, h


def _ref_gru(x, gk, gb, ck, cb, h, seq=None):
    outs = []
    for t in range(x.shape[0]):
        r, u = tf.split(tf.sigmoid(tf.matmul(tf.concat([x[t], h], 1), gk) + gb), 2, 1)
        c = tf.tanh(tf.matmul(tf.concat([x[t], r * h], 1), ck) + cb)
        hn = u * h + (1 - u) * c
        if seq is not None:
            mk = (t < seq)[:, None]
            outs.append(tf.where(mk, hn, tf.zeros_like(hn)))
            h = tf.where(mk, hn, h)
        else:
            outs.append(hn)
            h = hn
    return tf.stack(outs), h


def _grads(fn, args):
    """Values of fn(*args) and gradients of an asymmetric loss w.r.t. every arg."""
    args = [tf.Variable(a) for a in args]
    with tf.GradientTape() as tape:
        outs = fn(*args)
        # distinct weights per output element so every output's gradient matters
        loss = sum(tf.reduce_sum(o * tf.cast(tf.reshape(tf.range(tf.size(o)), o.shape) % 7 + 1,
                                             o.dtype) * 0.1) for o in outs)
    return [o.numpy() for o in outs], [g.numpy() for g in tape.gradient(loss, args)]


def _compare(fast, ref, args):
    fo, fg = _grads(fast, args)
    ro, rg = _grads(ref, args)
    assert len(fo) == len(ro)
    for a, b in zip(fo, ro, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(fg, rg, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    # the test data exercise every output and gradient
    assert all(np.abs(g).max() > 1e-3 for g in rg)
    return max(float(np.abs(a - b).max()) for a, b in zip(fo + fg, ro + rg, strict=True))


LSTM_CONFIGS = [
    dict(forget_bias=1.0),
    dict(forget_bias=0.3, peep=True),
    dict(forget_bias=1.0, peep=True, cell_clip=0.2),
    dict(forget_bias=0.5, proj=3),
    dict(forget_bias=0.7, cell_clip=0.2, proj=3, proj_clip=0.15),  # clips without peepholes
    dict(forget_bias=1.0, peep=True, cell_clip=0.25, proj=3, proj_clip=0.1),
]


LSTM_CASES = ([(cfg, seq, False) for cfg in LSTM_CONFIGS for seq in (False, True)]
              + [(LSTM_CONFIGS[0], True, True), (LSTM_CONFIGS[-1], True, True)])  # XLA: 2 cases


@pytest.mark.parametrize("cfg,use_seq,jit", LSTM_CASES,
                         ids=lambda v: "-".join(f"{k}{w}" for k, w in v.items()) if isinstance(v, dict) else str(v))
def test_lstm_matches_reference(cfg, use_seq, jit):
    h_dim = cfg.get("proj") or U
    x, k, b = _u(T, B, I), _u(I + h_dim, 4 * U), _u(4 * U, scale=0.3)
    c0, h0 = _u(B, U), _u(B, h_dim)
    args = [x, k, b, c0, h0]
    if cfg.get("peep"):
        args += [_u(U), _u(U), _u(U)]
    if cfg.get("proj"):
        args += [_u(U, h_dim)]
    seq = tf.constant(LENGTHS) if use_seq else None
    fb, clip, pclip = cfg["forget_bias"], cfg.get("cell_clip"), cfg.get("proj_clip")
    peep = cfg.get("peep")
    proj = cfg.get("proj")

    def split(rest):
        p = tuple(rest[:3]) if peep else None
        pk = rest[3 if peep else 0] if proj else None
        return p, pk

    def fast(x, k, b, c0, h0, *rest):
        p, pk = split(rest)
        kw = dict(w_i_diag=p[0], w_f_diag=p[1], w_o_diag=p[2]) if p else {}
        return fastpath.lstm_sequence(x, k, b, c0, h0, forget_bias=fb, sequence_length=seq,
                                      cell_clip=clip, proj_kernel=pk, proj_clip=pclip,
                                      jit_compile=jit, **kw)

    def ref(x, k, b, c0, h0, *rest):
        p, pk = split(rest)
        return _ref_lstm(x, k, b, c0, h0, forget_bias=fb, seq=seq, peep=p, cell_clip=clip,
                         proj=pk, proj_clip=pclip)

    _compare(fast, ref, args)


@pytest.mark.parametrize("use_seq,jit", [(False, False), (True, False), (True, True)])
def test_gru_matches_reference(use_seq, jit):
    args = [_u(T, B, I), _u(I + U, 2 * U), _u(2 * U, scale=0.3), _u(I + U, U), _u(U, scale=0.3),
            _u(B, U)]
    seq = tf.constant(LENGTHS) if use_seq else None
    _compare(lambda *a: fastpath.gru_sequence(*a, sequence_length=seq, jit_compile=jit),
             lambda *a: _ref_gru(*a, seq=seq), args)


def test_sequence_length_semantics():
    """Zero outputs past the length, frozen state, length 0 returns the initial state."""
    x, k, b, c0, h0 = _u(T, B, I), _u(I + U, 4 * U), _u(4 * U), _u(B, U), _u(B, U)
    y, c, h = fastpath.lstm_sequence(x, k, b, c0, h0, sequence_length=tf.constant(LENGTHS))
    y = y.numpy()
    assert np.all(y[2:, 1] == 0) and np.all(y[:, 2] == 0) and np.all(y[:2, 1] != 0)
    np.testing.assert_array_equal(h.numpy()[1], y[1, 1])
    np.testing.assert_array_equal(h.numpy()[0], y[-1, 0])
    np.testing.assert_array_equal(c.numpy()[2], c0.numpy()[2])
    np.testing.assert_array_equal(h.numpy()[2], h0.numpy()[2])


def test_graph_mode_gradients():
    """Works in a v1 graph (tf.gradients through the tf.function call)."""
    xv, kv, bv, cv, hv = (a.numpy() for a in (_u(T, B, I), _u(I + U, 4 * U), _u(4 * U),
                                              _u(B, U), _u(B, U)))
    g = tf.Graph()
    with g.as_default():
        x, k, b, c0, h0 = (tf.constant(a) for a in (xv, kv, bv, cv, hv))
        y, c, h = fastpath.lstm_sequence(x, k, b, c0, h0, sequence_length=tf.constant(LENGTHS))
        yr, cr, hr = _ref_lstm(x, k, b, c0, h0, forget_bias=1.0, seq=tf.constant(LENGTHS))
        gf = tf.compat.v1.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(c), [x, k, b, c0, h0])
        gr = tf.compat.v1.gradients(tf.reduce_sum(yr * yr) + tf.reduce_sum(cr), [x, k, b, c0, h0])
        with tf.compat.v1.Session(graph=g) as sess:
            a, r = sess.run([[y, c, h] + gf, [yr, cr, hr] + gr])
    for u, v in zip(a, r, strict=True):
        np.testing.assert_allclose(u, v, atol=1e-5, rtol=1e-5)


def test_options_validate():
    with pytest.raises(TypeError, match="jit_compile"):
        fastpath.set_fast_path_options(jit_compile="yes")
    prev = fastpath.set_fast_path_options(jit_compile=True)
    try:
        assert fastpath.get_fast_path_options()["jit_compile"] is True
    finally:
        fastpath.set_fast_path_options(**prev)


# --- fast_dynamic_rnn with the tfshare cells, against tfshare's exact dynamic_rnn ---------

import tfshare  # noqa: E402

CELLS = {
    "basic_lstm": lambda: tfshare.BasicLSTMCell(U, forget_bias=0.7),
    "lstm_peep_clip_proj": lambda: tfshare.LSTMCell(U, use_peepholes=True, cell_clip=0.3,
                                                    num_proj=3, proj_clip=0.2, forget_bias=0.4,
                                                    initializer=tf.keras.initializers.RandomUniform(-0.6, 0.6, seed=3)),
    "lstm_concat_state": lambda: tfshare.LSTMCell(U, state_is_tuple=False),
    "gru": lambda: tfshare.GRUCell(U, bias_initializer=tf.keras.initializers.RandomUniform(-0.5, 0.5, seed=4)),
    "multi": lambda: tfshare.MultiRNNCell([
        tfshare.LSTMCell(U, num_proj=3, use_peepholes=True),
        tfshare.MultiRNNCell([tfshare.GRUCell(U), tfshare.BasicLSTMCell(2)])]),
    "multi_same_cell_twice": lambda: (lambda c: tfshare.MultiRNNCell([c, c]))(tfshare.GRUCell(I)),
}


@pytest.mark.parametrize("use_seq", [False, True])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_fast_dynamic_rnn_matches_exact_driver(name, use_seq):
    tfshare.reset_default_graph()
    cell = CELLS[name]()
    x = tf.Variable(_u(B, T, I))
    seq = tf.constant(LENGTHS) if use_seq else None
    prev = fastpath.set_fast_path_options(enabled=False)
    try:
        with tf.GradientTape() as tape:
            ye, se = tfshare.dynamic_rnn(cell, x, sequence_length=seq, dtype=tf.float32)
            le = tf.reduce_sum(ye * ye) + sum(tf.reduce_sum(s * 0.3) for s in tf.nest.flatten(se))
    finally:
        fastpath.set_fast_path_options(**prev)
    weights = list(cell.weights)
    assert weights
    with tf.GradientTape() as tape2:
        with tfshare.variable_scope("rnn"):
            x_tm = tf.transpose(x, [1, 0, 2])
            s0 = cell.zero_state(B, tf.float32)
            res = fastpath.fast_dynamic_rnn(cell, x_tm, s0, seq)
        assert res is not None
        yf = tf.transpose(res[0], [1, 0, 2])
        sf = res[1]
        lf = tf.reduce_sum(yf * yf) + sum(tf.reduce_sum(s * 0.3) for s in tf.nest.flatten(sf))
    assert [v.name for v in cell.weights] == [v.name for v in weights]  # no new variables
    assert type(sf) is type(se)
    np.testing.assert_allclose(yf.numpy(), ye.numpy(), atol=1e-5)
    for a, b in zip(tf.nest.flatten(sf), tf.nest.flatten(se), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    ge = tape.gradient(le, [x] + weights)
    gf = tape2.gradient(lf, [x] + weights)
    for a, b in zip(gf, ge, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, rtol=1e-5)


def test_fast_dynamic_rnn_creates_tf1_variables_and_declines_others():
    tfshare.reset_default_graph()
    cell = tfshare.GRUCell(U)
    with tfshare.variable_scope("rnn"):
        res = fastpath.fast_dynamic_rnn(cell, _u(T, B, I), tf.zeros([B, U]))
    assert res is not None and res[0].shape == (T, B, U)
    assert [v.name for v in cell.weights] == ["rnn/gru_cell/gates/kernel:0", "rnn/gru_cell/gates/bias:0",
                                              "rnn/gru_cell/candidate/kernel:0",
                                              "rnn/gru_cell/candidate/bias:0"]
    # not applicable: other cells, other activations, disabled
    assert fastpath.fast_dynamic_rnn(tfshare.BasicRNNCell(U), _u(T, B, I), tf.zeros([B, U])) is None
    relu = tfshare.GRUCell(U, activation="relu")
    assert fastpath.fast_dynamic_rnn(relu, _u(T, B, I), tf.zeros([B, U])) is None
    prev = fastpath.set_fast_path_options(enabled=False)
    try:
        assert fastpath.fast_dynamic_rnn(tfshare.GRUCell(U), _u(T, B, I), tf.zeros([B, U])) is None
    finally:
        fastpath.set_fast_path_options(**prev)


def test_benchmark_script_smoke():
    """benchmarks/bench_rnn.py --quick on a tiny shape prints its table."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = os.path.join(root, "benchmarks", "bench_rnn.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, script, "--quick", "--shapes", "2x3x2x4", "--cells", "lstm", "--seq", "yes",
         "--rows", "keras,fast,bound", "--no-eager"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "# machine:" in out and "cores=" in out and "tensorflow=" in out
    assert "| row" in out and "f+b/keras" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("| ")]
    rows = {ln.split("|")[1].strip(): ln for ln in lines}
    for row in ("keras", "fast", "bound"):
        assert row in rows, out
        values = [float(v) for v in rows[row].split("|")[2:-1]]
        assert len(values) == 6 and all(v > 0 for v in values)
    # ratios to Keras in the keras row are exactly 1
    assert rows["keras"].split("|")[3].strip() == "1.00"
    proc = subprocess.run(
        [sys.executable, script, "--profile", "--quick", "--shapes", "2x3x2x4", "--cells", "gru"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("| gru |")]
    assert len(row.split("|")) == 9 and "(100%)" in row  # 5 columns; fused is 100 %


def test_relaxed_retrace_keeps_depth_and_static_shapes():
    """reduce_retracing generalizes shapes; the depth split must stay right."""
    for depth, batch, steps in ((4, 3, 6), (3, 2, 5), (7, 4, 2), (2, 5, 3)):
        x, k, b = _u(steps, batch, depth), _u(depth + U, 4 * U), _u(4 * U)
        c0, h0 = _u(batch, U), _u(batch, U)
        y, c, h = fastpath.lstm_sequence(x, k, b, c0, h0)
        yr, cr, hr = _ref_lstm(x, k, b, c0, h0, forget_bias=1.0)
        np.testing.assert_allclose(y.numpy(), yr.numpy(), atol=1e-5)
        gk, gb, gck, gcb = _u(depth + U, 2 * U), _u(2 * U), _u(depth + U, U), _u(U)
        yg, hg = fastpath.gru_sequence(x, gk, gb, gck, gcb, h0)
        np.testing.assert_allclose(yg.numpy(), _ref_gru(x, gk, gb, gck, gcb, h0)[0].numpy(), atol=1e-5)

    @tf.function
    def graph_fn(x, k, b, c0, h0):
        y, c, h = fastpath.lstm_sequence(x, k, b, c0, h0)
        assert y.shape.as_list() == [6, 3, U] and c.shape.as_list() == [3, U]
        return y

    graph_fn(_u(6, 3, 4), _u(4 + U, 4 * U), _u(4 * U), _u(3, U), _u(3, U))


@pytest.mark.parametrize("name", ["lstm_peep_clip_proj", "gru"])
def test_fast_static_rnn_matches_the_unrolled_driver(name):
    """``fast_static_rnn`` (the hook for ``static_rnn``) gives the unrolled loop's
    outputs, state, gradients and variables, and leaves the scope reusing."""
    tfshare.reset_default_graph()
    cell = CELLS[name]()
    x = tf.Variable(_u(B, T, I))
    seq = tf.constant(LENGTHS)

    def loss_of(outputs, state):
        return (sum(tf.reduce_sum(o * o) for o in outputs)
                + sum(tf.reduce_sum(s * 0.3) for s in tf.nest.flatten(state)))

    with tf.GradientTape() as tape:
        ye, se = tfshare.static_rnn(cell, tf.unstack(x, axis=1), sequence_length=seq,
                                    dtype=tf.float32)
        le = loss_of(ye, se)
    weights = list(cell.weights)
    with tf.GradientTape() as tape2:
        with tfshare.variable_scope("rnn") as scope:
            res = fastpath.fast_static_rnn(cell, tf.unstack(x, axis=1), cell.zero_state(B, tf.float32),
                                           seq)
            assert scope.reuse
        assert res is not None
        yf, sf = res
        lf = loss_of(yf, sf)
    assert [v.name for v in cell.weights] == [v.name for v in weights]
    assert len(yf) == len(ye) == T and type(sf) is type(se)
    for a, b in zip(yf + tf.nest.flatten(sf), ye + tf.nest.flatten(se), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    for a, b in zip(tape2.gradient(lf, [x] + weights), tape.gradient(le, [x] + weights),
                    strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, rtol=1e-5)
    assert fastpath.fast_static_rnn(tfshare.BasicRNNCell(U), tf.unstack(x, axis=1),
                                    tf.zeros([B, U])) is None


def test_variables_of_other_shapes_reuse_no_wrong_trace():
    """One compiled loop serves variables of several shapes (relaxed retracing):
    each call still computes with its own weights' shapes."""
    for steps, batch, depth, units in [(6, 1, 3, 4), (6, 4, 3, 4), (5, 4, 3, 3), (5, 4, 3, 4)]:
        x = _u(steps, batch, depth)
        weights = [tf.Variable(_u(depth + units, 2 * units)), tf.Variable(_u(2 * units)),
                   tf.Variable(_u(depth + units, units)), tf.Variable(_u(units))]
        h0 = tf.Variable(_u(batch, units))
        y, h = fastpath.gru_sequence(x, *weights, h0)
        yr, hr = _ref_gru(x, *[tf.convert_to_tensor(w) for w in weights], tf.convert_to_tensor(h0))
        np.testing.assert_allclose(y.numpy(), yr.numpy(), atol=1e-5)
        np.testing.assert_allclose(h.numpy(), hr.numpy(), atol=1e-5)

