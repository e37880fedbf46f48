"""tfshare.param_report: parameter counts with and without weight sharing.

Expected numbers are derived here from the layer formulas (conv: k*k*cin*cout +
cout weights applied at each output position; LSTM: 4*n*(d+n) + 4*n applied at
each step), and the shared count is cross-checked against Keras'
``count_params``.
"""
import numpy as np
import pytest
import tensorflow as tf
import keras

import tfshare
from tfshare import param_report, ParamReport, ParamRow


def test_exported():
    for name in ("param_report", "ParamReport", "ParamRow"):
        assert name in tfshare.__all__


def test_lenet_first_layer_conv():
    k, cin, cout, hw = 5, 1, 6, 28
    inp = keras.Input((hw, hw, cin))
    model = keras.Model(inp, keras.layers.Conv2D(cout, k, name="c1")(inp))
    rep = param_report(model)
    per_pos = k * k * cin * cout + cout
    positions = (hw - k + 1) ** 2
    assert rep.shared == per_pos == model.count_params()
    assert rep.unshared == per_pos * positions
    assert rep.unshared == 89856  # the classic figure for 28x28 input
    assert rep["c1/kernel"].uses == positions
    assert rep["c1/kernel"].size == k * k * cin * cout
    assert rep["c1/bias"].unshared == cout * positions
    assert rep.ratio == pytest.approx(positions)
    text = str(rep)
    assert "89,856" in text and "156" in text and "c1/kernel" in text


def test_conv_same_padding_stride_and_channels_first():
    inp = keras.Input((3, 10, 12))
    out = keras.layers.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first", name="c")(inp)
    rep = param_report(keras.Model(inp, out))
    assert rep["c/kernel"].uses == 5 * 6  # ceil(10/2) x ceil(12/2)


def test_rnn_kernel_counted_per_step():
    T, d, n = 7, 3, 5
    inp = keras.Input((T, d))
    model = keras.Model(inp, keras.layers.LSTM(n, name="lstm")(inp))
    rep = param_report(model)
    shared = 4 * n * (d + n) + 4 * n
    assert rep.shared == shared == model.count_params()
    assert rep.unshared == shared * T
    for row in rep:
        assert row.uses == T


def test_variable_length_needs_steps():
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.SimpleRNN(3, name="r")])
    rep = param_report(model)
    assert rep.unshared == rep.shared
    assert all("unknown" in r.note for r in rep)
    rep9 = param_report(model, steps=9)
    assert rep9.unshared == 9 * rep9.shared == 9 * model.count_params()


def test_shared_layer_call_sites_and_positions():
    dense = keras.layers.Dense(2, name="shared")
    a = keras.Input((6, 4))  # each call applies the kernel at 6 positions
    b = keras.Input((6, 4))
    out = keras.layers.Concatenate()([dense(a), dense(b)])
    model = keras.Model([a, b], out)
    rep = param_report(model)
    assert rep.shared == 4 * 2 + 2 == model.count_params()
    row = rep["shared/kernel"]
    assert row.uses == 2 * 6
    assert "2 calls" in row.note
    assert rep.unshared == 2 * 6 * (4 * 2 + 2)


def test_embedding_and_time_distributed():
    T, V, E = 5, 11, 3
    ids = keras.Input((T,), dtype="int32")
    x = keras.layers.Embedding(V, E, name="emb")(ids)
    x = keras.layers.TimeDistributed(keras.layers.Dense(4, name="d"), name="td")(x)
    rep = param_report(keras.Model(ids, x))
    assert rep["emb/embeddings"].uses == T
    kern = [r for r in rep if r.name.endswith("kernel")][0]
    assert kern.uses == T and kern.size == E * 4
    assert rep.unshared == T * (V * E) + T * (E * 4 + 4)


def test_tied_weights_sum_uses():
    class Tied(keras.layers.Layer):
        def __init__(self, dense, **kw):
            super().__init__(**kw)
            self.inner = dense

        def call(self, x):
            return self.inner(x)

    d = keras.layers.Dense(3, name="d")
    inp = keras.Input((3,))
    h = d(inp)
    out = Tied(d, name="tied")(h)
    model = keras.Model(inp, out)
    rep = param_report(model)
    assert rep.shared == 12 == model.count_params()
    assert rep["d/kernel"].uses == 2
    assert rep.unshared == 24


def test_nested_model_multiplies_uses():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(2, name="d")(inner_in), name="inner")
    a, b, c = keras.Input((4,)), keras.Input((4,)), keras.Input((4,))
    outer = keras.Model([a, b, c], keras.layers.Add()([inner(a), inner(b), inner(c)]))
    rep = param_report(outer)
    assert rep.shared == 10
    assert rep.unshared == 30


def test_tf1_variables_list_dict_and_uses_override():
    w = tf.Variable(np.zeros((5, 5, 1, 6), np.float32), name="filter/w")
    b = tf.Variable(np.zeros((6,), np.float32), name="filter/b")
    other = tf.Variable(np.zeros((3,), np.float32), name="other/v", trainable=False)
    rep = param_report([w, b, other, w])  # duplicates counted once
    assert [r.name for r in rep] == ["filter/w", "filter/b", "other/v"]
    assert rep.shared == rep.unshared == 150 + 6 + 3
    rep2 = param_report([w, b, other], uses={"filter": 2, "filter/b:0": 4})
    assert rep2["filter/w"].uses == 2 and rep2["filter/b"].uses == 4
    assert rep2.unshared == 2 * 150 + 4 * 6 + 3
    rep3 = param_report({"x/w": w}, trainable_only=True)
    assert rep3.shared == 150 and rep3.rows[0].name == "x/w"
    assert param_report([w, other], trainable_only=True).shared == 150
    assert param_report([w, other]).trainable == 150


def test_objects_with_variables_method():
    class Store:
        def __init__(self, vs):
            self._vs = vs

        def variables(self):
            return list(self._vs)

    v = tf.Variable(np.ones((2, 3), np.float32), name="s/k")
    rep = param_report(Store([v]), uses={"s": 3})
    assert rep.shared == 6 and rep.unshared == 18


def test_frozen_layer_excluded_with_trainable_only():
    inp = keras.Input((4,))
    d1 = keras.layers.Dense(3, name="trunk")
    out = keras.layers.Dense(2, name="head")(d1(inp))
    model = keras.Model(inp, out)
    d1.trainable = False
    full = param_report(model)
    assert full.shared == 15 + 8
    assert full.trainable == 8
    assert param_report(model, trainable_only=True).shared == 8
    assert "(frozen)" in str(full)


def test_report_as_dict_and_rows():
    inp = keras.Input((4, 2))
    rep = param_report(keras.Model(inp, keras.layers.Dense(3, name="d")(inp)))
    d = rep.as_dict()
    assert d["shared"] == 9 and d["unshared"] == 36
    assert d["rows"][0]["name"] == "d/kernel" and d["rows"][0]["uses"] == 4
    assert isinstance(rep, ParamReport) and isinstance(rep.rows[0], ParamRow)
    with pytest.raises(KeyError):
        rep["missing"]


def test_bad_arguments():
    with pytest.raises(TypeError, match="model_or_variables"):
        param_report(42)
    with pytest.raises(ValueError, match="model_or_variables"):
        param_report(keras.layers.Dense(3))  # not built
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    with pytest.raises(ValueError, match="steps"):
        param_report(model, steps=0)
    with pytest.raises(ValueError, match="uses"):
        param_report(model, uses={"dense": -1})
    with pytest.raises(TypeError, match="uses"):
        param_report(model, uses=[("dense", 2)])


def test_tfshare_cell_in_keras_rnn_and_variable_store():
    T, d, n = 7, 3, 4
    inp = keras.Input((T, d))
    model = keras.Model(inp, keras.layers.RNN(tfshare.GRUCell(n), name="rnn")(inp))
    rep = param_report(model)
    shared = 3 * n * (d + n) + 3 * n  # gates [d+n, 2n] + 2n, candidate [d+n, n] + n
    assert rep.shared == shared == model.count_params()
    assert rep.unshared == T * shared
    assert {r.name for r in rep} >= {"rnn/gru_cell/gates/kernel", "rnn/gru_cell/candidate/kernel"}

    store = tfshare.VariableStore()
    with tfshare.store_scope(store):
        for _ in range(3):  # one filter applied three times: one variable
            with tfshare.variable_scope("filter", reuse=tfshare.AUTO_REUSE):
                tfshare.get_variable("w", [5, 5, 1, 6])
    rep = param_report(store, uses={"filter": 3})
    assert [r.name for r in rep] == ["filter/w"]
    assert rep.shared == 150 and rep.unshared == 450


def test_subclassed_model_counts_once_unless_told():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.SimpleRNN(3, name="r")

        def call(self, x):
            return self.rnn(x)

    model = Sub()
    model(np.zeros((2, 5, 4), np.float32))
    rep = param_report(model)
    shared = 4 * 3 + 3 * 3 + 3
    assert rep.shared == shared == model.count_params()
    assert rep.unshared == shared
    assert all("counted once" in r.note for r in rep)
    assert param_report(model, uses={"r": 5}).unshared == 5 * shared
