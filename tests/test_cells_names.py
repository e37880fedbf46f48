"""Variable names and shapes of the tfshare cells, against the legacy TF1 oracle.

One oracle run (module fixture) records, for every cell configuration, the
TF1 variables ``dynamic_rnn`` creates (full names and shapes), and for a set
of naming scenarios (default names, uniquification, ``scope=``, ``name=``,
reuse, MultiRNNCell, wrappers, collisions) the variables or the error. Each is
then compared with:

* Keras mode: the weight paths of ``keras.layers.RNN(cell, name="rnn")``;
* TF1 mode in eager mode (tfshare's own store);
* TF1 mode in ``tf.Graph().as_default()`` graph mode.

A few TF1 facts (docs/cells.md §1, §4) are also asserted literally.
"""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from oracle import needs_oracle
from cellutil import run_oracle_shared

# ---------------------------------------------------------------------------
# Cell configurations: (id, constructor expression over namespace C, input depth).
# The same expression builds the legacy cell (C = tf.compat.v1.nn.rnn_cell)
# and the tfshare cell (C = tfshare).
CONFIGS = [
    ("basic_rnn", "C.BasicRNNCell(4)", 5),
    ("basic_rnn_relu", "C.BasicRNNCell(4, activation='relu')", 5),
    ("basic_lstm", "C.BasicLSTMCell(4)", 5),
    ("basic_lstm_flat", "C.BasicLSTMCell(4, state_is_tuple=False)", 5),
    ("lstm", "C.LSTMCell(4)", 5),
    ("lstm_peep", "C.LSTMCell(4, use_peepholes=True)", 5),
    ("lstm_peep_proj", "C.LSTMCell(8, use_peepholes=True, num_proj=4)", 5),
    ("lstm_all_flat", "C.LSTMCell(4, use_peepholes=True, num_proj=2, cell_clip=1.0, "
                      "proj_clip=0.5, forget_bias=0.5, state_is_tuple=False)", 3),
    ("gru", "C.GRUCell(4)", 5),
    ("multi", "C.MultiRNNCell([C.LSTMCell(3), C.GRUCell(2)])", 5),
    ("multi_flat_same_object",
     "(lambda c: C.MultiRNNCell([c, c], state_is_tuple=False))"
     "(C.BasicLSTMCell(2, state_is_tuple=False))", 2),
    ("multi_nested", "C.MultiRNNCell([C.MultiRNNCell([C.GRUCell(2), C.GRUCell(2)]), "
                     "C.LSTMCell(3, num_proj=2)])", 5),
    ("dropout", "C.DropoutWrapper(C.LSTMCell(3), output_keep_prob=0.5)", 5),
    ("residual", "C.ResidualWrapper(C.GRUCell(3))", 3),
    ("device", "C.DeviceWrapper(C.BasicRNNCell(3), '/cpu:0')", 5),
    ("wrapper_in_wrapper", "C.DropoutWrapper(C.ResidualWrapper(C.LSTMCell(3)))", 3),
    ("multi_wrapped", "C.MultiRNNCell([C.DropoutWrapper(C.LSTMCell(3)), "
                      "C.ResidualWrapper(C.GRUCell(3))])", 5),
    ("wrapped_multi", "C.DropoutWrapper(C.MultiRNNCell([C.GRUCell(3), C.BasicRNNCell(2)]), "
                      "state_keep_prob=0.5)", 5),
]

# Naming scenarios, run in a fresh graph (oracle, tfshare graph mode) or a fresh
# eager store. ``vs`` is variable_scope, ``C`` the cell namespace, ``x3`` a
# [2, 3] input, ``zs(cell)`` the cell's zero state.
SCENARIOS = {
    "default_name": """
with vs("root"):
    c = C.LSTMCell(3)
    c(x3, zs(c))
""",
    "same_instance_twice": """
with vs("root"):
    c = C.LSTMCell(3)
    o, s = c(x3, zs(c))
    c(x3, s)
with vs("elsewhere"):
    c(x3, s)
""",
    "two_instances_one_scope": """
with vs("root"):
    a = C.LSTMCell(3); a(x3, zs(a))
    b = C.LSTMCell(3); b(x3, zs(b))
    g = C.GRUCell(2); g(x3, zs(g))
""",
    "named_cells": """
with vs("root"):
    a = C.GRUCell(2, name="enc"); a(x3, zs(a))
    b = C.GRUCell(2, name="enc"); b(x3, zs(b))
""",
    "scope_argument": """
with vs("root"):
    c = C.LSTMCell(3, use_peepholes=True)
    c(x3, zs(c), scope="myscope")
    c(x3, zs(c), scope="other")
""",
    "wrapper_forwards_scope": """
with vs("root"):
    w = C.DropoutWrapper(C.GRUCell(2))
    w(x3, zs(w), scope="bar")
""",
    "multi_scope_argument": """
m = C.MultiRNNCell([C.GRUCell(3), C.BasicRNNCell(3)])
m(x3, zs(m), scope="foo")
""",
    "multi_same_object": """
c = C.BasicLSTMCell(3)
m = C.MultiRNNCell([c, c])
with vs("root"):
    m(x3, zs(m))
""",
    "cell_in_two_scopes": """
c = C.LSTMCell(3)
with vs("a"):
    o, s = c(x3, zs(c))
with vs("b"):
    c(x3, s)
""",
    "reuse_constructor": """
with vs("root"):
    a = C.GRUCell(2); a(x3, zs(a))
    b = C.GRUCell(2, reuse=True); b(x3, zs(b))
""",
    "reuse_constructor_missing": """
with vs("root"):
    b = C.GRUCell(2, reuse=True); b(x3, zs(b))
""",
    "collision_in_reentered_scope": """
with vs("rnn"):
    a = C.LSTMCell(3); a(x3, zs(a))
with vs("rnn"):
    b = C.LSTMCell(3); b(x3, zs(b))
""",
    "auto_reuse_reentered_scope": """
with vs("rnn", reuse=AUTO_REUSE):
    a = C.LSTMCell(3); a(x3, zs(a))
with vs("rnn", reuse=AUTO_REUSE):
    b = C.LSTMCell(3); b(x3, zs(b))
""",
    "subclass_name_with_digits": """
class MyCell2D(C.RNNCell):
    @property
    def state_size(self):
        return 2

    @property
    def output_size(self):
        return 2

    def call(self, inputs, state):
        w = gv("w", [5, 2])
        h = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w))
        return h, h

with vs("root"):
    c = MyCell2D()
    c(x3, zs(c))
""",
    "float64_inputs": """
with vs("root"):
    c = C.GRUCell(2)
    c(tf.cast(x3, tf.float64), c.zero_state(2, tf.float64))
""",
}

_ORACLE_CODE = """
C = v1.nn.rnn_cell
vs = v1.variable_scope
gv = v1.get_variable
AUTO_REUSE = v1.AUTO_REUSE
configs = json.loads(IN_JSON)
for name, expr, depth in configs:
    with tf.Graph().as_default():
        cell = eval(expr)
        x = tf.constant(np.ones((2, depth), np.float32) * 0.1)
        with vs("rnn"):  # the scope dynamic_rnn opens; a direct call builds no loop
            cell(x, cell.zero_state(2, tf.float32))
        OUT["json:cfg:" + name] = [[v.name, v.shape.as_list()] for v in v1.global_variables()]
for name, code in json.loads(SC_JSON).items():
    with tf.Graph().as_default():
        x3 = tf.constant(np.ones((2, 3), np.float32) * 0.1)
        zs = lambda c: c.zero_state(2, tf.float32)
        try:
            exec(code)
            OUT["json:sc:" + name] = {"vars": [[v.name, v.shape.as_list(), v.dtype.base_dtype.name]
                                               for v in v1.global_variables()]}
        except Exception as e:
            OUT["json:sc:" + name] = {"error": type(e).__name__ + ": " + str(e).split(chr(10))[0]}
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    code = (f"IN_JSON = {json.dumps(json.dumps(CONFIGS))}\n"
            f"SC_JSON = {json.dumps(json.dumps(SCENARIOS))}\n" + _ORACLE_CODE)
    return run_oracle_shared(tmp_path_factory, "cells_names", code)


def _make(expr: str):
    return eval(expr, {"C": tfshare})


def _oracle_cfg(oracle, name):
    return [(n[: -len(":0")], tuple(s)) for n, s in oracle["json:cfg:" + name]]


# ---------------------------------------------------------------------------
# Keras mode: weight paths == TF1 names, shapes == TF1 shapes.


@needs_oracle
@pytest.mark.parametrize("name,expr,depth", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_keras_paths_equal_tf1_names(oracle, name, expr, depth):
    keras.backend.clear_session()
    layer = keras.layers.RNN(_make(expr), name="rnn")
    layer.build((2, 4, depth))
    got = [(w.path, tuple(w.shape)) for w in layer.weights]
    assert got == _oracle_cfg(oracle, name)


@needs_oracle
@pytest.mark.parametrize("name,expr,depth", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_tf1_mode_names_equal_tf1(oracle, name, expr, depth, mode):
    def run():
        cell = _make(expr)
        x = tf.constant(np.full((2, depth), 0.1, np.float32))
        with tfshare.variable_scope("rnn"):
            cell(x, cell.zero_state(2, tf.float32))
        return cell

    if mode == "eager":
        tfshare.reset_default_graph()
        cell = run()
        names = [(v.name, tuple(v.shape)) for v in tfshare.global_variables()]
    else:
        with tf.Graph().as_default():
            cell = run()
            names = [(v.name, tuple(v.shape.as_list())) for v in tfshare.global_variables()]
    want = [(n + ":0", s) for n, s in _oracle_cfg(oracle, name)]
    assert names == want
    assert [v.name for v in cell.weights] == [n for n, _ in want]


def _run_scenario(code: str, mode: str):
    ns = {"C": tfshare, "vs": tfshare.variable_scope, "AUTO_REUSE": tfshare.AUTO_REUSE,
          "tf": tf, "gv": tfshare.get_variable}

    def go():
        ns["x3"] = tf.constant(np.full((2, 3), 0.1, np.float32))
        ns["zs"] = lambda c: c.zero_state(2, tf.float32)
        try:
            exec(code, ns)
        except Exception as e:  # compared with the oracle's error (its builtin class)
            kind = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
            return {"error": kind + ": " + str(e).split("\n")[0]}
        return {"vars": [[v.name, list(v.shape), tf.as_dtype(v.dtype).base_dtype.name]
                         for v in tfshare.global_variables()]}

    if mode == "eager":
        tfshare.reset_default_graph()
        return go()
    with tf.Graph().as_default():
        return go()


@needs_oracle
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_tf1_naming_scenarios(oracle, scenario, mode):
    want = oracle["json:sc:" + scenario]
    got = _run_scenario(SCENARIOS[scenario], mode)
    assert got == want


# ---------------------------------------------------------------------------
# TF1 facts, asserted literally (docs/cells.md §1, §4).


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_spec_names_root_scope(mode):
    def go():
        x = tf.constant(np.full((2, 3), 0.1, np.float32))
        with tfshare.variable_scope("root"):
            a = tfshare.LSTMCell(4)
            out, st = a(x, a.zero_state(2, tf.float32))
            a(x, st)  # same instance: reuses
            b = tfshare.LSTMCell(4)
            b(x, b.zero_state(2, tf.float32))
        return [v.name for v in tfshare.global_variables()], st

    if mode == "eager":
        tfshare.reset_default_graph()
        names, st = go()
    else:
        with tf.Graph().as_default():
            names, st = go()
    assert names == ["root/lstm_cell/kernel:0", "root/lstm_cell/bias:0",
                     "root/lstm_cell_1/kernel:0", "root/lstm_cell_1/bias:0"]
    assert isinstance(st, tfshare.LSTMStateTuple)


def test_spec_keras_path_example():
    keras.backend.clear_session()
    layer = keras.layers.RNN(tfshare.LSTMCell(8, use_peepholes=True, num_proj=4), name="rnn")
    layer(np.zeros((2, 3, 5), np.float32))
    assert {w.path: tuple(w.shape) for w in layer.weights} == {
        "rnn/lstm_cell/kernel": (5 + 4, 32),
        "rnn/lstm_cell/bias": (32,),
        "rnn/lstm_cell/w_f_diag": (8,),
        "rnn/lstm_cell/w_i_diag": (8,),
        "rnn/lstm_cell/w_o_diag": (8,),
        "rnn/lstm_cell/projection/kernel": (8, 4),
    }


def test_keras_names_inside_bidirectional_and_models():
    keras.backend.clear_session()
    inp = keras.Input((3, 5))
    out = keras.layers.Bidirectional(keras.layers.RNN(tfshare.GRUCell(2)), name="bi")(inp)
    model = keras.Model(inp, out)
    paths = sorted(w.path for w in model.weights)
    assert paths == sorted(f"bi/{d}_rnn/gru_cell/{g}/{k}" for d in ("forward", "backward")
                           for g in ("gates", "candidate") for k in ("kernel", "bias"))
    seq = keras.Sequential([keras.Input((3, 5)),
                            keras.layers.RNN(tfshare.MultiRNNCell(
                                [tfshare.DropoutWrapper(tfshare.BasicLSTMCell(2))]), name="enc")])
    # (Sequential puts its own name first)
    assert [w.path for w in seq.weights] == [
        f"{seq.name}/enc/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        f"{seq.name}/enc/multi_rnn_cell/cell_0/basic_lstm_cell/bias"]


def test_direct_keras_call_outside_rnn():
    keras.backend.clear_session()
    cell = tfshare.DropoutWrapper(tfshare.GRUCell(3))
    x = tf.constant(np.full((2, 4), 0.1, np.float32))
    out, st = cell(x, cell.zero_state(2, tf.float32))
    assert [w.path for w in cell.weights] == ["gru_cell/gates/kernel", "gru_cell/gates/bias",
                                              "gru_cell/candidate/kernel", "gru_cell/candidate/bias"]
    assert out.shape == (2, 3) and st.shape == (2, 3)


def _local(v, cell_scope: str) -> str:
    name = (getattr(v, "path", None) or v.name).split(":")[0]
    return name.split(cell_scope + "/", 1)[1]


def test_default_initializers():
    """Glorot-uniform kernels, zero biases, GRU gate bias 1.0 (both modes)."""
    keras.backend.clear_session()
    x = tf.constant(np.full((2, 30), 0.1, np.float32))
    gru = tfshare.GRUCell(40)
    gru(x, gru.zero_state(2, tf.float32))
    lstm = tfshare.LSTMCell(40, use_peepholes=True, num_proj=20)
    lstm(x, lstm.zero_state(2, tf.float32))
    tfshare.reset_default_graph()
    with tfshare.variable_scope("tf1"):
        gru1 = tfshare.GRUCell(40)
        gru1(x, gru1.zero_state(2, tf.float32))
    for cell in (gru, gru1):
        w = {_local(v, "gru_cell"): np.asarray(v) for v in cell.weights}
        np.testing.assert_array_equal(w["gates/bias"], np.ones(80, np.float32))
        np.testing.assert_array_equal(w["candidate/bias"], np.zeros(40, np.float32))
        limit = np.sqrt(6.0 / (70 + 80))
        k = w["gates/kernel"]
        assert np.abs(k).max() <= limit and np.abs(k).max() > 0.8 * limit and abs(k.mean()) < 0.01
    lw = {_local(v, "lstm_cell"): np.asarray(v) for v in lstm.weights}
    np.testing.assert_array_equal(lw["bias"], np.zeros(160, np.float32))
    assert 0 < np.abs(lw["w_f_diag"]).max() <= np.sqrt(6.0 / 80)
    assert np.abs(lw["projection/kernel"]).max() <= np.sqrt(6.0 / 60)


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_scope_initializer_reaches_kernels_not_biases(mode):
    """TF1: biases ignore the scope initializer; kernels and
    peepholes use it."""
    def go():
        x = tf.constant(np.full((2, 3), 0.1, np.float32))
        with tfshare.variable_scope("root", initializer=tf.compat.v1.constant_initializer(0.5)):
            cells = [tfshare.GRUCell(2), tfshare.LSTMCell(2, use_peepholes=True, num_proj=1),
                     tfshare.BasicRNNCell(2)]
            for c in cells:
                c(x, c.zero_state(2, tf.float32))
        return [v.name for v in tfshare.global_variables()], tfshare.global_variables()

    if mode == "eager":
        tfshare.reset_default_graph()
        names, variables = go()
        values = [np.asarray(v) for v in variables]
    else:
        with tf.Graph().as_default():
            names, variables = go()
            with tf.compat.v1.Session() as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                values = sess.run(variables)
    got = {n: set(np.unique(v).tolist()) for n, v in zip(names, values, strict=True)}
    assert got == {
        "root/gru_cell/gates/kernel:0": {0.5}, "root/gru_cell/gates/bias:0": {1.0},
        "root/gru_cell/candidate/kernel:0": {0.5}, "root/gru_cell/candidate/bias:0": {0.0},
        "root/lstm_cell/kernel:0": {0.5}, "root/lstm_cell/bias:0": {0.0},
        "root/lstm_cell/w_f_diag:0": {0.5}, "root/lstm_cell/w_i_diag:0": {0.5},
        "root/lstm_cell/w_o_diag:0": {0.5}, "root/lstm_cell/projection/kernel:0": {0.5},
        "root/basic_rnn_cell/kernel:0": {0.5}, "root/basic_rnn_cell/bias:0": {0.0},
    }


def test_initializer_arguments_are_used():
    keras.backend.clear_session()
    x = tf.constant(np.full((2, 3), 0.1, np.float32))
    lstm = tfshare.LSTMCell(4, use_peepholes=True, num_proj=2,
                            initializer=keras.initializers.Constant(0.25))
    lstm(x, lstm.zero_state(2, tf.float32))
    vals = {v.path.split("lstm_cell/")[-1]: v.numpy() for v in lstm.weights}
    for k in ("kernel", "w_f_diag", "w_i_diag", "w_o_diag", "projection/kernel"):
        assert np.all(vals[k] == 0.25), k
    assert np.all(vals["bias"] == 0.0)
    gru = tfshare.GRUCell(2, kernel_initializer="ones", bias_initializer=keras.initializers.Constant(0.5))
    gru(x, gru.zero_state(2, tf.float32))
    vals = {v.path.split("gru_cell/")[-1]: v.numpy() for v in gru.weights}
    assert np.all(vals["gates/kernel"] == 1) and np.all(vals["candidate/kernel"] == 1)
    assert np.all(vals["gates/bias"] == 0.5) and np.all(vals["candidate/bias"] == 0.5)


class MyCell(tfshare.RNNCell):
    """A TF1-style custom cell: ``call`` asks for its variable itself."""

    @property
    def state_size(self):
        return 2

    @property
    def output_size(self):
        return 2

    def call(self, inputs, state):
        w = tfshare.get_variable("w", [int(inputs.shape[-1]) + 2, 2])
        h = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w))
        return h, h


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_custom_subclass_gets_snake_case_scope(mode):
    """docs/cells.md §1: a subclass implementing ``call`` with get_variable gets a
    ``<snake_case class name>`` level and tracks its variables."""
    def go():
        x = tf.constant(np.full((2, 3), 0.1, np.float32))
        cell = MyCell()
        with tfshare.variable_scope("rnn"):
            out, st = cell(x, cell.zero_state(2, tf.float32))
            cell(x, st)
        return cell, [v.name for v in tfshare.global_variables()]

    if mode == "eager":
        tfshare.reset_default_graph()
        cell, names = go()
    else:
        with tf.Graph().as_default():
            cell, names = go()
    assert names == ["rnn/my_cell/w:0"]
    assert [v.name for v in cell.trainable_weights] == ["rnn/my_cell/w:0"]


def test_second_model_in_one_process_keeps_tf1_paths():
    """Unnamed cells take their TF1 name as Keras layer name, not Keras' per-session
    counter (``lstm_cell_3``): a second model built in the same process, without
    ``clear_session``, has the same weight paths, so the same TF1 checkpoint fits."""
    def build():
        cell = tfshare.MultiRNNCell([tfshare.BasicLSTMCell(3), tfshare.BasicLSTMCell(3)])
        layer = keras.layers.RNN(cell, name="rnn")
        layer(np.zeros((1, 2, 4), np.float32))
        return [w.path for w in layer.weights]

    first, second = build(), build()
    assert first == second == [
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias",
    ]
