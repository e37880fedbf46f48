"""``tfshare.RNN`` against ``keras.layers.RNN`` over the same cell and weights.

Outputs, final states and gradients (weights and inputs) must agree to 1e-5 for
every option of the layer (sequences, states, ``go_backwards``, masks with holes,
``zero_output_for_mask``, ``stateful``, ``time_major``), in ``fit`` (Keras
compiles the train step with XLA), through a ``.keras`` file; and the fused fast
path must actually run for the cells that declare a fused spec (and not for the
others, which take Keras' loop).
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare import fastpath

RNG = np.random.default_rng(11)
B, T, D = 4, 6, 3
X = RNG.uniform(-1, 1, (B, T, D)).astype(np.float32)
#: holes, leading masked steps, a fully masked row, a full row
MASK = np.array([[1, 1, 0, 1, 1, 0], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], [1] * 6], bool)

FUSED = {
    "basic_lstm": lambda: tfshare.BasicLSTMCell(4, forget_bias=0.6),
    "basic_lstm_concat": lambda: tfshare.BasicLSTMCell(3, state_is_tuple=False),
    "lstm_full": lambda: tfshare.LSTMCell(5, use_peepholes=True, cell_clip=0.4, num_proj=3,
                                          proj_clip=0.3, forget_bias=0.2),
    "gru": lambda: tfshare.GRUCell(4),
    "multi": lambda: tfshare.MultiRNNCell([tfshare.LSTMCell(3, num_proj=2), tfshare.GRUCell(4),
                                           tfshare.BasicLSTMCell(2)]),
}
NOT_FUSED = {
    "multi_wrapped": lambda: tfshare.MultiRNNCell([tfshare.LSTMCell(3),
                                                   tfshare.ResidualWrapper(tfshare.GRUCell(3))]),
    "multi_concat": lambda: tfshare.MultiRNNCell([tfshare.GRUCell(2), tfshare.GRUCell(3)],
                                                 state_is_tuple=False),
    "relu_gru": lambda: tfshare.GRUCell(4, activation="relu"),
    "basic_rnn": lambda: tfshare.BasicRNNCell(4),
}
OPTIONS = {
    "last": {},
    "sequences_states": {"return_sequences": True, "return_state": True},
    "backwards": {"go_backwards": True, "return_sequences": True, "return_state": True},
    "zero_output_for_mask": {"zero_output_for_mask": True, "return_sequences": True},
}


def _pair(make, build_x=X[:1], **options):
    """A keras.layers.RNN and a tfshare.RNN over new cells, with equal weights."""
    keras.utils.set_random_seed(5)
    reference = keras.layers.RNN(make(), **options)
    layer = tfshare.RNN(make(), **options)
    reference(build_x)
    layer(build_x)
    weights = reference.get_weights()
    # asymmetric, non-saturating weights (biases too: a wrong gate order shows)
    layer.set_weights([RNG.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in weights])
    reference.set_weights(layer.get_weights())
    return reference, layer


@pytest.fixture
def fused_runs(monkeypatch):
    """The cells ``tfshare.fastpath.run_fused`` ran (it returned a result) after
    the test's layers were built."""
    runs = []
    real = fastpath.run_fused

    def spy(cell, *args, **kwargs):
        result = real(cell, *args, **kwargs)
        if result is not None:
            runs.append(cell)
        return result

    monkeypatch.setattr(fastpath, "run_fused", spy)
    return runs


def _run(layer, x, mask):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = tf.nest.flatten(layer(x, mask=mask))
        # distinct weights per output element, so that every output's gradient counts
        loss = sum(tf.reduce_sum(o * tf.cast(tf.reshape(tf.range(tf.size(o)) % 5 + 1,
                                                        tf.shape(o)), o.dtype)) for o in out)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    return [np.asarray(o) for o in out], [np.asarray(g) for g in grads]


def _assert_same(a, b, atol=1e-5):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, atol=atol, rtol=1e-5)


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused_equals_keras_rnn(name, option, masked, fused_runs):
    reference, layer = _pair(FUSED[name], **OPTIONS[option])
    fused_runs.clear()
    mask = MASK if masked else None
    ref_out, ref_grads = _run(reference, X, mask)
    out, grads = _run(layer, X, mask)
    _assert_same(out, ref_out)
    _assert_same(grads, ref_grads)
    assert all(np.abs(g).max() > 0 for g in ref_grads[1:])  # every weight matters
    assert fused_runs and all(c is layer.cell for c in fused_runs)


@pytest.mark.parametrize("name", sorted(NOT_FUSED))
def test_other_cells_take_keras_loop(name, fused_runs):
    reference, layer = _pair(NOT_FUSED[name], return_sequences=True)
    fused_runs.clear()
    _assert_same(_run(layer, X, MASK)[0], _run(reference, X, MASK)[0])
    assert fused_runs == []


@pytest.mark.parametrize("how", ["unroll", "disabled"])
def test_unroll_and_disabled_fast_path_take_keras_loop(how, fused_runs):
    reference, layer = _pair(FUSED["lstm_full"], return_sequences=True,
                             unroll=how == "unroll")
    fused_runs.clear()
    previous = fastpath.set_fast_path_options(enabled=how != "disabled")
    try:
        out = _run(layer, X, None)[0]
    finally:
        fastpath.set_fast_path_options(**previous)
    _assert_same(out, _run(reference, X, None)[0])
    assert fused_runs == []


def test_weight_paths_are_tf1_names():
    keras.backend.clear_session()
    layer = tfshare.RNN(tfshare.BasicLSTMCell(4), name="rnn")
    layer(X)
    assert [w.path for w in layer.weights] == ["rnn/basic_lstm_cell/kernel",
                                               "rnn/basic_lstm_cell/bias"]


def test_stateful_carries_the_state_across_calls(fused_runs):
    reference, layer = _pair(FUSED["lstm_full"], build_x=X[:, :3], stateful=True,
                             return_state=True)
    for lay in (reference, layer):
        lay.reset_states()
    fused_runs.clear()
    for start in (0, 3):
        part = X[:, start:start + 3]
        _assert_same(tf.nest.flatten(layer(part)), tf.nest.flatten(reference(part)))
    assert len(fused_runs) == 2
    _assert_same([np.asarray(v) for v in layer.states], [np.asarray(v) for v in reference.states])
    assert np.abs(np.asarray(layer.states[0])).max() > 0
    layer.reset_states()
    assert np.abs(np.asarray(layer.states[0])).max() == 0


def test_time_major_equals_batch_major():
    _, layer = _pair(FUSED["gru"], return_sequences=True, return_state=True)
    keras.utils.set_random_seed(5)
    tm = tfshare.RNN(FUSED["gru"](), return_sequences=True, return_state=True, time_major=True)
    tm(np.transpose(X[:1], [1, 0, 2]))
    tm.set_weights(layer.get_weights())
    out, state = tm(np.transpose(X, [1, 0, 2]))
    want_out, want_state = layer(X)
    assert out.shape == (T, B, 4)
    _assert_same([np.transpose(out, [1, 0, 2]), state], [want_out, want_state])
    assert tm.compute_output_shape((T, None, D))[0] == (T, None, 4)
    assert tfshare.RNN.from_config(tm.get_config()).time_major is True


def _model(layer_cls, cell):
    inputs = keras.Input((T, D))
    h = layer_cls(cell, return_sequences=True, name="rnn")(keras.layers.Masking(0.0)(inputs))
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(h[:, -1]))


def test_fit_trains_as_keras_rnn(fused_runs):
    """Same initial weights, same data, same optimizer: the same trained weights
    (``fit`` compiles its step with XLA: the fused loop runs inside it)."""
    x = X.copy()
    x[0, 4:] = 0.0  # masked by Masking
    y = (x[:, :, 0].sum(1, keepdims=True) * 0.3).astype(np.float32)
    models = []
    for layer_cls in (keras.layers.RNN, tfshare.RNN):
        keras.utils.set_random_seed(9)
        model = _model(layer_cls, tfshare.LSTMCell(4, use_peepholes=True, num_proj=3))
        model.compile(keras.optimizers.SGD(0.1), "mse")
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    before = [np.asarray(w).copy() for w in models[1].weights]
    for model in models:
        model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    _assert_same([np.asarray(w) for w in models[1].weights],
                 [np.asarray(w) for w in models[0].weights], atol=2e-5)
    assert any(np.abs(np.asarray(w) - b).max() > 1e-3
               for w, b in zip(models[1].weights, before, strict=True))
    assert fused_runs


def test_keras_file_round_trip(tmp_path):
    keras.utils.set_random_seed(3)
    model = _model(tfshare.RNN, tfshare.GRUCell(4))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.get_layer("rnn")) is tfshare.RNN
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
