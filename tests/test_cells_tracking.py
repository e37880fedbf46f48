"""tfshare cells in TF's object graph: ``tf.train.Checkpoint``,
``tf.train.CheckpointManager`` and ``tf.saved_model.save`` see every weight.

For each model the check is the same: the checkpoint holds as many variables as
the model has weights; restoring it into a second model built from another
random initialization makes the two models compute the same outputs (before the
restore they differ); a SavedModel reloaded with ``tf.saved_model.load`` gives
the model's outputs.
"""
from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare

RNG = np.random.default_rng(7)
X = RNG.uniform(-1, 1, (4, 5, 3)).astype(np.float32)
IDS = RNG.integers(0, 6, (4, 5, 1)).astype(np.int32)

#: name -> (recurrent layer maker, inputs)
MODELS = {
    "keras_rnn_basic_lstm": (lambda: keras.layers.RNN(tfshare.BasicLSTMCell(4), name="rnn"), X),
    "tfshare_rnn_lstm": (lambda: tfshare.RNN(tfshare.LSTMCell(4, use_peepholes=True, num_proj=3),
                                              name="rnn"), X),
    "tfshare_rnn_gru": (lambda: tfshare.RNN(tfshare.GRUCell(4), name="rnn"), X),
    "multi_rnn_cell": (lambda: tfshare.RNN(tfshare.MultiRNNCell(
        [tfshare.LSTMCell(3, num_proj=2), tfshare.GRUCell(2), tfshare.BasicRNNCell(2)]),
        name="rnn"), X),
    "core_wrappers": (lambda: keras.layers.RNN(tfshare.MultiRNNCell([
        tfshare.DropoutWrapper(tfshare.LSTMCell(3), output_keep_prob=0.8),
        tfshare.ResidualWrapper(tfshare.GRUCell(3)),
        tfshare.DeviceWrapper(tfshare.BasicLSTMCell(3), "/cpu:0")]), name="rnn"), X),
    "contrib_wrappers": (lambda: keras.layers.RNN(tfshare.OutputProjectionWrapper(
        tfshare.InputProjectionWrapper(tfshare.GRUCell(3), 2), 5), name="rnn"), X),
    "embedding_wrapper": (lambda: keras.layers.RNN(tfshare.EmbeddingWrapper(
        tfshare.LSTMCell(3), 6, 2), name="rnn"), IDS),
}


def _model(name, seed):
    keras.utils.set_random_seed(seed)
    make, x = MODELS[name]
    model = keras.Sequential([keras.Input(x.shape[1:], dtype=x.dtype), make(),
                              keras.layers.Dense(2, name="head")])
    model(x)
    return model, x


def _differs(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checkpoint_saves_and_restores_every_weight(name, tmp_path):
    model, x = _model(name, 1)
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    saved = [n for n, _ in tf.train.list_variables(path) if n.startswith("model/")]
    assert len(saved) == len(model.weights)
    other, _ = _model(name, 2)
    assert _differs(other(x), model(x)) > 1e-3
    tf.train.Checkpoint(model=other).restore(path).assert_consumed()
    assert _differs(other(x), model(x)) == 0
    for a, b in zip(other.weights, model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", ["tfshare_rnn_lstm", "core_wrappers", "embedding_wrapper"])
def test_saved_model_reloads_with_the_same_outputs(name, tmp_path):
    model, x = _model(name, 3)
    tf.saved_model.save(model, str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    serve = loaded.signatures["serving_default"]
    (out,) = serve(tf.constant(x)).values()
    np.testing.assert_allclose(out, model(x), atol=1e-6)
    assert len(serve.variables) == len(model.weights)


def test_checkpoint_manager_keeps_the_trained_weights(tmp_path):
    model, x = _model("multi_rnn_cell", 4)
    model.compile(keras.optimizers.Adam(0.05), "mse")
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), str(tmp_path), 2)
    y = np.ones((len(x), 2), np.float32)
    for _ in range(3):
        model.fit(x, y, epochs=1, verbose=0)
        manager.save()
    assert len(manager.checkpoints) == 2
    other, _ = _model("multi_rnn_cell", 5)  # not compiled: the optimizer stays unrestored
    status = tf.train.Checkpoint(model=other).restore(manager.latest_checkpoint)
    status.assert_existing_objects_matched().expect_partial()
    assert _differs(other(x), model(x)) == 0


@pytest.mark.parametrize("mode", ["keras", "tf1"])
def test_bare_cell_in_a_checkpoint(mode, tmp_path):
    """A cell called directly: Keras weights, or TF1 variables from tfshare's store."""
    def make():
        tfshare.reset_default_graph()
        cell = tfshare.MultiRNNCell([tfshare.GRUCell(3), tfshare.LSTMCell(2, num_proj=2)])
        state = cell.zero_state(4, tf.float32)
        if mode == "tf1":
            with tfshare.variable_scope("root"):
                cell(X[:, 0], state)
        else:
            cell(X[:, 0], state)
        return cell, state

    cell, state = make()
    assert len(cell.weights) == 7  # GRU: 4, LSTM with projection: 3
    path = tf.train.Checkpoint(cell=cell).save(str(tmp_path / "ckpt"))
    assert len([n for n, _ in tf.train.list_variables(path) if n.startswith("cell/")]) == 7
    want = np.asarray(cell(X[:, 0], state)[0])
    for v in cell.weights:
        v.assign(tf.zeros_like(v))
    assert _differs(cell(X[:, 0], state)[0], want) > 1e-3
    tf.train.Checkpoint(cell=cell).restore(path).assert_consumed()
    assert _differs(cell(X[:, 0], state)[0], want) == 0
