"""The cell description API and the TF1 cell contract.

(a) A new cell declared with ``weight_specs`` / ``step`` / ``fused_spec`` only --
    here TF1's LSTM and GRU math with other gate orders and weight names, as the
    ``tf.contrib.rnn`` block cells have -- gets every path: TF1 names in TF1 mode,
    Keras paths, and the fused fast path in ``dynamic_rnn`` and ``tfshare.RNN``,
    equal to its own step-by-step run (outputs, states, gradients).
(b) The contract answers real TF 1.15 gives (``dtype`` before/after the first
    call, ``LSTMStateTuple`` for plain-tuple states, states of the wrong width),
    from ``tests/fixtures/make_cells_tf115_fixtures.py`` (live when the TF 1.15
    oracle is built, else its committed golden).
(c) Wrapper and MultiRNNCell ``from_config`` with cell objects; the public
    ``DropoutWrapper.set_variational_noise``; ``step_weights``.
"""
from __future__ import annotations

import importlib.util
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from oracle import tf115_or_golden
from tfshare import fastpath
from tfshare.cells import FusedGRU, FusedLSTM, WeightSpec

RNG = np.random.default_rng(3)
B, T, D, U = 3, 5, 4, 3
X = RNG.uniform(-1, 1, (B, T, D)).astype(np.float32)
LENGTHS = np.array([5, 2, 0], np.int32)


class BlockLSTM(tfshare.RNNCell):
    """TF1's LSTM with the kernel's column blocks in the order i, f, j, o and
    weights named ``w`` and ``b``."""

    def __init__(self, num_units, spec_order="ifjo", **kwargs):
        super().__init__(**kwargs)
        self._units = num_units
        self._spec_order = spec_order  # what fused_spec claims (a wrong one must show)

    @property
    def state_size(self):
        return tfshare.LSTMStateTuple(self._units, self._units)

    @property
    def output_size(self):
        return self._units

    def weight_specs(self, input_depth):
        n = self._units
        return [WeightSpec("w", (input_depth + n, 4 * n)),
                WeightSpec("b", (4 * n,), keras.initializers.RandomUniform(-0.5, 0.5, seed=1))]

    def step(self, inputs, state, weights):
        c, h = state
        z = tf.matmul(tf.concat([inputs, h], 1), weights["w"]) + weights["b"]
        i, f, j, o = tf.split(z, 4, axis=1)
        c = tf.sigmoid(f + 0.5) * c + tf.sigmoid(i) * tf.tanh(j)
        h = tf.tanh(c) * tf.sigmoid(o)
        return h, tfshare.LSTMStateTuple(c, h)

    def fused_spec(self):
        return FusedLSTM(self._units, forget_bias=0.5, gate_order=self._spec_order, kernel="w",
                         bias="b")


class BlockGRU(tfshare.RNNCell):
    """TF1's GRU with the gate columns in the order u, r and TF1's block-cell names."""

    def __init__(self, num_units, **kwargs):
        super().__init__(**kwargs)
        self._units = num_units

    state_size = property(lambda self: self._units)
    output_size = property(lambda self: self._units)

    def weight_specs(self, input_depth):
        n, init = self._units, keras.initializers.RandomUniform(-0.5, 0.5, seed=2)
        return [WeightSpec("w_ru", (input_depth + n, 2 * n)), WeightSpec("b_ru", (2 * n,), init),
                WeightSpec("w_c", (input_depth + n, n)), WeightSpec("b_c", (n,), init)]

    def step(self, inputs, state, weights):
        gates = tf.sigmoid(tf.matmul(tf.concat([inputs, state], 1), weights["w_ru"])
                           + weights["b_ru"])
        u, r = tf.split(gates, 2, axis=1)
        c = tf.tanh(tf.matmul(tf.concat([inputs, r * state], 1), weights["w_c"]) + weights["b_c"])
        h = u * state + (1 - u) * c
        return h, h

    def fused_spec(self):
        return FusedGRU(self._units, gate_order="ur", gate_kernel="w_ru", gate_bias="b_ru",
                        candidate_kernel="w_c", candidate_bias="b_c")


def _dynamic_rnn(cell, x, fast: bool):
    previous = fastpath.set_fast_path_options(enabled=fast)
    try:
        with tf.GradientTape() as tape:
            out, state = tfshare.dynamic_rnn(cell, x, sequence_length=LENGTHS, dtype=tf.float32)
            loss = tf.reduce_sum(out * out) + sum(tf.reduce_sum(s) for s in tf.nest.flatten(state))
    finally:
        fastpath.set_fast_path_options(**previous)
    flat = [np.asarray(t) for t in [out] + tf.nest.flatten(state)]
    return flat, [np.asarray(g) for g in tape.gradient(loss, [x] + list(cell.weights))]


def _close(a, b) -> bool:
    return len(a) == len(b) and all(np.allclose(u, v, atol=1e-5, rtol=1e-5)
                                    for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("make,names", [
    (lambda: BlockLSTM(U), ["rnn/block_lstm/w:0", "rnn/block_lstm/b:0"]),
    (lambda: BlockGRU(U), ["rnn/block_gru/w_ru:0", "rnn/block_gru/b_ru:0", "rnn/block_gru/w_c:0",
                           "rnn/block_gru/b_c:0"]),
], ids=["lstm", "gru"])
def test_declared_cell_gets_the_fast_path_in_dynamic_rnn(make, names, monkeypatch):
    tfshare.reset_default_graph()
    cell = make()
    x = tf.Variable(X)
    exact = _dynamic_rnn(cell, x, fast=False)
    assert [v.name for v in cell.weights] == names
    ran = []
    real = fastpath.run_fused
    monkeypatch.setattr(fastpath, "run_fused", lambda *a, **k: ran.append(real(*a, **k)) or ran[-1])
    fast = _dynamic_rnn(cell, x, fast=True)
    assert ran and ran[-1] is not None
    assert [v.name for v in cell.weights] == names  # no new variable
    assert _close(fast[0], exact[0]) and _close(fast[1], exact[1])


def test_a_wrong_spec_shows():
    """The comparison above can fail: a spec claiming TF1's order for the i, f, j, o
    cell gives other numbers."""
    tfshare.reset_default_graph()
    cell = BlockLSTM(U, spec_order="ijfo")
    x = tf.Variable(X)
    assert not _close(_dynamic_rnn(cell, x, fast=True)[0], _dynamic_rnn(cell, x, fast=False)[0])


@pytest.mark.parametrize("make,first_path", [(lambda: BlockLSTM(U), "rnn/block_lstm/w"),
                                             (lambda: BlockGRU(U), "rnn/block_gru/w_ru")],
                         ids=["lstm", "gru"])
def test_declared_cell_in_tfshare_rnn(make, first_path):
    keras.utils.set_random_seed(4)
    reference = keras.layers.RNN(make(), return_sequences=True, name="rnn")
    layer = tfshare.RNN(make(), return_sequences=True, name="rnn")
    mask = np.array([[1] * 5, [0, 1, 1, 0, 1], [1, 1, 0, 0, 0]], bool)
    reference(X)
    layer(X)
    layer.set_weights(reference.get_weights())
    assert layer.weights[0].path == first_path
    np.testing.assert_allclose(layer(X, mask=mask), reference(X, mask=mask), atol=1e-5)
    assert fastpath.run_fused(layer.cell, tf.transpose(X, [1, 0, 2]),
                              layer.cell.zero_state(B, tf.float32)) is not None


def test_fused_specs_validate_the_gate_order():
    with pytest.raises(ValueError, match=r"`gate_order` must be a permutation of 'ijfo'\. "
                                         r"Received: gate_order='ijf'"):
        FusedLSTM(3, gate_order="ijf")
    with pytest.raises(ValueError, match=r"`gate_order` must be 'ru' or 'ur'\. "
                                         r"Received: gate_order='rr'"):
        FusedGRU(3, gate_order="rr")


def test_step_weights_by_mode():
    keras.backend.clear_session()
    cell = tfshare.GRUCell(2)
    assert cell.step_weights(3, tf.float32) is None  # Keras mode, not built
    cell.build((None, 3))
    assert sorted(cell.step_weights(3, tf.float32)) == [
        "candidate/bias", "candidate/kernel", "gates/bias", "gates/kernel"]
    assert cell.step_weights(4, tf.float32) is None  # not the built depth
    tfshare.reset_default_graph()
    tf1 = tfshare.LSTMCell(2, num_proj=1)
    with tfshare.variable_scope("enc"):
        weights = tf1.step_weights(3, tf.float32)
    assert sorted(weights) == ["bias", "kernel", "projection/kernel"]
    assert [v.name for v in tf1.weights] == ["enc/lstm_cell/kernel:0", "enc/lstm_cell/bias:0",
                                             "enc/lstm_cell/projection/kernel:0"]


# ----------------------------------------------------------------------------- TF 1.15


def _fixture_module():
    path = os.path.join(os.path.dirname(__file__), "fixtures", "make_cells_tf115_fixtures.py")
    spec = importlib.util.spec_from_file_location("make_cells_tf115_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tf115(tmp_path_factory):
    mod = _fixture_module()
    return tf115_or_golden(tmp_path_factory, "cells_facts", mod.CODE, mod.GOLDEN,
                           mod.inputs())["json:facts"]


@pytest.mark.parametrize("mode", ["tf1", "keras"])
def test_dtype_is_none_until_the_first_call(tf115, mode):
    tfshare.reset_default_graph()
    keras.backend.clear_session()
    facts = tf115["dtype"]
    cell = tfshare.LSTMCell(3)
    assert cell.dtype == facts["before_call"] is None
    x = np.ones((2, 4), np.float32)
    if mode == "tf1":
        with tfshare.variable_scope("root"):
            cell(x, cell.zero_state(2, tf.float32))
    else:
        cell(x, cell.zero_state(2, tf.float32))
    assert cell.dtype == facts["after_float32_call"] == "float32"
    assert tfshare.GRUCell(3, dtype=tf.float64).dtype == facts["given_float64"]
    with tfshare.variable_scope("f64"):
        c64 = tfshare.GRUCell(3)
        c64(x.astype(np.float64), c64.zero_state(2, tf.float64))
    assert c64.dtype == "float64"


@pytest.mark.parametrize("mode", ["tf1", "keras"])
def test_plain_tuple_states_come_back_as_lstm_state_tuples(tf115, mode):
    tfshare.reset_default_graph()
    keras.backend.clear_session()
    facts = tf115["state_types"]
    x = np.ones((2, 4), np.float32)
    z = lambda n: tf.zeros((2, n))  # noqa: E731
    lstm = tfshare.LSTMCell(3)
    multi = tfshare.MultiRNNCell([tfshare.LSTMCell(2), tfshare.BasicLSTMCell(2)])
    with tfshare.variable_scope("root") if mode == "tf1" else _nothing():
        _, state = lstm(x, (z(3), z(3)))
        _, mstate = multi(x, ((z(2), z(2)), [z(2), z(2)]))
    assert type(state).__name__ == facts["lstm_plain_tuple"] == "LSTMStateTuple"
    assert isinstance(state, tfshare.LSTMStateTuple)
    assert [type(mstate).__name__] + [type(s).__name__ for s in mstate] == facts["multi_plain"]
    _, listed = lstm(x, [z(3), z(3)])  # Keras' convention: a list stays a list
    assert type(listed) is list


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


WRONG = {
    "BasicLSTMCell": lambda: tfshare.BasicLSTMCell(3, state_is_tuple=False),
    "LSTMCell": lambda: tfshare.LSTMCell(3, state_is_tuple=False),
    "LSTMCell_proj": lambda: tfshare.LSTMCell(3, num_proj=2, state_is_tuple=False),
    "MultiRNNCell": lambda: tfshare.MultiRNNCell([tfshare.GRUCell(2), tfshare.GRUCell(3)],
                                                 state_is_tuple=False),
    "GRUCell": lambda: tfshare.GRUCell(3),
    "BasicRNNCell": lambda: tfshare.BasicRNNCell(3),
}


@pytest.mark.parametrize("mode", ["tf1", "keras"])
@pytest.mark.parametrize("name", sorted(WRONG))
def test_state_of_the_wrong_width_is_refused(tf115, name, mode):
    """TF1 raised an unclear shape error for some cells and silently sliced the
    concatenated state of others (``accepted``); tfshare refuses every one with
    an error naming the argument, the width and the shape (docs/cells.md)."""
    tfshare.reset_default_graph()
    keras.backend.clear_session()
    assert tf115["wrong_width"][name] in ("ValueError", "accepted")
    cell = WRONG[name]()
    width = sum(tf.nest.flatten(cell.state_size))
    with pytest.raises(ValueError, match=rf"Argument `state` of {type(cell).__name__} .* must "
                                         rf"hold tensors of width {width} .*Received a tensor of "
                                         rf"shape \(2, 7\)"):
        with tfshare.variable_scope("root") if mode == "tf1" else _nothing():
            cell(np.ones((2, 4), np.float32), tf.zeros((2, 7)))


# ----------------------------------------------------------------------------- configs


@pytest.mark.parametrize("make", [
    lambda c: tfshare.DropoutWrapper(c, output_keep_prob=0.5),
    lambda c: tfshare.ResidualWrapper(c),
    lambda c: tfshare.DeviceWrapper(c, "/cpu:0"),
    lambda c: tfshare.OutputProjectionWrapper(c, 4),
    lambda c: tfshare.InputProjectionWrapper(c, 2),
    lambda c: tfshare.EmbeddingWrapper(c, 5, 2),
], ids=["dropout", "residual", "device", "opw", "ipw", "embedding"])
def test_wrapper_from_config_takes_a_cell_object(make):
    wrapper = make(tfshare.GRUCell(3))
    config = dict(wrapper.get_config(), cell=tfshare.GRUCell(3, name="given"))
    clone = type(wrapper).from_config(config)
    assert clone.cell is config["cell"]
    assert type(clone).from_config(wrapper.get_config()).get_config() == wrapper.get_config()


def test_multi_from_config_takes_cell_objects():
    cells = [tfshare.GRUCell(2), tfshare.LSTMCell(3)]
    multi = tfshare.MultiRNNCell.from_config({"cells": cells, "state_is_tuple": True})
    assert multi.cells == cells


# ----------------------------------------------------------------------------- dropout noise


def _variational(**kwargs):
    return tfshare.DropoutWrapper(tfshare.BasicRNNCell(4), variational_recurrent=True,
                                  dtype=tf.float32, **kwargs)


def test_set_variational_noise_fixes_the_masks_everywhere():
    noise = np.array([[0.9, 0.1, 0.6, 0.3]], np.float32)
    cell = _variational(output_keep_prob=0.5)
    cell.set_variational_noise(output=noise)
    want = np.floor(0.5 + noise[0]) == 1
    x = np.full((2, 3), 0.3, np.float32)
    state = tf.fill((2, 4), 0.2)
    out, _ = cell(x, state)
    np.testing.assert_array_equal(np.asarray(out)[0] != 0, want)
    cell.begin_sequence()  # a new sequence keeps the fixed noise
    layer = keras.layers.RNN(cell, return_sequences=True)
    seq = np.asarray(layer(np.full((2, 3, 3), 0.3, np.float32), training=True))
    np.testing.assert_array_equal(seq != 0, np.broadcast_to(want, seq.shape))
    np.testing.assert_array_equal(cell.variational_noise()["output"], noise)


def test_set_variational_noise_errors():
    with pytest.raises(ValueError, match="needs a DropoutWrapper with variational_recurrent=True"):
        tfshare.DropoutWrapper(tfshare.GRUCell(2)).set_variational_noise(output=np.zeros((1, 2)))
    cell = _variational(output_keep_prob=0.5)
    with pytest.raises(ValueError, match=r"Argument `output` must be noise of shapes \[\(1, 4\)\]\. "
                                         r"Received shapes \[\(1, 3\)\]"):
        cell.set_variational_noise(output=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"Argument `input`: this wrapper draws no input noise"):
        cell.set_variational_noise(input=np.zeros((1, 3)))
