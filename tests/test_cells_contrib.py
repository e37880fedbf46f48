"""The ``tf.contrib.rnn`` wrappers: ``OutputProjectionWrapper``,
``InputProjectionWrapper``, ``EmbeddingWrapper`` (docs/cells.md §1, §4).

(a) oracle: TF 2.21's legacy TF1 stack has no contrib wrappers, so the oracle
    side uses small reference wrappers written here on the oracle's *own*
    legacy ``RNNCell`` base (as the TF 1.15 contrib classes were): their scope
    levels, the nesting of the wrapped cell below the wrapper and the reuse
    behaviour therefore come from the legacy implementation, not from tfshare.
    The same TF1 program texts run on the oracle and on ``tfshare.compat.v1``
    (graph mode); variable names, shapes, outputs, states and gradients must
    agree. One ``run_oracle`` call per module.
(b) numpy: independent equations (GRU, BasicRNN, projection, embedding lookup)
    reproduce tfshare's numbers in TF1 mode and in Keras mode.
(c) Keras: paths inside ``keras.layers.RNN``, config round trips, ``.keras``
    files; bad arguments.
"""
from __future__ import annotations

import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from cellutil import run_oracle_shared
from oracle import needs_oracle

ATOL = 1e-5

# --------------------------------------------------------------------------------------
# (a) the oracle
# --------------------------------------------------------------------------------------

#: Reference wrappers on the oracle's legacy RNNCell (TF 1.15 contrib semantics:
#: the wrapper's own variables in its scope, the wrapped cell called inside it).
ORACLE_REFERENCE = r'''
import math as _math
import types as _types

_RNNCell = _v1.nn.rnn_cell.RNNCell


class _Ref(_RNNCell):
    def __init__(self, cell, reuse=None):
        super().__init__(_reuse=reuse)
        self._cell = cell

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    def zero_state(self, batch_size, dtype):
        with _v1.name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)

    @staticmethod
    def _project(x, n, act):
        w = _v1.get_variable("kernel", [int(x.shape[1]), n], dtype=x.dtype)
        b = _v1.get_variable("bias", [n], dtype=x.dtype, initializer=_v1.zeros_initializer())
        y = _v1.nn.bias_add(_v1.matmul(x, w), b)
        return act(y) if act else y


class OutputProjectionWrapper(_Ref):
    def __init__(self, cell, output_size, activation=None, reuse=None):
        super().__init__(cell, reuse)
        self._n, self._act = output_size, activation

    @property
    def output_size(self):
        return self._n

    def call(self, inputs, state):
        out, new_state = self._cell(inputs, state)
        return self._project(out, self._n, self._act), new_state


class InputProjectionWrapper(_Ref):
    def __init__(self, cell, num_proj, activation=None, input_size=None, reuse=None):
        super().__init__(cell, reuse)
        self._n, self._act = num_proj, activation

    def call(self, inputs, state):
        return self._cell(self._project(inputs, self._n, self._act), state)


class EmbeddingWrapper(_Ref):
    def __init__(self, cell, embedding_classes, embedding_size, initializer=None, reuse=None):
        super().__init__(cell, reuse)
        self._shape = [embedding_classes, embedding_size]
        self._init = initializer

    def call(self, inputs, state):
        init = self._init or _v1.get_variable_scope().initializer or \
            _v1.random_uniform_initializer(-_math.sqrt(3), _math.sqrt(3))
        dtype = tf.nest.flatten(state)[0].dtype
        emb = _v1.get_variable("embedding", self._shape, initializer=init, dtype=dtype)
        return self._cell(_v1.nn.embedding_lookup(emb, _v1.reshape(inputs, [-1])), state)


_rc = _v1.nn.rnn_cell
contrib = _types.SimpleNamespace(
    OutputProjectionWrapper=OutputProjectionWrapper, InputProjectionWrapper=InputProjectionWrapper,
    EmbeddingWrapper=EmbeddingWrapper, GRUCell=_rc.GRUCell, BasicLSTMCell=_rc.BasicLSTMCell,
    BasicRNNCell=_rc.BasicRNNCell, MultiRNNCell=_rc.MultiRNNCell, static_rnn=_v1.nn.static_rnn)
tf1 = _v1
'''

#: TF1 programs (free names: ``tf1`` = the v1 namespace, ``contrib`` = the
#: ``tf.contrib.rnn`` namespace, ``IN``). Each sets FETCH (name -> tensor) and
#: optionally LOSS (gradients of it w.r.t. every trainable variable are fetched).
PROGRAMS = {
    "opw_dynamic": r'''
x = tf1.placeholder(tf1.float32, [None, 3, 5])
out, st = tf1.nn.dynamic_rnn(contrib.OutputProjectionWrapper(contrib.GRUCell(4), 7), x,
                             dtype=tf1.float32)
FEED = {x: IN["x"]}
FETCH = {"out": out, "state": st}
LOSS = tf1.reduce_sum(out * out)
''',
    "ipw_lstm_scope": r'''
x = tf1.placeholder(tf1.float32, [None, 3, 5])
cell = contrib.InputProjectionWrapper(contrib.BasicLSTMCell(3), 6, activation=tf1.tanh)
out, st = tf1.nn.dynamic_rnn(cell, x, dtype=tf1.float32, scope="ip")
FEED = {x: IN["x"]}
FETCH = {"out": out, "c": st.c, "h": st.h}
LOSS = tf1.reduce_sum(out * out)
''',
    "emb_dynamic": r'''
ids = tf1.placeholder(tf1.int32, [None, 3, 1])
cell = contrib.EmbeddingWrapper(contrib.GRUCell(4), 10, 3)
out, st = tf1.nn.dynamic_rnn(cell, ids, dtype=tf1.float32)
FEED = {ids: IN["ids"][:, :, None]}
FETCH = {"out": out, "state": st}
LOSS = tf1.reduce_sum(out * out)
''',
    "scopes": r'''
x0 = tf1.constant(IN["x"][:, 0])
h0 = tf1.constant(IN["h"])
c = contrib.OutputProjectionWrapper(contrib.GRUCell(4), 2, activation=tf1.sigmoid)
a, _ = c(x0, h0, scope="foo")
a2, _ = c(x0 * 2.0, h0)                      # same instance again: reuses foo/*
with tf1.variable_scope("two"):
    d1, _ = contrib.OutputProjectionWrapper(contrib.BasicRNNCell(4), 3)(x0, h0)
with tf1.variable_scope("two", reuse=True):   # a new instance shares two/output_projection_wrapper
    d2, _ = contrib.OutputProjectionWrapper(contrib.BasicRNNCell(4), 3)(x0 * 0.5, h0)
# Two unnamed wrappers in ONE scope block: TF1's plain RNNCell re-enters the current
# scope by object, whose exit restores the default_name counters, so both pick
# three/output_projection_wrapper and the second one's cell collides.
import re as _re
try:
    with tf1.variable_scope("three"):
        contrib.OutputProjectionWrapper(contrib.BasicRNNCell(4), 3)(x0, h0)
        contrib.OutputProjectionWrapper(contrib.BasicRNNCell(4), 3)(x0, h0)
    collision = None
except ValueError as e:
    collision = _re.search(r"Variable (\S+) already exists", str(e)).group(1)
EXTRA = {"collision": collision}
multi = contrib.MultiRNNCell([contrib.OutputProjectionWrapper(contrib.GRUCell(3), 4),
                              contrib.InputProjectionWrapper(contrib.GRUCell(2), 5)])
m, ms = tf1.nn.dynamic_rnn(multi, tf1.constant(IN["x"]), dtype=tf1.float32)
FETCH = {"a": a, "a2": a2, "d1": d1, "d2": d2, "m": m, "ms0": ms[0], "ms1": ms[1]}
''',
    "seq2seq": r'''
# legacy_seq2seq.embedding_rnn_seq2seq(feed_previous=True), written out
T_ENC, T_DEC, V_IN, V_OUT, E = 4, 3, 9, 8, 3
enc = [tf1.placeholder(tf1.int32, [None]) for _ in range(T_ENC)]
dec = [tf1.placeholder(tf1.int32, [None]) for _ in range(T_DEC)]
with tf1.variable_scope("embedding_rnn_seq2seq"):
    enc_cell = contrib.EmbeddingWrapper(contrib.GRUCell(4), V_IN, E)
    _, enc_state = contrib.static_rnn(enc_cell, enc, dtype=tf1.float32)
    cell = contrib.OutputProjectionWrapper(contrib.GRUCell(4), V_OUT)
    with tf1.variable_scope("embedding_rnn_decoder"):
        embedding = tf1.get_variable("embedding", [V_OUT, E])
        with tf1.variable_scope("rnn_decoder"):
            state, outputs, prev = enc_state, [], None
            for i, sym in enumerate(dec):
                if prev is not None:
                    sym = tf1.stop_gradient(tf1.argmax(prev, 1))
                inp = tf1.nn.embedding_lookup(embedding, sym)
                if i > 0:
                    tf1.get_variable_scope().reuse_variables()
                prev, state = cell(inp, state)
                outputs.append(prev)
FEED = {**{p: IN["enc"][:, t] for t, p in enumerate(enc)},
        **{p: IN["dec"][:, t] for t, p in enumerate(dec)}}
FETCH = {"logits": tf1.stack(outputs, 1), "state": state}
LOSS = tf1.add_n([tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(
    labels=IN["dec"][:, t], logits=o)) for t, o in enumerate(outputs)])
''',
}

#: Runs every program in its own graph; every float variable gets values
#: seeded by its name, so both sides start from identical weights.
RUNNER = r'''
import zlib as _zlib


def _seeded(name, shape):
    rng = np.random.RandomState(_zlib.crc32(name.encode()) % (2 ** 31))
    return rng.uniform(-0.5, 0.5, shape).astype(np.float32)


def run_programs(programs, tf1, contrib, IN, OUT, make_graph):
    for pname, src in programs.items():
        with make_graph():
            g = {"tf1": tf1, "contrib": contrib, "IN": IN, "np": np}
            exec(compile(src, pname, "exec"), g)
            vars_ = tf1.global_variables()
            OUT["json:" + pname + "/vars"] = [[v.name, v.shape.as_list()] for v in vars_]
            for k, val in g.get("EXTRA", {}).items():
                OUT["json:" + pname + "/extra/" + k] = val
            fetch = dict(g["FETCH"])
            if "LOSS" in g:
                tv = tf1.trainable_variables()
                for v, gr in zip(tv, tf1.gradients(g["LOSS"], tv)):
                    fetch["grad/" + v.name] = tf1.convert_to_tensor(gr)  # dense (embeddings)
            with tf1.Session() as sess:
                sess.run(tf1.global_variables_initializer())
                for v in vars_:
                    v.load(_seeded(v.name, v.shape.as_list()), sess)
                for k, val in sess.run(fetch, g.get("FEED", {})).items():
                    OUT[pname + "/" + k] = np.asarray(val)
'''


INPUTS = r'''
def make_inputs():
    rng = np.random.RandomState(20261127)
    return {"x": rng.uniform(-1, 1, (2, 3, 5)).astype(np.float32),
            "h": rng.uniform(-0.5, 0.5, (2, 4)).astype(np.float32),
            "ids": rng.randint(0, 10, (2, 3)).astype(np.int32),
            "enc": rng.randint(0, 9, (3, 4)).astype(np.int32),
            "dec": rng.randint(0, 8, (3, 3)).astype(np.int32)}
'''


def _inputs() -> dict:
    ns: dict = {"np": np}
    exec(INPUTS, ns)
    return ns["make_inputs"]()


def _run_tfshare() -> dict:
    import tfshare.compat.v1 as tfc

    ns: dict = {"np": np}
    exec(RUNNER, ns)
    out: dict = {}
    ns["run_programs"](PROGRAMS, tfc, tfc.contrib.rnn, _inputs(), out,
                       lambda: tf.Graph().as_default())
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """One oracle run per session (shared by the xdist workers)."""
    code = "_v1 = tf.compat.v1\n" + ORACLE_REFERENCE + RUNNER + INPUTS + (
        f"run_programs({PROGRAMS!r}, tf1, contrib, make_inputs(), OUT, "
        "lambda: _v1.Graph().as_default())\n")
    return {"oracle": run_oracle_shared(tmp_path_factory, "cells_contrib", code),
            "tfshare": _run_tfshare()}


#: The variable layouts of the spec (docs/cells.md §1 and the TF 1.15 contrib source:
#: the wrapper calls the wrapped cell inside its own scope).
EXPECTED_NAMES = {
    "opw_dynamic": [
        ["rnn/output_projection_wrapper/gru_cell/gates/kernel:0", [9, 8]],
        ["rnn/output_projection_wrapper/gru_cell/gates/bias:0", [8]],
        ["rnn/output_projection_wrapper/gru_cell/candidate/kernel:0", [9, 4]],
        ["rnn/output_projection_wrapper/gru_cell/candidate/bias:0", [4]],
        ["rnn/output_projection_wrapper/kernel:0", [4, 7]],
        ["rnn/output_projection_wrapper/bias:0", [7]]],
    "ipw_lstm_scope": [
        ["ip/input_projection_wrapper/kernel:0", [5, 6]],
        ["ip/input_projection_wrapper/bias:0", [6]],
        ["ip/input_projection_wrapper/basic_lstm_cell/kernel:0", [9, 12]],
        ["ip/input_projection_wrapper/basic_lstm_cell/bias:0", [12]]],
    "emb_dynamic": [
        ["rnn/embedding_wrapper/embedding:0", [10, 3]],
        ["rnn/embedding_wrapper/gru_cell/gates/kernel:0", [7, 8]],
        ["rnn/embedding_wrapper/gru_cell/gates/bias:0", [8]],
        ["rnn/embedding_wrapper/gru_cell/candidate/kernel:0", [7, 4]],
        ["rnn/embedding_wrapper/gru_cell/candidate/bias:0", [4]]],
}


@needs_oracle
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_variable_names_and_shapes_match_oracle(both, name):
    ours = both["tfshare"]["json:" + name + "/vars"]
    theirs = both["oracle"]["json:" + name + "/vars"]
    assert ours == theirs
    if name in EXPECTED_NAMES:
        assert ours == EXPECTED_NAMES[name]


@needs_oracle
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_outputs_states_and_gradients_match_oracle(both, name):
    ours, theirs = both["tfshare"], both["oracle"]
    keys = sorted(k for k in theirs if k.startswith(name + "/") and not k.startswith("json:"))
    assert keys and keys == sorted(k for k in ours if k.startswith(name + "/"))
    if name != "scopes":
        assert any("/grad/" in k for k in keys)
    worst = 0.0
    for k in keys:
        assert ours[k].shape == theirs[k].shape, k
        assert np.any(theirs[k] != 0), k  # nothing trivially zero
        worst = max(worst, float(np.max(np.abs(ours[k] - theirs[k]))))
    assert worst < ATOL, (name, worst)


@needs_oracle
def test_scope_layouts(both):
    """``scope=`` at the first call is the wrapper's scope exactly (the wrapped cell
    nests below it); a new instance under ``reuse=True`` shares; two unnamed
    instances in one block collide (TF1); MultiRNNCell puts wrappers under
    ``cell_k``."""
    for side in ("oracle", "tfshare"):
        assert (both[side]["json:scopes/extra/collision"]
                == "three/output_projection_wrapper/basic_rnn_cell/kernel"), side
    names = [n for n, _ in both["oracle"]["json:scopes/vars"]]
    assert names == [
        "foo/gru_cell/gates/kernel:0", "foo/gru_cell/gates/bias:0",
        "foo/gru_cell/candidate/kernel:0", "foo/gru_cell/candidate/bias:0",
        "foo/kernel:0", "foo/bias:0",
        "two/output_projection_wrapper/basic_rnn_cell/kernel:0",
        "two/output_projection_wrapper/basic_rnn_cell/bias:0",
        "two/output_projection_wrapper/kernel:0", "two/output_projection_wrapper/bias:0",
        "three/output_projection_wrapper/basic_rnn_cell/kernel:0",
        "three/output_projection_wrapper/basic_rnn_cell/bias:0",
        "three/output_projection_wrapper/kernel:0", "three/output_projection_wrapper/bias:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/gru_cell/gates/kernel:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/gru_cell/gates/bias:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/gru_cell/candidate/kernel:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/gru_cell/candidate/bias:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/kernel:0",
        "rnn/multi_rnn_cell/cell_0/output_projection_wrapper/bias:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/kernel:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/bias:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/gru_cell/gates/kernel:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/gru_cell/gates/bias:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/gru_cell/candidate/kernel:0",
        "rnn/multi_rnn_cell/cell_1/input_projection_wrapper/gru_cell/candidate/bias:0"]


@needs_oracle
def test_seq2seq_checkpoint_names(both):
    """The names of TF1 translate-style checkpoints."""
    names = {n for n, _ in both["tfshare"]["json:seq2seq/vars"]}
    p = "embedding_rnn_seq2seq/"
    assert {p + "rnn/embedding_wrapper/embedding:0",
            p + "rnn/embedding_wrapper/gru_cell/gates/kernel:0",
            p + "embedding_rnn_decoder/embedding:0",
            p + "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/gru_cell/gates/kernel:0",
            p + "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/kernel:0",
            p + "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/bias:0"} <= names
    assert len(names) == 12


# --------------------------------------------------------------------------------------
# (b) numpy
# --------------------------------------------------------------------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def np_gru(W, p, x, h):
    xh = np.concatenate([x, h], 1)
    g = _sigmoid(xh @ W[p + "gates/kernel"] + W[p + "gates/bias"])
    n = h.shape[1]
    r, u = g[:, :n], g[:, n:]
    c = np.tanh(np.concatenate([x, r * h], 1) @ W[p + "candidate/kernel"] + W[p + "candidate/bias"])
    return u * h + (1 - u) * c


def np_basic_rnn(W, p, x, h):
    return np.tanh(np.concatenate([x, h], 1) @ W[p + "kernel"] + W[p + "bias"])


def _store_weights(prefix: str) -> dict:
    return {v.name[len(prefix):-2]: v.numpy() for v in tfshare.global_variables()
            if v.name.startswith(prefix)}


def _randomize(variables, seed):
    rng = np.random.default_rng(seed)
    for v in variables:
        v.assign(rng.uniform(-0.5, 0.5, v.shape).astype(np.float32))


@pytest.fixture
def fresh():
    tfshare.reset_default_graph()
    keras.backend.clear_session()
    yield
    tfshare.reset_default_graph()


def _np_opw_gru(W, x, h, p="", act=lambda z: z):
    outs = []
    for t in range(x.shape[1]):
        h = np_gru(W, p + "gru_cell/", x[:, t], h)
        outs.append(act(h @ W[p + "kernel"] + W[p + "bias"]))
    return np.stack(outs, 1), h


def test_output_projection_numpy_tf1_mode(fresh):
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 5)).astype(np.float32)
    cell = tfshare.OutputProjectionWrapper(tfshare.GRUCell(4), 7)
    tfshare.dynamic_rnn(cell, x, dtype=tf.float32)
    _randomize(cell.weights, 2)
    out, state = tfshare.dynamic_rnn(cell, x, dtype=tf.float32)
    W = _store_weights("rnn/output_projection_wrapper/")
    want_out, want_state = _np_opw_gru(W, x, np.zeros((2, 4), np.float32))
    assert out.shape == (2, 3, 7) and cell.output_size == 7 and cell.state_size == 4
    np.testing.assert_allclose(out.numpy(), want_out, atol=ATOL)
    np.testing.assert_allclose(state.numpy(), want_state, atol=ATOL)
    # bias starts at zeros; the kernel has the scope default (glorot) shape
    assert len(cell.weights) == 6


def test_projection_biases_start_at_zero_and_ignore_scope_initializer(fresh):
    with tfshare.variable_scope("s", initializer=tf.constant_initializer(0.5)):
        tfshare.dynamic_rnn(tfshare.OutputProjectionWrapper(tfshare.BasicRNNCell(2), 3),
                            np.ones((1, 2, 2), np.float32), dtype=tf.float32)
        tfshare.dynamic_rnn(tfshare.InputProjectionWrapper(tfshare.BasicRNNCell(2), 3),
                            np.ones((1, 2, 2), np.float32), dtype=tf.float32, scope="ip")
    W = {v.name: v.numpy() for v in tfshare.global_variables()}
    for p in ("s/rnn/output_projection_wrapper/", "s/ip/input_projection_wrapper/"):
        assert np.all(W[p + "bias:0"] == 0)
        assert np.all(W[p + "kernel:0"] == 0.5)


def test_input_projection_numpy_tf1_mode(fresh):
    x = np.random.default_rng(3).uniform(-1, 1, (2, 3, 5)).astype(np.float32)
    h0 = np.random.default_rng(4).uniform(-0.5, 0.5, (2, 4)).astype(np.float32)
    cell = tfshare.InputProjectionWrapper(tfshare.BasicRNNCell(4), 6, activation="relu")
    assert cell.output_size == 4 and cell.state_size == 4
    tfshare.dynamic_rnn(cell, x, initial_state=h0)
    _randomize(cell.weights, 5)
    out, state = tfshare.dynamic_rnn(cell, x, initial_state=h0)
    W = _store_weights("rnn/input_projection_wrapper/")
    assert W["kernel"].shape == (5, 6) and W["basic_rnn_cell/kernel"].shape == (10, 4)
    h, outs = h0, []
    for t in range(3):
        proj = np.maximum(x[:, t] @ W["kernel"] + W["bias"], 0)
        h = np_basic_rnn(W, "basic_rnn_cell/", proj, h)
        outs.append(h)
    np.testing.assert_allclose(out.numpy(), np.stack(outs, 1), atol=ATOL)
    np.testing.assert_allclose(state.numpy(), h, atol=ATOL)


@pytest.mark.parametrize("ids_shape", ["batch", "batch1"])
def test_embedding_numpy_static_rnn_int_ids(fresh, ids_shape):
    ids = np.array([[1, 7, 0], [9, 2, 2]], np.int32)  # [batch, time]
    steps = [ids[:, t] if ids_shape == "batch" else ids[:, t:t + 1] for t in range(3)]
    cell = tfshare.EmbeddingWrapper(tfshare.GRUCell(4), 10, 3)
    tfshare.static_rnn(cell, steps, dtype=tf.float32)
    _randomize(cell.weights, 6)
    outs, state = tfshare.static_rnn(cell, steps, dtype=tf.float32)
    W = _store_weights("rnn/embedding_wrapper/")
    assert W["embedding"].shape == (10, 3)
    h = np.zeros((2, 4), np.float32)
    for t in range(3):
        h = np_gru(W, "gru_cell/", W["embedding"][ids[:, t]], h)
        np.testing.assert_allclose(outs[t].numpy(), h, atol=ATOL)
    np.testing.assert_allclose(state.numpy(), h, atol=ATOL)


def test_embedding_initializer_precedence(fresh):
    def make(scope, **kw):
        with tfshare.variable_scope(scope, **kw):
            cell = tfshare.EmbeddingWrapper(tfshare.BasicRNNCell(2), 2000, 5, **ctor.get(scope, {}))
            cell(tf.constant([1, 2]), tf.zeros((2, 2)))
        return tfshare.global_variables(scope=scope + "/embedding_wrapper/embedding")[0].numpy()

    ctor = {"own": {"initializer": tf.constant_initializer(0.25)}}
    own = make("own", initializer=tf.constant_initializer(0.5))
    assert np.all(own == 0.25)                 # the constructor's
    assert np.all(make("sc", initializer=tf.constant_initializer(0.5)) == 0.5)  # the scope's
    default = make("default")                  # uniform(±√3): variance 1, not glorot
    assert np.abs(default).max() <= math.sqrt(3) and np.abs(default).max() > 1.6
    assert abs(default.std() - 1.0) < 0.05


def test_embedding_dtype_follows_state(fresh):
    cell = tfshare.EmbeddingWrapper(tfshare.GRUCell(2, dtype="float64"), 4, 3)
    out, _ = cell(tf.constant([[1], [3]]), tf.zeros((2, 2), tf.float64), scope="e64")
    assert out.dtype == tf.float64
    assert tfshare.global_variables(scope="e64/embedding")[0].dtype.base_dtype == tf.float64


def test_tf1_reuse_rules(fresh):
    x = np.ones((1, 2, 3), np.float32)
    tfshare.dynamic_rnn(tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), 3), x, dtype=tf.float32)
    with pytest.raises(ValueError, match="already exists"):
        tfshare.dynamic_rnn(tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), 3), x,
                            dtype=tf.float32)
    shared = tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), 3, reuse=True)
    n = len(tfshare.global_variables())
    tfshare.dynamic_rnn(shared, x, dtype=tf.float32)
    assert len(tfshare.global_variables()) == n
    with pytest.raises(ValueError, match="does not exist"):
        tfshare.dynamic_rnn(tfshare.InputProjectionWrapper(tfshare.GRUCell(2), 3, reuse=True), x,
                            dtype=tf.float32, scope="nowhere")


# --------------------------------------------------------------------------------------
# (c) Keras mode
# --------------------------------------------------------------------------------------


def _keras_weights(layer) -> dict:
    return {w.path: w for w in layer.weights}


@pytest.mark.parametrize("kind", ["output", "input", "embedding"])
def test_keras_paths_numbers_and_config(fresh, kind, tmp_path):
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (2, 3, 5)).astype(np.float32)
    ids = rng.integers(0, 10, (2, 3, 1)).astype(np.int32)
    if kind == "output":
        cell = tfshare.OutputProjectionWrapper(tfshare.GRUCell(4), 7, activation="tanh")
        inp, data, prefix = keras.Input((3, 5)), x, "rnn/output_projection_wrapper/"
        own = {"kernel": (4, 7), "bias": (7,)}
        depth = 5
    elif kind == "input":
        cell = tfshare.InputProjectionWrapper(tfshare.GRUCell(4), 6)
        inp, data, prefix = keras.Input((3, 5)), x, "rnn/input_projection_wrapper/"
        own = {"kernel": (5, 6), "bias": (6,)}
        depth = 6
    else:
        cell = tfshare.EmbeddingWrapper(tfshare.GRUCell(4), 10, 3)
        inp, data, prefix = keras.Input((3, 1), dtype="int32"), ids, "rnn/embedding_wrapper/"
        own = {"embedding": (10, 3)}
        depth = 3
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True, name="rnn")
    model = keras.Model(inp, layer(inp))
    weights = _keras_weights(model)
    want = {prefix + k: s for k, s in own.items()}
    want.update({prefix + "gru_cell/gates/kernel": (depth + 4, 8),
                 prefix + "gru_cell/gates/bias": (8,),
                 prefix + "gru_cell/candidate/kernel": (depth + 4, 4),
                 prefix + "gru_cell/candidate/bias": (4,)})
    assert {p: tuple(w.shape) for p, w in weights.items()} == want
    _randomize(weights.values(), 8)
    out, state = model(data)
    W = {p[len(prefix):]: w.numpy() for p, w in weights.items()}
    h, outs = np.zeros((2, 4), np.float32), []
    for t in range(3):
        if kind == "output":
            h = np_gru(W, "gru_cell/", x[:, t], h)
            outs.append(np.tanh(h @ W["kernel"] + W["bias"]))
        elif kind == "input":
            h = np_gru(W, "gru_cell/", x[:, t] @ W["kernel"] + W["bias"], h)
            outs.append(h)
        else:
            h = np_gru(W, "gru_cell/", W["embedding"][ids[:, t, 0]], h)
            outs.append(h)
    np.testing.assert_allclose(np.asarray(out), np.stack(outs, 1), atol=ATOL)
    np.testing.assert_allclose(np.asarray(state), h, atol=ATOL)

    # config round trip and a .keras file keep paths and numbers
    clone = type(cell).from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert sorted(w.path for w in loaded.weights) == sorted(want)
    np.testing.assert_allclose(np.asarray(loaded(data)[0]), np.asarray(out), atol=1e-6)


def test_keras_and_tf1_modes_agree_on_the_same_weights(fresh):
    """The Keras paths are the TF1 names: copy TF1-mode weights into the Keras
    layer by name, and both give the same numbers."""
    x = np.random.default_rng(11).uniform(-1, 1, (2, 3, 5)).astype(np.float32)
    tf1_cell = tfshare.OutputProjectionWrapper(tfshare.BasicLSTMCell(3), 2)
    tfshare.dynamic_rnn(tf1_cell, x, dtype=tf.float32)
    _randomize(tf1_cell.weights, 12)
    want, _ = tfshare.dynamic_rnn(tf1_cell, x, dtype=tf.float32)
    layer = keras.layers.RNN(tfshare.OutputProjectionWrapper(tfshare.BasicLSTMCell(3), 2),
                             return_sequences=True, name="rnn")
    layer.build((None, 3, 5))
    by_name = {v.name[:-2]: v.numpy() for v in tf1_cell.weights}
    assert sorted(by_name) == sorted(w.path for w in layer.weights)
    for w in layer.weights:
        w.assign(by_name[w.path])
    np.testing.assert_allclose(np.asarray(layer(x)), want.numpy(), atol=1e-6)


def test_compat_namespace_exports():
    import tfshare.compat.v1 as tfc

    for name in ("OutputProjectionWrapper", "InputProjectionWrapper", "EmbeddingWrapper"):
        assert getattr(tfc.contrib.rnn, name) is getattr(tfshare, name)
        assert name in dir(tfc.contrib.rnn) and name in tfshare.__all__


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), 0), ValueError,
     r"Parameter output_size must be > 0: 0\..*output_size=0"),
    (lambda: tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), -3), ValueError,
     r"output_size must be > 0: -3"),
    (lambda: tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), 2.5), ValueError,
     r"`output_size`.*output_size=2.5"),
    (lambda: tfshare.OutputProjectionWrapper(tfshare.GRUCell(2), True), ValueError,
     r"`output_size`.*output_size=True"),
    (lambda: tfshare.InputProjectionWrapper(tfshare.GRUCell(2), 0), ValueError,
     r"`num_proj`.*num_proj=0"),
    (lambda: tfshare.InputProjectionWrapper(tfshare.GRUCell(2), "4"), ValueError,
     r"`num_proj`.*num_proj='4'"),
    (lambda: tfshare.EmbeddingWrapper(tfshare.GRUCell(2), 0, 3), ValueError,
     r"Both embedding_classes and embedding_size must be > 0: 0, 3\..*embedding_classes=0"),
    (lambda: tfshare.EmbeddingWrapper(tfshare.GRUCell(2), 5, -1), ValueError,
     r"must be > 0: 5, -1.*embedding_size=-1"),
    (lambda: tfshare.EmbeddingWrapper(tfshare.GRUCell(2), 5, 2.0), ValueError,
     r"`embedding_size`.*embedding_size=2.0"),
    (lambda: tfshare.OutputProjectionWrapper("gru", 3), TypeError,
     r"The parameter cell is not RNNCell.*cell='gru'"),
    (lambda: tfshare.InputProjectionWrapper(object(), 3), TypeError, r"not RNNCell"),
    (lambda: tfshare.EmbeddingWrapper(None, 3, 3), TypeError, r"not RNNCell.*cell=None"),
])
def test_bad_constructor_arguments(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_embedding_rejects_float_or_wide_ids(fresh):
    cell = tfshare.EmbeddingWrapper(tfshare.GRUCell(2), 5, 3)
    with pytest.raises(TypeError, match=r"integer symbol ids.*inputs.dtype=float32"):
        cell(tf.constant([[1.0], [2.0]]), tf.zeros((2, 2)), scope="e")
    with pytest.raises(ValueError, match=r"\[batch\] or \[batch, 1\].*inputs.shape=\(2, 2\)"):
        cell(tf.constant([[1, 2], [2, 3]]), tf.zeros((2, 2)), scope="e")
    with pytest.raises(TypeError, match=r"integer symbol ids"):
        keras.layers.RNN(tfshare.EmbeddingWrapper(tfshare.GRUCell(2), 5, 3))(
            np.ones((2, 3, 1), np.float32))


def test_projection_rejects_non_float_inputs(fresh):
    cell = tfshare.InputProjectionWrapper(tfshare.GRUCell(2), 3)
    with pytest.raises(ValueError, match="RNN cell only supports floating point inputs"):
        cell(tf.constant([[1, 2]]), tf.zeros((1, 2)), scope="p")
