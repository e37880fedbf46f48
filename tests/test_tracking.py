"""``track_tf1_style_variables`` and ``get_or_create_layer``: what tf-keras's shim
did (its ``variable_scope_shim_test``, re-expressed), and what Keras 3 users
need on top: regularization losses in ``layer.losses`` and ``fit``,
``training``-only variables, ``tf.Module`` owners, and every weight in
``tf.train.Checkpoint``, ``CheckpointManager`` and SavedModel.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
import tfshare.compat.v1 as tfc

v1 = tf.compat.v1


def half_square(t):
    """A TF1 regularizer: 0.5 * sum(t**2)."""
    return 0.5 * tf.reduce_sum(tf.square(t))


class Regularized(keras.layers.Layer):
    """x @ w with a regularized TF1 kernel and a ``tf.layers`` dense with ``"l2"``."""

    @tfshare.track_tf1_style_variables
    def call(self, x):
        with tfc.variable_scope("proj"):
            w = tfc.get_variable("kernel", [2, 3], regularizer=half_square,
                                 initializer=tfc.constant_initializer([[1.0, -2.0, 0.5],
                                                                       [0.25, 1.5, -1.0]]))
        h = tf.matmul(x, w)
        return tfc.layers.dense(h, 1, name="out", kernel_regularizer="l2",
                                kernel_initializer=tfc.ones_initializer())


def test_regularization_losses_reach_layer_losses_and_fit():
    keras.backend.clear_session()
    layer = Regularized(name="reg")
    model = keras.Sequential([keras.Input((2,)), layer])
    w = model.weights[0]
    w0 = w.numpy().copy()
    losses = [float(t) for t in layer.losses]
    assert losses == pytest.approx([0.5 * np.sum(w0 ** 2), 0.01 * 3.0], rel=1e-6)
    assert [float(t) for t in model.losses] == pytest.approx(losses, rel=1e-6)
    # zero inputs: the data loss has no gradient on w, so one SGD step is the
    # regularizer's alone: w <- w - lr * w
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), batch_size=4,
              epochs=1, verbose=0)
    np.testing.assert_allclose(w.numpy(), 0.9 * w0, rtol=1e-6)


class TrainingOnly(keras.layers.Layer):
    """Creates ``dense_training`` only when ``training`` is true (tf-keras's case)."""

    @tfshare.track_tf1_style_variables
    def call(self, x, training=None):
        if training:
            return tfc.layers.dense(x, 2, name="dense_training")
        return tfc.layers.dense(x, 2, name="dense_no_training")


@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # the other branch's
def test_variables_made_under_training_exist_for_fit():
    keras.backend.clear_session()
    layer = TrainingOnly(name="t")
    model = keras.Sequential([keras.Input((3,)), layer])  # built with training unset
    paths = {w.path.split("t/", 1)[1]: w for w in layer.weights}
    assert sorted(paths) == ["dense_no_training/bias", "dense_no_training/kernel",
                             "dense_training/bias", "dense_training/kernel"]
    trained = paths["dense_training/kernel"]
    before = trained.numpy().copy()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
    model.fit(x, np.ones((8, 2), np.float32), epochs=1, verbose=0)
    assert np.abs(trained.numpy() - before).max() > 1e-4


def test_an_eager_first_call_runs_once_on_its_inputs():
    keras.backend.clear_session()
    layer = TrainingOnly()
    out = layer(tf.ones([5, 4]), training=True)
    k = {w.path.split("/", 1)[1]: w for w in layer.weights}
    np.testing.assert_allclose(out.numpy(), np.ones([5, 4]) @ k["dense_training/kernel"].numpy(),
                               rtol=1e-6)


class Counter(keras.layers.Layer):
    """Counts its executions with a TF1 variable (an eager first call must count once)."""

    @tfshare.track_tf1_style_variables
    def call(self, x):
        n = tfc.get_variable("calls", [], initializer=tfc.zeros_initializer(),
                             trainable=False)
        n.assign_add(1.0)
        return x + 0.0


def test_build_does_not_execute_extra_calls():
    keras.backend.clear_session()
    layer = Counter()
    layer(tf.ones([2]))
    assert float(layer.weights[0].numpy()) == 1.0
    keras.backend.clear_session()
    symbolic = Counter()
    keras.Sequential([keras.Input((2,)), symbolic])  # built by tracing, nothing runs
    assert float(symbolic.weights[0].numpy()) == 0.0


class ModuleOwner(tf.Module):
    @tfshare.track_tf1_style_variables
    def __call__(self, x):
        with tfc.variable_scope("dense_one"):
            w = tfc.get_variable("kernel", [x.shape[-1], 2], regularizer=half_square,
                                 initializer=tfc.ones_initializer())
            b = tfc.get_variable("bias", [2], initializer=tfc.zeros_initializer())
        return tf.matmul(x, w) + b


def test_a_tf_module_owner_sees_and_checkpoints_its_variables(tmp_path):
    m = ModuleOwner()
    np.testing.assert_allclose(m(tf.ones([1, 3])).numpy(), [[3.0, 3.0]])
    m(tf.ones([1, 3]))  # shared, not duplicated
    assert sorted(v.name for v in m.variables) == ["dense_one/bias:0", "dense_one/kernel:0"]
    assert sorted(v.name for v in m.trainable_variables) == sorted(v.name for v in m.variables)
    path = tf.train.Checkpoint(m=m).save(str(tmp_path / "ckpt"))
    saved = [name for name, _ in tf.train.list_variables(path) if name.startswith("m/")]
    assert len(saved) == 2, saved
    kernel = [v for v in m.variables if "kernel" in v.name][0]
    kernel.assign(tf.zeros_like(kernel))
    tf.train.Checkpoint(m=m).restore(path).assert_existing_objects_matched()
    np.testing.assert_allclose(kernel.numpy(), np.ones([3, 2]))


def test_decorating_a_plain_function_is_rejected():
    @tfshare.track_tf1_style_variables
    def double(x):
        return x * 2

    with pytest.raises(ValueError, match="does not extend keras.layers.Layer or tf.Module"):
        double(tf.ones([4, 4]))
    with pytest.raises(TypeError, match="method"):
        tfshare.track_tf1_style_variables("call")


class WithNestedModel(keras.layers.Layer):
    def build_model(self):
        inp = keras.Input((5,))
        dense = keras.layers.Dense(10, name="dense", kernel_regularizer="l2",
                                   kernel_initializer="ones")
        return keras.Model(inp, dense(inp))

    @tfshare.track_tf1_style_variables
    def call(self, x):
        with tfc.variable_scope("test_scope"):
            model = tfshare.get_or_create_layer("dense_model", self.build_model)
            return model(x)


def test_get_or_create_layer_creates_once_and_tracks():
    keras.backend.clear_session()
    layer = WithNestedModel()
    x = tf.ones([1, 5])
    out1 = layer(x)
    first = layer.tf1_layers[0]
    out2 = layer(x)
    assert layer.tf1_layers == [first]
    assert layer._tfshare_tf1_store.get_or_create_layer(
        "test_scope/dense_model", lambda: None) is first
    np.testing.assert_allclose(out1.numpy(), np.full([1, 10], 5.0))
    np.testing.assert_allclose(out2.numpy(), out1.numpy())
    assert sorted(w.name for w in layer.weights) == ["bias", "kernel"]
    assert [float(t) for t in layer.losses] == pytest.approx([0.01 * 50])


def test_get_or_create_layer_outside_a_tracked_call():
    made = []

    def make():
        made.append(keras.layers.Dense(2))
        return made[-1]

    with pytest.raises(ValueError, match="track_tf1_style_variables"):
        tfshare.get_or_create_layer("x", make)
    with tf.Graph().as_default():  # TF1 graph mode: created every time, not tracked
        assert tfshare.get_or_create_layer("x", make) is not tfshare.get_or_create_layer(
            "x", make)
    assert len(made) == 2


@keras.saving.register_keras_serializable("tfshare_tests")
class Block(keras.layers.Layer):
    @tfshare.track_tf1_style_variables
    def call(self, x):
        with tfc.variable_scope("enc"):
            h = tfc.layers.dense(x, 4, activation=tf.tanh, name="fc")
        w = tfc.get_variable("out", [4, 2])
        return tf.matmul(h, w)


def _model():
    return keras.Sequential([keras.Input((3,)), Block(name="block")])


def _values(model):
    return [w.numpy().copy() for w in model.weights]


def test_tf_checkpoint_and_manager_save_every_weight(tmp_path):
    keras.backend.clear_session()
    model = _model()
    before = _values(model)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model),
                                         str(tmp_path / "mgr"), max_to_keep=2)
    path = manager.save()
    saved = [name for name, _ in tf.train.list_variables(path) if "model" in name]
    assert len(saved) == len(model.weights) == 3
    for w in model.weights:
        w.assign(tf.zeros_like(w))
    tf.train.Checkpoint(model=model).restore(manager.latest_checkpoint).assert_consumed()
    for got, want in zip(_values(model), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_saved_model_holds_every_weight(tmp_path):
    keras.backend.clear_session()
    model = _model()
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    want = model(x).numpy()
    module = tf.Module()
    module.model = model
    module.serve = tf.function(lambda t: model(t),
                               input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    tf.saved_model.save(module, str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    np.testing.assert_allclose(loaded.serve(tf.constant(x)).numpy(), want, rtol=1e-6)
    stored = [name for name, _ in tf.train.list_variables(
        os.path.join(tmp_path, "sm", "variables", "variables")) if name.startswith("model/")]
    assert len(stored) == len(model.weights) == 3, stored


class ReusesWithFalse(keras.layers.Layer):
    """TF1 code re-run at every call: ``reuse=False`` must not fail the second time."""

    @tfshare.track_tf1_style_variables
    def call(self, x):
        with tfc.variable_scope("bar", reuse=False):
            v = tfc.get_variable("var", [], initializer=tfc.zeros_initializer())
        v.assign_add(1.0)
        return x + v


def test_reuse_false_is_auto_reuse_inside_a_tracked_call():
    keras.backend.clear_session()
    layer = ReusesWithFalse()
    for expected in (1.0, 2.0, 3.0):
        np.testing.assert_allclose(layer(tf.zeros([1])).numpy(), [expected])
    assert len(layer.weights) == 1


class Nested(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    @tfshare.track_tf1_style_variables
    def call(self, x):
        with tfc.variable_scope(self.name):
            w = tfc.get_variable("kernel", [x.shape[-1], self.units],
                                 regularizer=lambda t: tf.reduce_sum(t),
                                 initializer=tfc.ones_initializer())
        return tf.matmul(x, w)


class Outer(keras.layers.Layer):
    """Tracked layers created in a tracked call (tf-keras's nesting case)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = self.b = None

    @tfshare.track_tf1_style_variables
    def call(self, x):
        if self.a is None:
            self.a = Nested(4, name="dense_one")
            self.b = Nested(2, name="dense_two")
        return self.b(self.a(x))


def test_nested_tracked_layers_count_each_weight_and_loss_once():
    keras.backend.clear_session()
    outer = Outer()
    np.testing.assert_allclose(outer(tf.ones([1, 3])).numpy(), np.full([1, 2], 12.0))
    # the TF1 names (the tf.Variables'); Keras paths also hold the layer names
    assert sorted(w.value.name for w in outer.trainable_weights) == [
        "dense_one/kernel:0", "dense_two/kernel:0"]
    assert [w.value.name for w in outer.a.weights] == ["dense_one/kernel:0"]
    assert [float(t) for t in outer.a.losses] == [12.0]
    assert sorted(float(t) for t in outer.losses) == [8.0, 12.0]


class MakesAKerasLayer(keras.layers.Layer):
    @tfshare.track_tf1_style_variables
    def call(self, x):
        return keras.layers.Dense(2, kernel_initializer="ones")(x)


def test_only_get_variable_weights_are_tracked():
    keras.backend.clear_session()
    layer = MakesAKerasLayer()
    np.testing.assert_allclose(layer(tf.ones([1, 3])).numpy(), np.full([1, 2], 3.0))
    assert layer.weights == []
