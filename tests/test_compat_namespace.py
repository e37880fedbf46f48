"""The ``tfshare.compat.v1`` namespace: forwarding, overrides, ``dir()``,
TF1 import forms, and the tf.layers argument checks (no oracle needed)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import tensorflow as tf

import tfshare
import tfshare.compat.v1 as tfc

v1 = tf.compat.v1


# -- forwarding ------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "placeholder", "Session", "float32", "matmul", "global_variables_initializer",
    "random_uniform_initializer", "GraphKeys", "add_to_collection",
    "losses.sparse_softmax_cross_entropy",
    "train.AdamOptimizer", "train.GradientDescentOptimizer", "train.Saver", "train.list_variables",
    "nn.relu", "nn.sparse_softmax_cross_entropy_with_logits", "nn.embedding_lookup",
    "keras.layers.Dense", "keras.utils.to_categorical",
])
def test_forwards_everything_not_overridden(path):
    ours, theirs = tfc, v1
    for part in path.split("."):
        ours, theirs = getattr(ours, part), getattr(theirs, part)
    assert ours is theirs


def test_overrides_are_tfshare_objects():
    pairs = {
        tfc.variable_scope: tfshare.variable_scope,
        tfc.get_variable: tfshare.get_variable,
        tfc.get_variable_scope: tfshare.get_variable_scope,
        tfc.get_local_variable: tfshare.get_local_variable,
        tfc.VariableScope: tfshare.VariableScope,
        tfc.global_variables: tfshare.global_variables,
        tfc.trainable_variables: tfshare.trainable_variables,
        tfc.local_variables: tfshare.local_variables,
        tfc.get_collection: tfshare.get_collection,
        tfc.no_regularizer: tfshare.no_regularizer,
        tfc.variable_op_scope: tfshare.variable_op_scope,
        tfc.nn.static_rnn: tfshare.static_rnn,
        tfc.nn.dynamic_rnn: tfshare.dynamic_rnn,
        tfc.nn.bidirectional_dynamic_rnn: tfshare.bidirectional_dynamic_rnn,
        tfc.nn.static_bidirectional_rnn: tfshare.static_bidirectional_rnn,
        tfc.contrib.rnn.static_rnn: tfshare.static_rnn,
        tfc.contrib.rnn.static_bidirectional_rnn: tfshare.static_bidirectional_rnn,
        tfc.contrib.rnn.stack_bidirectional_rnn: tfshare.stack_bidirectional_rnn,
        tfc.contrib.rnn.stack_bidirectional_dynamic_rnn: tfshare.stack_bidirectional_dynamic_rnn,
        tfc.keras.utils.track_tf1_style_variables: tfshare.track_tf1_style_variables,
        tfc.keras.utils.get_or_create_layer: tfshare.get_or_create_layer,
    }
    for ours, theirs in pairs.items():
        assert ours is theirs, ours
    assert tfc.AUTO_REUSE is tfshare.AUTO_REUSE


@pytest.mark.parametrize("name", ["RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell",
                                  "GRUCell", "MultiRNNCell", "DropoutWrapper", "ResidualWrapper",
                                  "DeviceWrapper", "LSTMStateTuple"])
def test_rnn_cells_in_nn_and_contrib(name):
    assert getattr(tfc.nn.rnn_cell, name) is getattr(tfshare, name)
    assert getattr(tfc.contrib.rnn, name) is getattr(tfshare, name)
    assert name in dir(tfc.nn.rnn_cell)


def test_dir_lists_overrides_and_forwarded_names():
    names = dir(tfc)
    for n in ("variable_scope", "layers", "contrib", "placeholder", "Session", "train", "nn"):
        assert n in names
    assert set(n for n in dir(v1) if not n.startswith("_")) <= set(names)
    assert {"init_from_checkpoint", "AdamOptimizer", "Saver"} <= set(dir(tfc.train))
    assert {"static_rnn", "relu", "rnn_cell"} <= set(dir(tfc.nn))
    assert {"dense", "Dense", "batch_normalization", "conv2d"} <= set(dir(tfc.layers))
    assert {"get_regularization_loss", "sparse_softmax_cross_entropy"} <= set(dir(tfc.losses))


def test_unknown_attribute_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no_such_symbol"):
        tfc.no_such_symbol  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_cell"):
        tfc.contrib.rnn.no_such_cell  # noqa: B018
    # a tf.layers symbol tfshare does not provide: Keras 3's own message comes through
    with pytest.raises(AttributeError, match="experimental"):
        tfc.layers.experimental  # noqa: B018


def test_module_metadata_comes_from_tensorflow():
    """``tf.__version__`` and the other metadata dunders come from
    ``tensorflow.compat.v1``; the module's own dunders stay its own."""
    assert tfc.__version__ == tf.__version__ == v1.__version__
    metadata = [n for n in dir(v1) if n.startswith("__") and n not in (
        "__all__", "__builtins__", "__cached__", "__doc__", "__file__", "__loader__",
        "__name__", "__package__", "__path__", "__spec__")]
    assert {"__version__", "__git_version__", "__compiler_version__"} <= set(metadata)
    for name in metadata:
        assert getattr(tfc, name) is getattr(v1, name), name
    assert tfc.__name__ == "tfshare.compat.v1" and tfc.__file__ != v1.__file__
    with pytest.raises(AttributeError, match="__no_such_dunder__"):
        tfc.__no_such_dunder__  # noqa: B018
    with pytest.raises(AttributeError):
        tfc.nn.__version__  # noqa: B018 (tf.compat.v1.nn has none either)


def test_compat_binds_tfshare_names_strictly(monkeypatch):
    """A tfshare export the namespace needs, renamed or removed, fails the import
    (no silent fallback to TF's non-sharing function)."""
    from tfshare.compat.v1 import _api

    with pytest.raises(AttributeError, match="no_such_name"):
        _api.get("no_such_name")
    monkeypatch.delattr(tfshare, "get_variable")
    try:
        with pytest.raises(ImportError, match="get_variable"):
            importlib.reload(_api)
    finally:
        monkeypatch.undo()
        importlib.reload(_api)
    assert _api.get_variable is tfshare.get_variable


@pytest.mark.parametrize("stmt", [
    "from tfshare.compat.v1.contrib import rnn",
    "from tfshare.compat.v1.nn import rnn_cell",
    "import tfshare.compat.v1.layers",
    "from tfshare.compat.v1.layers import dense, Dense",
    "from tfshare.compat.v1.nn.rnn_cell import BasicLSTMCell, LSTMStateTuple",
    "from tfshare.compat.v1.contrib.rnn import LSTMCell, static_rnn",
    "from tfshare.compat.v1.contrib.layers import flatten",
    "from tfshare.compat.v1.train import init_from_checkpoint, Saver",
    "import tfshare.compat.v1.keras.utils",
    "import tfshare.compat.v1 as tf; tf.nn.rnn_cell.GRUCell; tf.contrib.rnn.MultiRNNCell",
])
def test_tf1_import_forms(stmt):
    exec(stmt, {})


def test_track_tf1_style_variables_is_reachable():
    assert tfc.keras.utils.track_tf1_style_variables is tfshare.track_tf1_style_variables
    mod = importlib.import_module("tfshare.compat.v1.keras.utils")
    assert mod.track_tf1_style_variables is tfshare.track_tf1_style_variables


def test_compat_imports_only_public_tfshare_names():
    """compat may import only names exported by tfshare (tfshare.__all__)."""
    import ast
    import pathlib

    root = pathlib.Path(tfc.__file__).parent.parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("tensorflow.python", "keras.src", "tf_keras")), path
                if node.module.startswith("tfshare") and not node.module.startswith("tfshare.compat"):
                    assert node.module == "tfshare", (path, node.module)
                    assert all(a.name in tfshare.__all__ for a in node.names), path
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith(("tensorflow.python", "keras.src", "tf_keras")), path
                    if a.name.startswith("tfshare.") and not a.name.startswith("tfshare.compat"):
                        raise AssertionError((path, a.name))


def test_regularization_losses_graph_and_eager():
    reg = lambda w: 2.0 * tf.reduce_sum(w)  # noqa: E731
    with tf.Graph().as_default():
        x = tfc.placeholder(tf.float32, [None, 3])
        with tfc.variable_scope("g"):
            tfc.layers.dense(x, 2, kernel_regularizer=reg, name="fc")
        assert tfc.losses.get_regularization_losses() == tfc.get_collection(
            tfc.GraphKeys.REGULARIZATION_LOSSES)
        assert len(tfc.losses.get_regularization_losses("g/")) == 1
        assert tfc.losses.get_regularization_losses("other/") == []
    tfc.reset_default_graph()
    assert float(tfc.losses.get_regularization_loss()) == 0.0
    tfc.layers.dense(np.ones((1, 3), np.float32), 2, kernel_regularizer=reg, name="fc")
    (kernel,) = tfc.trainable_variables()[:1]
    np.testing.assert_allclose(float(tfc.losses.get_regularization_loss()),
                               2.0 * float(tf.reduce_sum(kernel)), rtol=1e-6)
    kernel.assign(tf.ones_like(kernel))  # evaluated on the current values
    assert float(tfc.losses.get_regularization_loss()) == 12.0
    with pytest.raises(ValueError, match="`scope`"):
        tfc.losses.get_regularization_losses("fc")
    tfc.reset_default_graph()


def test_make_template_shares_in_eager_mode_and_rejects_new_variables():
    tfc.reset_default_graph()

    def scale(x):
        return x * tfc.get_variable("y", [], initializer=tfc.constant_initializer(3.0))

    t = tfc.make_template("scale", scale)
    assert float(t(2.0)) == 6.0 and float(t(1.0)) == 3.0
    assert [v.name for v in tfc.global_variables()] == ["scale/y:0"]
    assert t.variable_scope_name == "scale/" and t.trainable_variables == tfc.global_variables()

    calls = []

    def leaky(x):
        calls.append(1)
        return x * tfc.get_variable(f"v{len(calls)}", [], initializer=tfc.zeros_initializer())

    bad = tfc.make_template("leaky", leaky)
    bad(1.0)
    with pytest.raises(ValueError, match="v2 does not exist"):
        bad(1.0)  # TF1: the reusing scope refuses a new get_variable name
    with pytest.raises(ValueError, match="`name_`"):
        tfc.make_template("", scale)
    tfc.reset_default_graph()


def test_reset_default_graph_clears_the_eager_store():
    tfc.reset_default_graph()
    with tfc.variable_scope("r"):
        tfc.get_variable("w", [2])
        tfc.train.get_or_create_global_step()
    assert [v.name for v in tfc.global_variables()] == ["r/w:0", "r/global_step:0"]
    tfc.reset_default_graph()
    assert tfc.global_variables() == []
    assert tfc.train.get_global_step() is None


def test_global_step_follows_the_variable_scope_in_graph_mode():
    with tf.Graph().as_default():
        with tfc.variable_scope("Model"):
            step = tfc.train.get_or_create_global_step()
        assert step.name == "Model/global_step:0"
        assert tfc.train.get_or_create_global_step() is step
        assert tfc.get_collection(tfc.GraphKeys.GLOBAL_STEP) == [step]
        assert step.dtype.base_dtype == tf.int64
        assert step not in tfc.trainable_variables()
        with pytest.raises(ValueError, match='"global_step" already exists'):
            tfc.train.create_global_step()


# -- tf.layers argument checks and small behaviours -------------------------------------
@pytest.mark.parametrize("call, arg", [
    (lambda x: tfc.layers.dense(x, 0), "units"),
    (lambda x: tfc.layers.dense(x, -3), "units"),
    (lambda x: tfc.layers.dense(x, 2, activation="nope"), "activation"),
    (lambda x: tfc.layers.dropout(x, rate=1.5), "rate"),
    (lambda x: tfc.layers.conv1d(x, 0, 2), "filters"),
    (lambda x: tfc.layers.conv1d(x, 2, (2, 2)), "kernel_size"),
    (lambda x: tfc.layers.conv1d(x, 2, 2, padding="full"), "padding"),
    (lambda x: tfc.layers.conv1d(x, 2, 2, data_format="NHWC"), "data_format"),
    (lambda x: tfc.layers.max_pooling1d(x, 0, 1), "pool_size"),
    (lambda x: tfc.layers.batch_normalization(x, renorm=True), "renorm"),
])
def test_bad_layer_arguments_name_the_argument(call, arg):
    x = np.ones((2, 5, 3), np.float32)
    with pytest.raises(ValueError, match=f"`{arg}`") as e:
        call(x)
    assert "Received:" in str(e.value)


def test_dense_needs_a_defined_last_dimension():
    with tf.Graph().as_default():
        x = tfc.placeholder(tf.float32, [None, None])
        with pytest.raises(ValueError, match="last dimension of the inputs to `Dense`"):
            tfc.layers.dense(x, 2)


def test_conv_checks_rank():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
            tfc.layers.conv2d(tfc.placeholder(tf.float32, [None, 4, 3]), 2, 2)


def test_dropout_training_semantics():
    tfc.reset_default_graph()
    x = np.ones((50, 40), np.float32)
    np.testing.assert_array_equal(tfc.layers.dropout(x, 0.5).numpy(), x)  # training=False
    y = tfc.layers.dropout(x, 0.5, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.3 < (y == 0).mean() < 0.7
    y = tfc.layers.dropout(x, 0.5, training=tf.constant(False)).numpy()
    np.testing.assert_array_equal(y, x)


def test_dense_matches_numpy_and_uses_scope_initializer_for_kernel_only():
    tfc.reset_default_graph()
    x = np.random.RandomState(0).uniform(-1, 1, (3, 4)).astype(np.float32)
    with tfc.variable_scope("s", initializer=tfc.constant_initializer(0.5)):
        y = tfc.layers.dense(x, 2, activation=tfc.nn.relu)
    kernel, bias = tfc.global_variables()
    assert (kernel.name, bias.name) == ("s/dense/kernel:0", "s/dense/bias:0")
    np.testing.assert_array_equal(kernel.numpy(), np.full((4, 2), 0.5, np.float32))
    np.testing.assert_array_equal(bias.numpy(), np.zeros(2, np.float32))
    np.testing.assert_allclose(y.numpy(), np.maximum(x @ kernel.numpy(), 0), rtol=1e-6)


def test_regularization_loss_added_once_in_graph_mode():
    with tf.Graph().as_default():
        x = tfc.placeholder(tf.float32, [None, 3])
        reg = lambda w: tf.reduce_sum(w)  # noqa: E731
        layer = tfc.layers.Dense(2, kernel_regularizer=reg, name="regd")
        layer(x)
        layer(x)
        tfc.layers.dense(x, 2, kernel_regularizer=reg, name="regd", reuse=True)
        losses = tfc.get_collection(tfc.GraphKeys.REGULARIZATION_LOSSES)
        assert len(losses) == 1
        assert losses[0].name.startswith("regd/kernel/Regularizer/")
        assert layer.losses == losses


def test_layer_names_and_scope_names():
    with tf.Graph().as_default():
        x = tfc.placeholder(tf.float32, [None, 3])
        a, b = tfc.layers.Dense(2, name="fc"), tfc.layers.Dense(2, name="fc")
        a(x)
        b(x)
        assert (a.name, b.name, a.scope_name, b.scope_name) == ("fc", "fc", "fc", "fc_1")
        with tfc.variable_scope("s1"):
            c = tfc.layers.Dense(2, name="z")
            c(x)
        with tfc.variable_scope("s2"):
            c(x)
        assert [v.name for v in c.variables] == ["s1/z/kernel:0", "s1/z/bias:0"]
        assert len(tfc.global_variables()) == 6


def test_tf_layers_inside_track_tf1_style_variables():
    """tf.layers code inside a tracked Keras layer: the weights are the layer's,
    shared across calls, named by their TF1 names, and trainable by fit()."""
    import keras

    class Block(keras.layers.Layer):
        @tfc.keras.utils.track_tf1_style_variables
        def call(self, x):
            with tfc.variable_scope("enc"):
                h = tfc.layers.dense(x, 5, activation=tfc.nn.relu, name="fc")
                h = tfc.layers.batch_normalization(h, name="bn")
                return tfc.layers.dense(h, 3)

    block = Block(name="block")
    x = np.random.RandomState(0).uniform(-1, 1, (4, 6)).astype(np.float32)
    y1, y2 = block(x), block(x)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    assert sorted(w.path for w in block.weights) == sorted(
        "block/enc/" + n for n in ("fc/kernel", "fc/bias", "bn/gamma", "bn/beta", "bn/moving_mean",
                                   "bn/moving_variance", "dense/kernel", "dense/bias"))
    assert len(block.trainable_weights) == 6
    model = keras.Sequential([keras.Input((6,)), block])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.numpy().copy() for w in block.trainable_weights]
    model.fit(x, np.ones((4, 3), np.float32), epochs=1, verbose=0)
    assert any(not np.allclose(b, w.numpy())
               for b, w in zip(before, block.trainable_weights, strict=True))


def test_init_from_checkpoint_inside_a_tracked_keras_layer(tmp_path):
    """A TF1 checkpoint loaded by scope mapping into a Keras layer's TF1-style
    variables (eager; the layer's own store)."""
    import keras

    with tf.Graph().as_default():
        with tfc.variable_scope("old"):
            kernel = tfc.get_variable("fc/kernel", [6, 5])
            tfc.get_variable("fc/bias", [5], initializer=tfc.constant_initializer(0.25))
        saver = tfc.train.Saver()
        with tfc.Session() as sess:
            sess.run(tfc.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"))
            kernel_value = sess.run(kernel)

    class Block(keras.layers.Layer):
        @tfc.keras.utils.track_tf1_style_variables
        def call(self, x):
            with tfc.variable_scope("enc"):
                h = tfc.layers.dense(x, 5, name="fc")
            if not getattr(self, "loaded", False):
                tfc.train.init_from_checkpoint(path, {"old/": "enc/"})
                self.loaded = True
            return h

    block = Block(name="block")
    x = np.ones((2, 6), np.float32)
    y = block(x)
    k, b = block.weights
    np.testing.assert_array_equal(k.numpy(), kernel_value)
    np.testing.assert_array_equal(b.numpy(), np.full(5, 0.25, np.float32))
    np.testing.assert_allclose(block(x).numpy(), x @ kernel_value + 0.25, rtol=1e-5)
    assert y.shape == (2, 5)
