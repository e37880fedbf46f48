"""tfshare.variables in eager mode, tf.function, threads, MirroredStrategy and v1 graph mode.

Stock TF in eager mode silently creates a new variable on every get_variable
call (docs/variables.md §4); these tests pin the TF1 behaviour tfshare restores, and
check graph mode works with Saver, initializers and regularization losses.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

import tfshare.variables as tv
from tfshare.errors import VariableSharingError

v1 = tf.compat.v1


@pytest.fixture(autouse=True)
def fresh_store():
    tv.reset_default_graph()
    yield
    tv.reset_default_graph()


def test_eager_sharing_names_and_errors():
    with tv.variable_scope("enc"):
        with tv.variable_scope("dense"):
            w = tv.get_variable("kernel", [3, 2])
    assert w.name == "enc/dense/kernel:0"
    assert isinstance(w, tf.Variable)
    assert tv.current_store().keras_variable("enc/dense/kernel").path == "enc/dense/kernel"
    with tv.variable_scope("enc/dense", reuse=True):
        assert tv.get_variable("kernel") is w
        assert tv.get_variable("kernel", [3, 2]) is w
        with pytest.raises(ValueError, match="Variable enc/dense/bias does not exist"):
            tv.get_variable("bias", [2])
    with tv.variable_scope("enc", reuse=tv.AUTO_REUSE):
        with tv.variable_scope("dense"):
            assert tv.get_variable("kernel", [3, 2]) is w
            b = tv.get_variable("bias", [2])
            assert tv.get_variable("bias", [2]) is b
    with pytest.raises(VariableSharingError, match="Variable enc/dense/kernel already exists"):
        with tv.variable_scope("enc/dense"):
            tv.get_variable("kernel", [3, 2])
    # stock TF eager: a new variable each call (what tfshare fixes)
    with v1.variable_scope("stock", reuse=True):
        s1 = v1.get_variable("s", [1])
        s2 = v1.get_variable("s", [1])
    assert s1 is not s2
    assert tv.current_store().names() == ["enc/dense/kernel", "enc/dense/bias"]
    assert tv.global_variables() == [w, b]


def test_reset_default_graph_clears_store_and_counters():
    with tv.variable_scope(None, default_name="d") as s:
        tv.get_variable("v", [1])
    assert s.name == "d"
    with tv.variable_scope(None, default_name="d") as s:
        pass
    assert s.name == "d_1"
    tv.reset_default_graph()
    assert tv.current_store().variables() == []
    with tv.variable_scope(None, default_name="d") as s:
        v = tv.get_variable("v", [1])
    assert s.name == "d" and v.name == "d/v:0"


def test_tf1_mode_and_store_scope():
    assert tv.tf1_mode() is False
    with tv.variable_scope("x"):
        assert tv.tf1_mode() is True
        store = tv.VariableStore()
        with tv.store_scope(store):
            assert tv.current_store() is store
            assert tv.get_variable_scope().name == ""
            w = tv.get_variable("w", [2])
        assert tv.get_variable_scope().name == "x"
    assert tv.tf1_mode() is False
    with tv.store_scope(store):
        assert tv.tf1_mode() is True
    assert w.name == "w:0" and store.variables() == [w]
    assert tv.current_store().variables() == []
    with tf.Graph().as_default():
        assert tv.tf1_mode() is True
    with pytest.raises(TypeError, match="store"):
        with tv.store_scope("not a store"):
            pass


def test_store_scope_names_are_exact_in_graph_mode():
    """A store of Keras variables used in a v1 graph: the graph must not make the
    name scopes unique (``root_1/v:0``) where TF1 names the variable ``root/v:0``."""
    for mode in ("graph", "eager"):
        graph = tf.Graph() if mode == "graph" else None
        with graph.as_default() if graph is not None else contextlib.nullcontext():
            store = tv.VariableStore()
            with tv.store_scope(store):
                with tv.variable_scope("root"):
                    v = tv.get_variable("v", [1])
                    tf.constant(0.0, name="c")  # the op name scope "root" is taken
                with tv.variable_scope("root", reuse=True):
                    assert tv.get_variable("v", [1]) is v
                with tv.variable_scope("other"):
                    with tv.variable_scope("root"):
                        w = tv.get_variable("v", [1])
        assert [v.name, w.name] == ["root/v:0", "other/root/v:0"], mode
        assert [store.keras_variable(n).path for n in ("root/v", "other/root/v")] == [
            "root/v", "other/root/v"], mode


def test_variable_store_api():
    store = tv.VariableStore()
    reg = lambda v: tf.reduce_sum(v)  # noqa: E731
    with tv.store_scope(store):
        with tv.variable_scope("s", regularizer=reg):
            a = tv.get_variable("a", [2], initializer=v1.constant_initializer(1.5))
            b = tv.get_variable("b", [1], trainable=False)
            loc = tv.get_local_variable("loc", [1])
    assert store.variables() == [a, b, loc]
    assert store.get("s/a") is a and store.get("s/zz") is None
    assert store.trainable_variables() == [a]
    assert store.global_variables() == [a, b]
    assert store.local_variables() == [loc]
    assert [float(x) for x in store.regularization_losses()][:1] == [3.0]
    a.assign([2.0, 2.0])
    assert float(store.regularization_losses()[0]) == 4.0  # evaluated on the current value
    store.clear()
    assert store.variables() == [] and store.regularization_losses() == []


def test_tf_function_retrace_creates_nothing_new():
    traces = []

    @tf.function
    def f(x):
        traces.append(1)
        with tv.variable_scope("fn"):  # reuse=None: TF1 code that creates
            with tv.variable_scope(None, default_name="dense"):
                w = tv.get_variable("w", [3], initializer=v1.constant_initializer(2.0))
        return x * w

    assert np.allclose(f(tf.constant(1.0)), [2, 2, 2])
    created = list(tv.current_store().variables())
    assert [v.name for v in created] == ["fn/dense/w:0"]
    assert np.allclose(f(tf.constant([1.0, 2.0, 3.0])), [2, 4, 6])  # retrace
    assert np.allclose(f(tf.constant([[1.0, 1.0, 1.0]])), [[2, 2, 2]])  # retrace
    assert len(traces) >= 3  # TF traces twice when a first call creates variables
    assert tv.current_store().variables() == created
    created[0].assign([1.0, 1.0, 1.0])
    assert np.allclose(f(tf.constant(5.0)), [5, 5, 5])


def test_tf_function_double_creation_in_one_trace_still_fails():
    @tf.function
    def g():
        with tv.variable_scope("dup"):
            tv.get_variable("v", [1])
        with tv.variable_scope("dup"):
            tv.get_variable("v", [1])
        return 0

    with pytest.raises(ValueError, match="Variable dup/v already exists, disallowed"):
        g()


def test_tf_function_sees_eager_variables_and_rules():
    with tv.variable_scope("e"):
        w = tv.get_variable("w", [2], initializer=v1.constant_initializer(3.0))

    @tf.function
    def reuse_it():
        with tv.variable_scope("e", reuse=True):
            return tv.get_variable("w") * 1.0

    assert np.allclose(reuse_it(), [3, 3])

    @tf.function
    def create_again():
        with tv.variable_scope("e"):
            return tv.get_variable("w", [2]) * 1.0

    with pytest.raises(ValueError, match="Variable e/w already exists"):
        create_again()
    assert tv.current_store().variables() == [w]


def test_threads_auto_reuse_create_once():
    n_threads, names = 8, ["a", "b", "c"]
    results: list = []
    errors: list = []
    barrier = threading.Barrier(n_threads)

    def slow_init(shape, dtype=None, partition_info=None):
        time.sleep(0.02)  # widen the race window
        return tf.ones(shape, dtype)

    def work():
        try:
            barrier.wait()
            got = []
            with tv.variable_scope("shared", reuse=tv.AUTO_REUSE):
                for n in names:
                    got.append(tv.get_variable(n, [2], initializer=slow_init))
            results.append(got)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == n_threads
    store_vars = tv.current_store().variables()
    assert [v.name for v in store_vars] == ["shared/a:0", "shared/b:0", "shared/c:0"]
    for got in results:
        assert all(g is s for g, s in zip(got, store_vars, strict=True))


def test_threads_have_their_own_scope_stack():
    seen = {}

    def work(tag):
        with tv.variable_scope(tag):
            time.sleep(0.01)
            seen[tag] = tv.get_variable_scope().name

    ts = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {f"t{i}": f"t{i}" for i in range(4)}


def test_mirrored_strategy_variables_and_training_step(mirrored_strategy):
    strategy = mirrored_strategy
    assert strategy.num_replicas_in_sync == 2
    rng = np.random.RandomState(0)
    w0 = rng.uniform(-0.5, 0.5, (3, 2)).astype(np.float32)
    b0 = rng.uniform(-0.5, 0.5, (2,)).astype(np.float32)
    x = rng.uniform(-0.5, 0.5, (8, 3)).astype(np.float32)
    y = rng.uniform(-0.5, 0.5, (8, 2)).astype(np.float32)
    lr = 0.3
    with strategy.scope():
        with tv.variable_scope("model"):
            w = tv.get_variable("w", initializer=w0)
            b = tv.get_variable("b", initializer=b0)
        opt = v1.train.GradientDescentOptimizer(lr)
    assert isinstance(w, tf.distribute.DistributedValues)
    assert strategy.extended.variable_created_in_scope(w)
    assert w.name == "model/w:0"
    assert len(strategy.experimental_local_results(w)) == 2

    def replica_step(xb, yb):
        with tv.variable_scope("model", reuse=True):
            wr = tv.get_variable("w")
            br = tv.get_variable("b")
        return replica_step_body(xb, yb, wr, br)

    def replica_step_outer_scope(xb, yb):
        # the caller's scope ("model", reuse=True) is in force in every replica thread
        assert tv.get_variable_scope().name == "model"
        return replica_step_body(xb, yb, tv.get_variable("w"), tv.get_variable("b"))

    def replica_step_body(xb, yb, wr, br):
        with tf.GradientTape() as tape:
            err = tf.matmul(xb, wr) + br - yb
            loss = tf.reduce_sum(err * err) / 8.0  # global batch 8
        grads = tape.gradient(loss, [wr, br])
        return opt.apply_gradients(zip(grads, [wr, br]))

    @tf.function
    def step(dist_batch):
        strategy.run(replica_step, args=dist_batch)

    @tf.function
    def step_outer(dist_batch):
        with tv.variable_scope("model", reuse=True):
            strategy.run(replica_step_outer_scope, args=dist_batch)

    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    batch = next(iter(strategy.experimental_distribute_dataset(ds)))
    # independent numpy derivation of SGD steps on the mean squared error
    w_np, b_np = w0.astype(np.float64), b0.astype(np.float64)
    for fn in (step, step_outer, step):
        fn(batch)
        err = x @ w_np + b_np - y
        w_np, b_np = w_np - lr * 2.0 * x.T @ err / 8.0, b_np - lr * 2.0 * err.sum(0) / 8.0
        for local in strategy.experimental_local_results(w):
            np.testing.assert_allclose(local.numpy(), w_np, rtol=1e-5, atol=1e-6)
        for local in strategy.experimental_local_results(b):
            np.testing.assert_allclose(local.numpy(), b_np, rtol=1e-5, atol=1e-6)
    assert tv.current_store().variables() == [w, b]


def test_mirrored_replicas_share_variables_created_in_strategy_run(mirrored_strategy):
    """As TF1's MirroredStrategy: replica 0 creates, the other replicas reuse."""
    strategy = mirrored_strategy
    names = []

    def replica_fn():
        with tv.variable_scope("made_in_run"):
            z = tv.get_variable("z", [2], initializer=v1.ones_initializer())
        names.append(tv.get_variable_scope().name)
        return z * 2.0

    @tf.function
    def run():
        return strategy.run(replica_fn)

    with strategy.scope():
        out = run()
    assert [v.name for v in tv.current_store().variables()] == ["made_in_run/z:0"]
    z = tv.current_store().get("made_in_run/z")
    assert isinstance(z, tf.distribute.DistributedValues)
    for local in strategy.experimental_local_results(out):
        np.testing.assert_allclose(local.numpy(), [2.0, 2.0])
    assert names and set(names) == {""}


def test_graph_mode_collections_saver_initializer_regularization(tmp_path):
    rng = np.random.RandomState(1)
    k0 = rng.uniform(-0.5, 0.5, (2, 3)).astype(np.float32)
    reg = lambda v: 0.5 * tf.reduce_sum(tf.square(v))  # noqa: E731
    path = os.fspath(tmp_path / "model.ckpt")
    g = tf.Graph()
    with g.as_default():
        with tv.variable_scope("net", regularizer=reg):
            k = tv.get_variable("kernel", initializer=k0)
            step = tv.get_variable("step", [], dtype=tf.int32, trainable=False,
                                   regularizer=tv.no_regularizer)
        with tv.variable_scope("net", reuse=True):
            assert tv.get_variable("kernel") is k
        assert v1.global_variables() == [k, step]
        assert v1.trainable_variables() == [k]
        assert tv.current_store().variables() == [k, step]
        loss = v1.losses.get_regularization_loss()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            np.testing.assert_allclose(sess.run(k), k0)
            np.testing.assert_allclose(sess.run(loss), 0.5 * np.sum(k0 ** 2), rtol=1e-6)
            sess.run(k.assign(k0 * 2.0))
            v1.train.Saver().save(sess, path)
    keys = dict(tf.train.list_variables(path))
    assert keys == {"net/kernel": [2, 3], "net/step": []}
    with tf.Graph().as_default():
        assert tv.current_store().variables() == []  # a new graph, a new store
        with tv.variable_scope("net"):
            k2 = tv.get_variable("kernel", [2, 3])
            tv.get_variable("step", [], dtype=tf.int32, trainable=False)
        with v1.Session() as sess:
            v1.train.Saver().restore(sess, path)
            np.testing.assert_allclose(sess.run(k2), k0 * 2.0)


def test_device_scopes_and_tf1_mode_inside_functions():
    with tf.Graph().as_default():
        with tf.device("/cpu:1"):
            g = tv.get_variable("g", [1])
            s = v1.get_variable("s", [1])
        assert g.device == s.device and g.device.endswith("CPU:1")
        assert g.op.name == "g"
    with tf.device("/cpu:1"):
        e = tv.get_variable("e", [1])
    assert e.device.endswith("CPU:1")
    seen = []

    @tf.function
    def f():
        seen.append((tv.tf1_mode(), tv.get_variable_scope().name))
        return 0

    f()
    with tv.variable_scope("outer"):
        f.python_function()  # eager call of the body
        tf.function(f.python_function)()  # a fresh trace inside the scope
    assert seen == [(False, ""), (True, "outer"), (True, "outer")]
