"""track_tf1_style_variables: TF1 get_variable code inside a Keras 3 layer.

The variables must be the layer's Keras weights (paths ending with the TF1
names), trained by fit, saved and restored by save_weights/load_weights and
.keras files, and independent between two layer instances.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare.variables as tv

v1 = tf.compat.v1


@keras.saving.register_keras_serializable("tfshare_tests")
class TF1Block(keras.layers.Layer):
    """Two TF1-style dense layers written with variable_scope/get_variable."""

    def __init__(self, units: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    @tv.track_tf1_style_variables
    def call(self, x):
        with tv.variable_scope("hidden"):
            w = tv.get_variable("kernel", [x.shape[-1], 5])
            b = tv.get_variable("bias", [5], initializer=v1.zeros_initializer())
        h = tf.tanh(tf.matmul(x, w) + b)
        with tv.variable_scope(None, default_name="out"):
            w2 = tv.get_variable("kernel", [5, self.units])
        return tf.matmul(h, w2)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _data(n=64):
    rng = np.random.RandomState(0)
    x = rng.uniform(-0.5, 0.5, (n, 4)).astype(np.float32)
    y = rng.uniform(-0.5, 0.5, (n, 3)).astype(np.float32)
    return x, y


def _model(name="block"):
    inp = keras.Input((4,))
    return keras.Model(inp, TF1Block(name=name)(inp))


def _numpy_forward(weights, x):
    w, b, w2 = weights
    return np.tanh(x @ w + b) @ w2


def test_weights_are_keras_weights_with_tf1_paths():
    keras.backend.clear_session()
    m = _model()
    paths = [w.path for w in m.weights]
    assert paths == ["block/hidden/kernel", "block/hidden/bias", "block/out/kernel"]
    layer = m.layers[-1]
    assert [v.path for v in layer.tf1_variables] == paths
    assert [w.shape for w in m.weights] == [(4, 5), (5,), (5, 3)]
    x, _ = _data(8)
    np.testing.assert_allclose(m.predict(x, verbose=0),
                               _numpy_forward([w.numpy() for w in m.weights], x), atol=1e-5)
    # repeated calls share (AUTO_REUSE inside the layer); no new weights
    layer(tf.constant(x))
    layer(tf.constant(x))
    assert len(layer.weights) == 3
    # the layer's store hands out the same variables by TF1 name
    assert [v.name for v in layer._tfshare_tf1_store.variables()] == [
        "hidden/kernel:0", "hidden/bias:0", "out/kernel:0"]


def test_fit_changes_weights_and_predictions_follow():
    keras.backend.clear_session()
    m = _model()
    x, y = _data()
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.numpy().copy() for w in m.weights]
    loss0 = m.evaluate(x, y, verbose=0)
    m.fit(x, y, epochs=3, batch_size=16, verbose=0)
    after = [w.numpy() for w in m.weights]
    assert all(np.abs(a - b).max() > 1e-4 for a, b in zip(after, before, strict=True))
    assert m.evaluate(x, y, verbose=0) < loss0
    np.testing.assert_allclose(m.predict(x, verbose=0), _numpy_forward(after, x), atol=1e-5)


def test_save_weights_load_weights_round_trip(tmp_path):
    keras.backend.clear_session()
    m1, m2 = _model("a"), _model("b")
    x, _ = _data(8)
    assert np.abs(m1.predict(x, verbose=0) - m2.predict(x, verbose=0)).max() > 1e-3
    path = os.fspath(tmp_path / "w.weights.h5")
    m1.save_weights(path)
    m2.load_weights(path)
    for a, b in zip(m1.weights, m2.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(m2.predict(x, verbose=0), m1.predict(x, verbose=0), atol=1e-6)


def test_keras_file_save_load(tmp_path):
    keras.backend.clear_session()
    m = _model()
    x, y = _data()
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    path = os.fspath(tmp_path / "m.keras")
    m.save(path)
    m2 = keras.models.load_model(path)
    assert [w.path for w in m2.weights] == [w.path for w in m.weights]
    for a, b in zip(m.weights, m2.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6)


def test_two_instances_are_independent():
    keras.backend.clear_session()
    l1, l2 = TF1Block(), TF1Block()
    x, _ = _data(4)
    y1, y2 = l1(x), l2(x)
    assert len(l1.weights) == len(l2.weights) == 3
    assert all(a is not b for a, b in zip(l1.weights, l2.weights, strict=True))
    assert np.abs(np.asarray(y1) - np.asarray(y2)).max() > 1e-4
    l1.weights[0].assign(tf.zeros_like(l1.weights[0]))
    np.testing.assert_allclose(np.asarray(l1(x)), 0.0, atol=1e-7)
    assert np.abs(np.asarray(l2(x)) - np.asarray(y2)).max() == 0.0
    assert [w.path for w in l1.weights][0].endswith("hidden/kernel")
    # the eager default store is untouched by tracked layers
    tv.reset_default_graph()
    TF1Block()(x)
    assert tv.current_store().variables() == []


def test_tracked_layer_under_mirrored_strategy(mirrored_strategy):
    keras.backend.clear_session()
    strategy = mirrored_strategy
    with strategy.scope():
        m = _model()
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    assert all(isinstance(w.value, tf.distribute.DistributedValues) for w in m.weights)
    x, y = _data()
    before = [w.numpy().copy() for w in m.weights]
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert all(np.abs(w.numpy() - b).max() > 1e-5 for w, b in zip(m.weights, before, strict=True))


def test_decorator_rejects_non_callables():
    with pytest.raises(TypeError, match="method"):
        tv.track_tf1_style_variables(3)


class TF1Embed(keras.layers.Layer):
    """Integer ids through a TF1 embedding variable (build must feed int zeros)."""

    @tv.track_tf1_style_variables
    def call(self, ids):
        emb = tv.get_variable("embedding", [10, 2])
        return tf.nn.embedding_lookup(emb, ids)


def test_tracked_layer_with_integer_inputs():
    keras.backend.clear_session()
    inp = keras.Input((3,), dtype="int32")
    layer = TF1Embed(name="emb")
    m = keras.Model(inp, layer(inp))
    assert [w.path for w in m.weights] == ["emb/embedding"]
    ids = np.array([[1, 2, 9]], dtype=np.int32)
    table = m.weights[0].numpy()
    np.testing.assert_allclose(m.predict(ids, verbose=0), table[ids], atol=1e-7)
