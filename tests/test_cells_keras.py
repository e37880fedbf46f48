"""The tfshare cells as Keras 3 layers: RNN / Bidirectional / functional /
Sequential models, fit, serialization, .keras round trips, shared instances,
MirroredStrategy, and the cell contract (states, TF1 vs Keras conventions,
wrapper semantics of docs/cells.md §1, §4)."""
from __future__ import annotations

import hashlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare

RNG = np.random.default_rng(1234)
X = RNG.uniform(-0.5, 0.5, (16, 5, 3)).astype(np.float32)
Y = (X[:, :, 0].sum(1, keepdims=True) - 0.5 * X[:, -1, 1:2]).astype(np.float32)

# Constructors for the configurations used across the tests (input depth 3).
MAKERS = {
    "basic_rnn": lambda: tfshare.BasicRNNCell(4, activation="relu"),
    "basic_lstm_flat": lambda: tfshare.BasicLSTMCell(4, forget_bias=0.5, state_is_tuple=False),
    "lstm_full": lambda: tfshare.LSTMCell(5, use_peepholes=True, cell_clip=1.5, num_proj=3,
                                          proj_clip=0.8, forget_bias=0.7,
                                          initializer=keras.initializers.RandomUniform(-0.3, 0.3)),
    "gru": lambda: tfshare.GRUCell(4, kernel_initializer="glorot_normal",
                                   bias_initializer=keras.initializers.Constant(0.2)),
    "multi_wrapped": lambda: tfshare.MultiRNNCell([
        tfshare.DropoutWrapper(tfshare.GRUCell(3), output_keep_prob=0.8, seed=3),
        tfshare.ResidualWrapper(tfshare.BasicLSTMCell(3)),
        tfshare.DeviceWrapper(tfshare.LSTMCell(2, num_proj=2), "/cpu:0")]),
    "multi_flat": lambda: tfshare.MultiRNNCell(
        [tfshare.LSTMCell(3, state_is_tuple=False), tfshare.GRUCell(2)], state_is_tuple=False),
    "dropout_variational": lambda: tfshare.DropoutWrapper(
        tfshare.LSTMCell(4), input_keep_prob=0.9, state_keep_prob=0.8, output_keep_prob=0.7,
        variational_recurrent=True, input_size=3, dtype=tf.float32, seed=7),
}


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def _model(cell, **rnn_kwargs):
    inp = keras.Input((5, 3))
    h = keras.layers.RNN(cell, name="rnn", **rnn_kwargs)(inp)
    return keras.Model(inp, keras.layers.Dense(1, name="head")(h))


# --------------------------------------------------------------------------
# fit / models


@pytest.mark.parametrize("name", ["lstm_full", "multi_wrapped"])
def test_fit_reduces_loss(name):
    model = _model(MAKERS[name]())
    model.compile(keras.optimizers.Adam(0.02), "mse")
    before = model.evaluate(X, Y, verbose=0)
    model.fit(X, Y, epochs=8, batch_size=16, verbose=0)
    after = model.evaluate(X, Y, verbose=0)
    assert after < 0.9 * before, (before, after)


def test_sequential_and_functional_agree():
    """One set of weights in three independent paths: a Sequential model, a functional
    model built from new layer objects, and the bare cell stepped by hand."""
    def make():
        return tfshare.LSTMCell(4, use_peepholes=True, num_proj=2)

    seq = keras.Sequential([keras.Input((5, 3)), keras.layers.RNN(make(), return_sequences=True)])
    inp = keras.Input((5, 3))
    fn_rnn = keras.layers.RNN(make(), return_sequences=True)
    fn = keras.Model(inp, fn_rnn(inp))
    assert fn_rnn is not seq.layers[0] and fn_rnn.cell is not seq.layers[0].cell
    rng = np.random.default_rng(7)
    values = [rng.uniform(-0.6, 0.6, tuple(w.shape)).astype(np.float32) for w in seq.weights]
    seq.set_weights(values)
    fn.set_weights(values)
    a, b = seq.predict(X, verbose=0), fn.predict(X, verbose=0)
    assert a.shape == (16, 5, 2)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)

    cell = make()
    state = tfshare.LSTMStateTuple(tf.zeros((16, 4)), tf.zeros((16, 2)))
    cell(tf.constant(X[:, 0]), state)
    cell.set_weights(values)
    steps = []
    for t in range(X.shape[1]):
        out, state = cell(tf.constant(X[:, t]), state)
        steps.append(np.asarray(out))
    np.testing.assert_allclose(np.stack(steps, 1), a, rtol=0, atol=1e-6)
    assert np.abs(a[:, 0] - a[:, -1]).max() > 1e-2  # the steps differ: not a constant


def test_bidirectional_backward_half_is_reversed_forward():
    bi = keras.layers.Bidirectional(keras.layers.RNN(tfshare.GRUCell(4)))
    out = np.asarray(bi(X))
    assert out.shape == (16, 8)
    fw, bw = bi.forward_layer, bi.backward_layer
    assert [w.path for w in bw.weights][0].endswith("backward_rnn/gru_cell/gates/kernel")
    np.testing.assert_allclose(out[:, :4], np.asarray(fw(X)), atol=1e-6)
    # backward half == a forward RNN with the backward weights on the reversed sequence
    rev = keras.layers.RNN(tfshare.GRUCell(4))
    rev.build((None, 5, 3))
    rev.set_weights(bw.get_weights())
    np.testing.assert_allclose(out[:, 4:], np.asarray(rev(X[:, ::-1])), atol=1e-6)
    assert not np.allclose(out[:, :4], out[:, 4:])


def test_shared_instance_shares_weights():
    cell = tfshare.LSTMCell(4, num_proj=2)
    r1 = keras.layers.RNN(cell, name="r1")
    r2 = keras.layers.RNN(cell, name="r2")
    inp = keras.Input((5, 3))
    model = keras.Model(inp, [r1(inp), r2(inp)])
    assert len(model.weights) == 3  # kernel, bias, projection/kernel: once
    assert [w.path for w in model.weights] == ["r1/lstm_cell/kernel", "r1/lstm_cell/bias",
                                               "r1/lstm_cell/projection/kernel"]
    a, b = model.predict(X, verbose=0)
    np.testing.assert_array_equal(a, b)
    model.compile("adam", ["mse", "mse"])
    before = np.asarray(cell.weights[0]).copy()
    model.fit(X, [Y[:, :1].repeat(2, 1), Y[:, :1].repeat(2, 1)], epochs=1, verbose=0)
    assert not np.allclose(before, np.asarray(cell.weights[0]))
    a, b = model.predict(X, verbose=0)
    np.testing.assert_array_equal(a, b)


def test_mirrored_strategy_fit(mirrored_strategy):
    strategy = mirrored_strategy
    with strategy.scope():
        model = _model(tfshare.MultiRNNCell([tfshare.LSTMCell(4, use_peepholes=True),
                                             tfshare.GRUCell(3)]))
        model.compile(keras.optimizers.Adam(0.03), "mse")
    assert strategy.num_replicas_in_sync == 2
    kernel = model.get_layer("rnn").weights[0]
    assert kernel.path == "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"
    before_w = np.asarray(kernel).copy()
    hist = model.fit(X, Y, epochs=4, batch_size=16, verbose=0)
    loss = hist.history["loss"]
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0]
    assert not np.allclose(before_w, np.asarray(kernel))


# --------------------------------------------------------------------------
# serialization


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_get_config_round_trip(name):
    cell = MAKERS[name]()
    config = cell.get_config()
    clone = type(cell).from_config(config)
    assert clone.get_config() == config
    assert clone.state_size == cell.state_size and clone.output_size == cell.output_size
    via_keras = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(cell))
    assert type(via_keras) is type(cell) and via_keras.get_config() == config
    for c in (cell, clone):
        c.build((None, 3))
    assert [(w.path, tuple(w.shape)) for w in clone.weights] == \
           [(w.path.replace(cell.name, clone.name, 1), tuple(w.shape)) for w in cell.weights]


@pytest.mark.parametrize("name", ["lstm_full", "multi_wrapped", "multi_flat",
                                  "dropout_variational"])
def test_keras_file_round_trip(name, tmp_path):
    model = _model(MAKERS[name](), return_sequences=False)
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)  # weights differ from any fresh initialization
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the loaded model keeps training
    loaded.fit(X, Y, epochs=1, verbose=0)


# --------------------------------------------------------------------------
# one implementation, two conventions


def _copy_weights_by_tf1_name(src_layer, dst_vars):
    """Assign Keras weights (path .../<cell>/<local>) to TF1-mode variables."""
    by_tail = {w.path.split("/", 1)[1]: np.asarray(w) for w in src_layer.weights}
    for v in dst_vars:
        v.assign(by_tail[v.name.split(":")[0].split("/", 1)[1]])


@pytest.mark.parametrize("name", ["basic_rnn", "basic_lstm_flat", "lstm_full", "gru", "multi_flat"])
def test_keras_rnn_equals_tf1_mode_step_loop(name):
    """A keras.layers.RNN (list states) and a TF1-mode Python loop (TF1 states)
    over the same weights give the same outputs and final state."""
    keras_rnn = keras.layers.RNN(MAKERS[name](), return_sequences=True, return_state=True)
    k_out, *k_state = keras_rnn(X)
    tfshare.reset_default_graph()
    cell = MAKERS[name]()
    state = cell.zero_state(16, tf.float32)
    outs = []
    with tfshare.variable_scope("rnn"):
        for t in range(5):
            out, state = cell(X[:, t], state)
            outs.append(out)
            if t == 0:
                _copy_weights_by_tf1_name(keras_rnn, cell.weights)
                state = cell.zero_state(16, tf.float32)
                out, state = cell(X[:, t], state)
                outs[0] = out
    np.testing.assert_allclose(np.stack(outs, 1), np.asarray(k_out), atol=2e-6)
    np.testing.assert_allclose(np.concatenate([np.asarray(s) for s in tf.nest.flatten(state)], 1),
                               np.concatenate([np.asarray(s) for s in tf.nest.flatten(k_state)], 1),
                               atol=2e-6)


def test_state_conventions():
    cell = tfshare.LSTMCell(3, num_proj=2)
    x = X[:, 0]
    zero = cell.zero_state(16, tf.float32)
    assert isinstance(zero, tfshare.LSTMStateTuple) and zero.c.shape == (16, 3)
    assert zero.h.shape == (16, 2)
    out, st = cell(x, zero)
    assert isinstance(st, tfshare.LSTMStateTuple)
    out2, st2 = cell(x, [zero.c, zero.h])  # Keras' list convention
    assert isinstance(st2, list) and len(st2) == 2
    np.testing.assert_array_equal(np.asarray(out), np.asarray(out2))
    np.testing.assert_array_equal(np.asarray(st.c), np.asarray(st2[0]))
    init = cell.get_initial_state(batch_size=4)  # Keras' call
    assert isinstance(init, tfshare.LSTMStateTuple) and init.c.dtype == tf.float32
    init = cell.get_initial_state(inputs=tf.zeros((7, 3), tf.float64))
    assert init.h.shape == (7, 2) and init.h.dtype == tf.float64
    assert cell.get_initial_state(batch_size=2, dtype=tf.float16).c.dtype == tf.float16


def test_zero_state_graph_names_and_dynamic_batch():
    with tf.Graph().as_default():
        batch = tf.compat.v1.placeholder(tf.int32, [])
        st = tfshare.LSTMCell(3).zero_state(batch, tf.float32)
        assert st.c.shape.as_list() == [None, 3]
        assert st.c.name.startswith("LSTMCellZeroState/")
        w = tfshare.DropoutWrapper(tfshare.GRUCell(2)).zero_state(2, tf.float32)
        assert w.name.startswith("DropoutWrapperZeroState/GRUCellZeroState/")
        m = tfshare.MultiRNNCell([tfshare.GRUCell(2), tfshare.BasicLSTMCell(1)])
        ms = m.zero_state(2, tf.float32)
        assert isinstance(ms, tuple) and isinstance(ms[1], tfshare.LSTMStateTuple)
        assert ms[0].name.startswith("MultiRNNCellZeroState/")


def test_float64_in_tf1_mode():
    tfshare.reset_default_graph()
    cell = tfshare.LSTMCell(3)
    with tfshare.variable_scope("root"):
        out, st = cell(X[:, 0].astype(np.float64), cell.zero_state(16, tf.float64))
    assert out.dtype == tf.float64 and st.c.dtype == tf.float64
    assert {v.dtype for v in cell.weights} == {tf.float64} or \
           {tf.as_dtype(v.dtype) for v in cell.weights} == {tf.float64}


# --------------------------------------------------------------------------
# wrappers (docs/cells.md §4)


def _lstm_pair(**dropout_kwargs):
    """An LSTM and a DropoutWrapper around the same instance (shared weights)."""
    cell = tfshare.LSTMCell(6)
    return cell, tfshare.DropoutWrapper(cell, **dropout_kwargs)


def test_residual_adds_inputs():
    inner = tfshare.GRUCell(3)
    w = tfshare.ResidualWrapper(inner)
    x = X[:, 0]
    h = inner.zero_state(16, tf.float32) + 0.1
    out, st = w(x, h)
    ref, ref_st = inner(x, h)
    np.testing.assert_allclose(np.asarray(out), x + np.asarray(ref), atol=1e-7)
    np.testing.assert_array_equal(np.asarray(st), np.asarray(ref_st))
    w2 = tfshare.ResidualWrapper(inner, residual_fn=lambda i, o: i - o)
    out2, _ = w2(x, h)
    np.testing.assert_allclose(np.asarray(out2), x - np.asarray(ref), atol=1e-7)


def test_device_wrapper_places_ops():
    with tf.Graph().as_default():
        w = tfshare.DeviceWrapper(tfshare.GRUCell(2), "/cpu:0")
        x = tf.constant(X[:, 0])
        with tfshare.variable_scope("root"):
            out, _ = w(x, w.zero_state(16, tf.float32))
        assert "CPU:0" in out.device.upper()
        assert w.device == "/cpu:0"


def test_dropout_keep_one_is_identity_and_adds_no_op():
    cell, w = _lstm_pair()
    st = cell.zero_state(16, tf.float32)
    a, sa = cell(X[:, 0], st)
    b, sb = w(X[:, 0], st)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for keep, expect_ops in ((1.0, False), (0.5, True)):
        with tf.Graph().as_default():
            cell, w = _lstm_pair(output_keep_prob=keep, state_keep_prob=1.0)
            with tfshare.variable_scope("root"):
                w(tf.constant(X[:, 0]), w.zero_state(16, tf.float32))
            ops = [op.name for op in tf.compat.v1.get_default_graph().get_operations()
                   if "ZeroState" not in op.name]
            assert any("dropout" in n.lower() for n in ops) == expect_ops


def test_state_dropout_never_drops_c_and_scales_h():
    cell, w = _lstm_pair(state_keep_prob=0.5)
    st = tfshare.LSTMStateTuple(tf.fill((16, 6), 0.3), tf.fill((16, 6), -0.2))
    ref_out, ref = cell(X[:, 0], st)
    out, new = w(X[:, 0], st)
    np.testing.assert_array_equal(np.asarray(new.c), np.asarray(ref.c))  # c untouched
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref_out))  # no output dropout
    h, rh = np.asarray(new.h), np.asarray(ref.h)
    dropped = h == 0
    assert 0.2 < dropped.mean() < 0.8
    np.testing.assert_allclose(h[~dropped], rh[~dropped] / 0.5, rtol=1e-6)


def test_custom_state_filter():
    cell, w = _lstm_pair(state_keep_prob=0.5,
                         dropout_state_filter_visitor=lambda s: (
                             tfshare.LSTMStateTuple(c=True, h=False)
                             if isinstance(s, tfshare.LSTMStateTuple) else True))
    st = tfshare.LSTMStateTuple(tf.fill((16, 6), 0.3), tf.fill((16, 6), -0.2))
    _, ref = cell(X[:, 0], st)
    _, new = w(X[:, 0], st)
    np.testing.assert_array_equal(np.asarray(new.h), np.asarray(ref.h))
    assert 0.2 < (np.asarray(new.c) == 0).mean() < 0.8


def test_variational_mask_shared_over_time_and_batch():
    cell, w = _lstm_pair(output_keep_prob=0.5, state_keep_prob=0.5, variational_recurrent=True,
                         dtype=tf.float32, seed=5)
    st = cell.zero_state(16, tf.float32)
    masks = []
    for t in range(4):
        out, st = w(X[:, t], st)
        masks.append(np.asarray(out) == 0)
    first = masks[0]
    assert first.shape == (16, 6)
    assert np.all(first == first[:1])  # same mask for every batch entry
    for m in masks[1:]:
        np.testing.assert_array_equal(m, first)  # and every step
    assert 0 < first[0].sum() < 6
    h = np.asarray(st.h)
    assert np.all((h == 0) == (h[:1] == 0)) and 0 < (h[0] == 0).sum() < 6


def test_variational_values_scaled_by_keep():
    cell, w = _lstm_pair(output_keep_prob=0.25, variational_recurrent=True, dtype=tf.float32)
    st = cell.zero_state(16, tf.float32)
    ref, _ = cell(X[:, 0], st)
    out, _ = w(X[:, 0], st)
    out, ref = np.asarray(out), np.asarray(ref)
    kept = out != 0
    np.testing.assert_allclose(out[kept], ref[kept] / 0.25, rtol=1e-6)


def test_dropout_respects_keras_training_flag():
    keras.utils.set_random_seed(3)
    w = tfshare.DropoutWrapper(tfshare.GRUCell(8), output_keep_prob=0.5)
    layer = keras.layers.RNN(w, return_sequences=True)
    infer = np.asarray(layer(X, training=False))
    assert not np.any(infer == 0)
    np.testing.assert_array_equal(infer, np.asarray(layer(X)))  # RNN's default: inference
    train = np.asarray(layer(X, training=True))
    assert 0.2 < (train == 0).mean() < 0.8


def test_dropout_seed_formula_and_graph_determinism():
    """Per-tensor seeds follow md5(str(seed) + "<prefix>_<i>") (TF1,
    docs/cells.md §4): two wrappers with one seed draw the same masks in a graph."""
    seed = 77
    want = int(hashlib.md5(f"{seed}output_0".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF
    assert tfshare.DropoutWrapper(tfshare.GRUCell(2), seed=seed)._gen_seed("output", 0) == want
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        x = tf.constant(X[:, 0])
        outs = []
        for k in range(2):
            inner = tfshare.GRUCell(4)
            w = tfshare.DropoutWrapper(inner, output_keep_prob=0.5, seed=seed)
            with tfshare.variable_scope(f"r{k}", initializer=tf.compat.v1.constant_initializer(0.3)):
                out, _ = w(x, w.zero_state(16, tf.float32))
            outs.append(out)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b = sess.run(outs)
    np.testing.assert_array_equal(a == 0, b == 0)
    assert 0 < (a == 0).mean() < 1
