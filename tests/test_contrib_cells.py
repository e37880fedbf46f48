"""The rest of ``tf.contrib.rnn``'s cells against real TF 1.15.

One TF1 program (``tests/fixtures/make_contrib_cells_fixtures.py``: every
cell in ``dynamic_rnn`` with ``sequence_length`` and ``[None, ...]``
placeholders, ``LSTMBlockFusedCell`` in its sequence form) runs on TF 1.15
(live, or its committed golden) and on ``tfshare.compat.v1``:

* in a process that starts as TF1 programs do (``disable_v2_behavior()``):
  variable names, shapes, trainability and creation order, static result
  shapes, outputs, final states and the gradients w.r.t. the inputs and every
  variable; then TF 1.15's checkpoint restored with ``tf.train.Saver``;
* in a ``tf.Graph`` in this process (TF2 behaviour): outputs, and the restore;
* eagerly (the drivers in TF1 mode, ``tf.GradientTape``): outputs and gradients;
* in Keras mode (``keras.layers.RNN`` and ``tfshare.RNN``; weights set by their
  paths, which are the TF1 names): outputs and states of the full-length
  batch entry; TF 1.15's checkpoint restored with ``tfshare.restore``.

Values: every variable is set from its own name (asymmetric, non-saturating),
on both sides. The fast path: ``LSTMBlockCell``, ``GRUBlockCell(V2)``,
``CudnnCompatibleLSTMCell`` and ``LSTMBlockFusedCell`` run in the fused
kernels (counted), the exact path gives the same numbers, an active
``cell_clip`` declines the kernel.
"""
from __future__ import annotations

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
import tfshare.compat.v1 as tfc
from tfshare import fastpath
from oracle import run_tfshare_v1, shared_result, tf115_or_golden

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures"))
import make_contrib_cells_fixtures as F  # noqa: E402

TOL = 1e-5
_CASES: dict = {"tf": tfc}
exec(F.CASES, _CASES)
CASE_NAMES = [c[0] for c in _CASES["CELL_CASES"]]
FUSED = ["fused", "fused_clip_list"]

#: The TF1 program on tfshare.compat.v1 after disable_v2_behavior().
V1_PROGRAM = F.COMMON + F.CELLS + r'''
variables = tf.global_variables()
OUT["json:cells_variables"] = variable_list(variables)
OUT["json:cells_shapes"] = SHAPES
OUT["json:cells_no_gradient"] = NO_GRADIENT
OUT["json:cells_grad_keys"] = GRAD_KEYS
load = Loader(variables)
with session() as sess:
    load(sess)
    put(OUT, "cells", sess.run(FETCH, feeds(IN)))
    tf.train.Saver().restore(sess, write_checkpoint(IN, "ckpt_cells/"))
    put(OUT, "restored", sess.run(FETCH, feeds(IN)))
''' + F.CUDNN_REFERENCE + F.CUDNN_TFSHARE


@pytest.fixture(scope="module")
def tf115(tmp_path_factory):
    """TF 1.15's OUT for the fixtures script's CODE (live once per session, or the golden)."""
    return tf115_or_golden(tmp_path_factory, "contrib_cells", F.CODE, F.GOLDEN, F.inputs())


@pytest.fixture(scope="module")
def v1(tmp_path_factory, tf115):
    """V1_PROGRAM's OUT (one subprocess per session), fed TF 1.15's checkpoints."""
    inputs = dict(F.inputs())
    inputs.update({k: v for k, v in tf115.items() if k.startswith("ckpt_")})
    return shared_result(tmp_path_factory, "contrib_cells_v1",
                         lambda: run_tfshare_v1(V1_PROGRAM, inputs))


def worst_difference(mine: dict, theirs: dict, tag: str, names, results_only=False) -> float:
    """Max |mine - theirs| over the ``<tag>/<name>/<i>`` arrays of ``names``;
    every key must exist on both sides with the same shape."""
    worst = 0.0
    for name in names:
        keys = sorted(k for k in theirs if k.startswith(f"{tag}/{name}/"))
        assert keys, (tag, name)
        assert sorted(k for k in mine if k.startswith(f"{tag}/{name}/")) == keys
        if results_only:
            keys = [f"{tag}/{name}/{i}" for i in range(n_results(theirs, name))]
        for key in keys:
            assert mine[key].shape == theirs[key].shape, (key, mine[key].shape, theirs[key].shape)
            if mine[key].size:
                worst = max(worst, float(np.abs(mine[key] - theirs[key]).max()))
    return worst


def n_results(out: dict, name: str) -> int:
    return len(out["json:cells_shapes"][name])


# --------------------------------------------------------------------------- TF1 programs
def test_variables_names_shapes_and_order_equal_tf115(tf115, v1):
    assert v1["json:cells_variables"] == tf115["json:cells_variables"]
    assert len(tf115["json:cells_variables"]) > 140
    assert v1["json:cells_grad_keys"] == tf115["json:cells_grad_keys"]


def test_static_result_shapes_equal_tf115(tf115, v1):
    assert v1["json:cells_shapes"] == tf115["json:cells_shapes"]
    assert sorted(tf115["json:cells_shapes"]) == sorted(CASE_NAMES + FUSED)
    assert all(shapes[0][1] == -1 or shapes[0][0] == -1  # the batch stays unknown
               for shapes in tf115["json:cells_shapes"].values())


def test_outputs_states_and_gradients_equal_tf115_after_disable_v2_behavior(tf115, v1):
    assert v1["json:cells_no_gradient"] == tf115["json:cells_no_gradient"]
    worst = worst_difference(v1, tf115, "cells", CASE_NAMES + FUSED)
    assert worst < TOL, worst


def test_the_comparison_is_not_vacuous(tf115):
    """Every gradient w.r.t. a variable is non-zero (except B under layer
    norm, which TF1 does not use), and the clipped cells do clip."""
    for name, keys in tf115["json:cells_grad_keys"].items():
        n_in = 2 if name.startswith("phased") else 1  # (time, x)
        skipped = set(tf115["json:cells_no_gradient"][name])  # indices into inputs + variables
        assert skipped == ({n_in + 2} if name == "cifg_all" else set()), name
        for i, var in enumerate(keys):
            if n_in + i not in skipped:
                grad = tf115[f"cells/{name}/{n_results(tf115, name) + n_in + i}"]
                assert np.abs(grad).max() > 1e-4, (name, var)
    assert np.isclose(np.abs(tf115["cells/lstm_block_peep_clip/1"]).max(), 0.25)
    assert np.isclose(np.abs(tf115["cells/fused_clip_list/1"]).max(), 0.2)


def test_tf115_checkpoint_restores_with_saver(tf115, v1):
    worst = worst_difference(v1, tf115, "restored", CASE_NAMES + FUSED)
    assert worst < TOL, worst
    assert not np.allclose(tf115["restored/nas/0"], tf115["cells/nas/0"])


def test_graph_mode_with_tf2_behaviour(tf115, tmp_path):
    """The same program in a tf.Graph of this process: outputs, and the restore."""
    ns = {"tf": tfc, "np": np, "os": os, "WITH_GRADIENTS": False}
    exec(F.COMMON, ns)
    out: dict = {}
    with tf.Graph().as_default():
        exec(F.CELLS, ns)
        assert ns["SHAPES"] == tf115["json:cells_shapes"]
        with ns["session"]() as sess:
            ns["Loader"](tfc.global_variables())(sess)
            ns["put"](out, "cells", sess.run(ns["FETCH"], ns["feeds"](F.inputs())))
            path = ns["write_checkpoint"](tf115, "ckpt_cells/")
            tfc.train.Saver().restore(sess, path)
            ns["put"](out, "restored", sess.run(ns["FETCH"], ns["feeds"](F.inputs())))
    for tag in ("cells", "restored"):
        for name in CASE_NAMES + FUSED:
            for i in range(n_results(tf115, name)):
                key = f"{tag}/{name}/{i}"
                np.testing.assert_allclose(out[key], tf115[key], rtol=0, atol=TOL, err_msg=key)


# --------------------------------------------------------------------------- eager
def _eager_inputs():
    IN = F.inputs()
    t = {k: tf.constant(v) for k, v in IN.items()}
    return t, {"x": t["x"], "phased": (t["time"], t["x"]), "conv1": t["x1"],
               "conv2": t["x2"], "conv3": t["x3"]}


def _eager_case(ns, name, run, sources):
    """``run()`` once, eagerly, in ``variable_scope(name)`` with every variable
    created from its name (a custom getter): results + gradients w.r.t.
    ``sources`` and the variables."""
    def seeded_getter(getter, name, *args, **kwargs):
        shape = tf.TensorShape(kwargs["shape"]).as_list()
        kwargs["initializer"] = tf.constant_initializer(ns["seeded"](name, shape))
        return getter(name, *args, **kwargs)

    with tf.GradientTape() as tape:
        tape.watch(sources)
        with tfshare.variable_scope(name, custom_getter=seeded_getter):
            results = run()
        loss = ns["weighted_loss"](results)
    trainable = [v for v in tfshare.trainable_variables() if v.name.startswith(name + "/")]
    grads = tape.gradient(loss, list(sources) + trainable)
    pairs = zip(list(sources) + trainable, grads, strict=True)
    return [np.asarray(r) for r in results] + [np.zeros(s.shape) if g is None else np.asarray(g)
                                               for s, g in pairs]


@pytest.fixture(scope="module")
def eager_runs():
    tfshare.reset_default_graph()
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON + F.CASES, ns)
    t, data = _eager_inputs()
    out = {}
    for name, kind, make in ns["CELL_CASES"]:
        cell = make()

        def run(cell=cell, kind=kind):
            o, s = tfshare.dynamic_rnn(cell, data[kind], sequence_length=t["seq"], dtype=tf.float32)
            return [o] + tf.nest.flatten(s)

        out[name] = _eager_case(ns, name, run, tf.nest.flatten(data[kind]))
    fused = [tfshare.LSTMBlockFusedCell(4, forget_bias=0.5, use_peephole=True),
             tfshare.LSTMBlockFusedCell(4, cell_clip=0.2)]

    def run_fused():
        x_tm = tf.transpose(t["x"], [1, 0, 2])
        o, (c, h) = fused[0](x_tm, dtype=tf.float32, sequence_length=t["seq"])
        return [o, c, h]

    def run_fused_clip():
        init = (0.3 * t["x"][:, 0, :4], -0.2 * t["x"][:, 1, 2:])
        o, (c, h) = fused[1](tf.transpose(t["x"], [1, 0, 2]), initial_state=init)
        return [o, c, h]

    out["fused"] = _eager_case(ns, "fused", run_fused, [t["x"]])
    out["fused_clip_list"] = _eager_case(ns, "fused_clip_list", run_fused_clip, [t["x"]])
    tfshare.reset_default_graph()
    return out


def test_eager_outputs_and_gradients_equal_tf115(tf115, eager_runs):
    assert sorted(eager_runs) == sorted(CASE_NAMES + FUSED)
    worst = 0.0
    for name, values in eager_runs.items():
        n_theirs = len([k for k in tf115 if k.startswith(f"cells/{name}/")])
        assert len(values) == n_theirs, name
        for i, value in enumerate(values):
            ref = tf115[f"cells/{name}/{i}"]
            assert value.shape == ref.shape, (name, i)
            if ref.size:
                worst = max(worst, float(np.abs(value - ref).max()))
    assert worst < TOL, worst


# --------------------------------------------------------------------------- Keras
KERAS_INPUTS = {"x": "x", "conv1": "x1", "conv2": "x2", "conv3": "x3"}


def _keras_data(kind):
    IN = F.inputs()
    if kind == "phased":  # keras.layers.RNN feeds one tensor: time first
        return np.concatenate([IN["time"], IN["x"]], -1)
    return IN[KERAS_INPUTS[kind]]


def _set_from_names(ns, prefix: str, layer) -> None:
    for w in layer.weights:
        w.assign(ns["seeded"](prefix + w.path, list(w.shape)))


@pytest.mark.parametrize("layer_cls", [keras.layers.RNN, tfshare.RNN], ids=["keras_RNN", "tfshare_RNN"])
def test_keras_mode_equals_tf115(tf115, layer_cls):
    """Weight paths are the TF1 names (``rnn/<cell>/...``); with the same values
    the full-length sequence (batch entry 0) gives TF 1.15's outputs and state."""
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON + F.CASES, ns)
    tf1_names = {v[0] for v in tf115["json:cells_variables"]}
    worst = 0.0
    for name, kind, make in ns["CELL_CASES"]:
        layer = layer_cls(make(), return_sequences=True, return_state=True, name="rnn")
        data = _keras_data(kind)
        layer(data)
        assert {f"{name}/{w.path}" for w in layer.weights} == {
            n for n in tf1_names if n.startswith(name + "/")}, name
        _set_from_names(ns, name + "/", layer)
        results = [np.asarray(r) for r in tf.nest.flatten(layer(data))]
        assert len(results) == n_results(tf115, name), name
        for i, r in enumerate(results):
            worst = max(worst, float(np.abs(r[0] - tf115[f"cells/{name}/{i}"][0]).max()))
    assert worst < TOL, worst


def test_tf115_checkpoint_restores_into_keras_with_tfshare_restore(tf115, tmp_path):
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON + F.CASES, ns)
    path = ns["write_checkpoint"](tf115, "ckpt_cells/")
    for name, kind, make in ns["CELL_CASES"]:
        layer = keras.layers.RNN(make(), return_sequences=True, return_state=True, name="rnn")
        data = _keras_data(kind)
        layer(data)
        report = tfshare.restore(layer, path, assignment_map={f"{name}/rnn/": "rnn/"})
        assert len(report.restored) == len(layer.weights) and not report.missing, name
        results = [np.asarray(r) for r in tf.nest.flatten(layer(data))]
        for i, r in enumerate(results):
            np.testing.assert_allclose(r[0], tf115[f"restored/{name}/{i}"][0], rtol=0, atol=TOL,
                                       err_msg=f"{name}/{i}")
    fused = tfshare.LSTMBlockFusedCell(4, forget_bias=0.5, use_peephole=True)
    x_tm = np.transpose(F.inputs()["x"], [1, 0, 2])
    fused(x_tm, dtype="float32")
    assert sorted(w.path for w in fused.weights) == sorted(
        f"lstm_fused_cell/{n}" for n in ("kernel", "bias", "w_i_diag", "w_f_diag", "w_o_diag"))
    tfshare.restore(fused, path, assignment_map={"fused/lstm_fused_cell/": "lstm_fused_cell/"})
    out, (c, h) = fused(x_tm, dtype="float32", sequence_length=F.inputs()["seq"])
    for i, r in enumerate([out, c, h]):
        np.testing.assert_allclose(np.asarray(r), tf115[f"restored/fused/{i}"], rtol=0, atol=TOL)


# --------------------------------------------------------------------------- errors
def _tf1_message(kind_and_text):
    """TF 1.15's message without autograph's "in converted code" frame."""
    kind, text = kind_and_text
    last = text.strip().splitlines()[-1].strip()
    if "in converted code" in text and last.startswith(kind + ": "):
        text = last[len(kind) + 2:]
    return kind, text


#: messages that print tensors (whose repr differs between TF versions): compared up to here
_PREFIX = {"fused_list": "Inputs received:", "cudnn_state": "Invalid initial_state type:"}


def test_bad_arguments_raise_tf115_errors(tf115):
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.ERRORS, ns)
    mine, theirs = ns["ERRORS"], tf115["json:errors"]
    assert sorted(mine) == sorted(theirs)
    for key in sorted(theirs):
        assert mine[key] is not None, key
        kind, text = _tf1_message(theirs[key])
        if key == "fused_depth":  # TF 1.15 fails on None + int before its own check
            assert mine[key][0] == "ValueError" and "inputs_shape[2]" in mine[key][1], mine[key]
            continue
        assert mine[key][0] == kind, (key, mine[key])
        cut = _PREFIX.get(key)
        if cut:
            assert mine[key][1].split(cut)[0] == text.split(cut)[0], (key, mine[key])
        elif key == "attn_cell":  # tfshare's base prints repr(cell) where TF1 printed str(cell)
            assert mine[key][1].split(")", 1)[1] == text.split(")", 1)[1], (key, mine[key])
        else:
            assert mine[key][1] == text, (key, mine[key][1], text)


# --------------------------------------------------------------------------- the fast path
@pytest.fixture
def kernel_calls(monkeypatch):
    """How often the fused LSTM and GRU kernels run."""
    calls = {"lstm": 0, "gru": 0}
    for kind in calls:
        original = getattr(fastpath, f"{kind}_sequence")

        def counted(*args, _kind=kind, _original=original, **kwargs):
            calls[_kind] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(fastpath, f"{kind}_sequence", counted)
    return calls


FAST = {"lstm_block": "lstm", "gru_block": "gru", "gru_block_v2": "gru", "cudnn_lstm_cell": "lstm",
        "lstm_block_peep_clip": None}


@pytest.mark.parametrize("name", sorted(FAST))
def test_block_cells_run_in_the_fused_kernels_and_equal_the_exact_path(tf115, name, kernel_calls):
    make = {c[0]: c[2] for c in _CASES["CELL_CASES"]}[name]
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON, ns)
    t, data = _eager_inputs()
    results = {}
    for enabled in (True, False):
        previous = fastpath.set_fast_path_options(enabled=enabled)
        try:
            tfshare.reset_default_graph()
            cell = make()

            def run(cell=cell):
                o, s = tfshare.dynamic_rnn(cell, data["x"], sequence_length=t["seq"],
                                           dtype=tf.float32)
                return [o] + tf.nest.flatten(s)

            results[enabled] = _eager_case(ns, name, run, [data["x"]])
            if enabled:
                fast_calls = dict(kernel_calls)
        finally:
            fastpath.set_fast_path_options(**previous)
            tfshare.reset_default_graph()
    kind = FAST[name]
    # one eager call runs the kernel once (the driver does not trace eager calls)
    assert fast_calls == {"lstm": 1 if kind == "lstm" else 0, "gru": 1 if kind == "gru" else 0}
    assert kernel_calls == fast_calls  # the exact path ran no kernel
    for i, (fast, exact) in enumerate(zip(results[True], results[False], strict=True)):
        np.testing.assert_allclose(fast, exact, rtol=0, atol=TOL)
        np.testing.assert_allclose(fast, tf115[f"cells/{name}/{i}"], rtol=0, atol=TOL)


def test_lstm_block_fused_cell_and_tfshare_rnn_use_the_kernel(kernel_calls):
    x = np.random.RandomState(2).uniform(-1, 1, (5, 3, 6)).astype(np.float32)
    fused = tfshare.LSTMBlockFusedCell(4)
    out, _ = fused(x, dtype="float32")
    assert kernel_calls["lstm"] == 1
    layer = tfshare.RNN(tfshare.LSTMBlockCell(4), return_sequences=True, time_major=True)
    layer(x)
    assert kernel_calls["lstm"] == 2
    for a, b in zip(layer.cell.weights, fused.weights, strict=True):
        b.assign(a)  # same variables, same order
    previous = fastpath.set_fast_path_options(enabled=False)
    try:
        exact, _ = fused(x, dtype="float32")
    finally:
        fastpath.set_fast_path_options(**previous)
    assert kernel_calls["lstm"] == 2
    np.testing.assert_allclose(layer(x), exact, rtol=0, atol=TOL)
    assert not tfshare.LSTMBlockCell(4, cell_clip=1.0).fused_spec()
    assert tfshare.LSTMBlockCell(4, cell_clip=0.0).fused_spec()  # 0: no clip, as TF1


# --------------------------------------------------------------------------- Keras details
def test_configs_round_trip_with_the_same_weights():
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON + F.CASES, ns)
    for name, kind, make in ns["CELL_CASES"]:
        layer = keras.layers.RNN(make(), return_sequences=True, name="rnn")
        again = keras.layers.deserialize(keras.layers.serialize(layer))
        data = _keras_data(kind)
        layer(data), again(data)
        assert [w.path for w in again.weights] == [w.path for w in layer.weights], name
        for a, b in zip(layer.weights, again.weights, strict=True):
            b.assign(a)
        np.testing.assert_allclose(again(data), layer(data), rtol=0, atol=0, err_msg=name)


def test_phased_lstm_takes_pairs_or_time_first_tensors():
    IN = F.inputs()
    pair = (IN["time"][:, 0], IN["x"][:, 0])
    cell = tfshare.PhasedLSTMCell(4)
    state = cell.zero_state(3, tf.float32)
    out_pair, _ = cell(pair, state)
    out_cat, _ = cell(np.concatenate(pair, -1), state)
    np.testing.assert_allclose(out_pair, out_cat, rtol=0, atol=0)
    by_name = {w.path.split("/")[-1]: np.asarray(w) for w in cell.weights}
    period, phase = by_name["period"], by_name["phase"]
    assert (period >= 1).all() and (period <= 1000).all()
    assert (phase >= 0).all() and (phase < period).all()
    with pytest.raises(ValueError, match="pair"):
        cell((IN["x"][:, 0],), state)


def test_layer_norm_lstm_recurrent_dropout():
    """A new mask every step in TF1 mode (always) and in Keras mode unless
    ``training=False``; ``keep_prob=1.0`` adds no randomness."""
    x = np.random.RandomState(3).uniform(-1, 1, (4, 6)).astype(np.float32)
    state = (tf.zeros([4, 5]), tf.zeros([4, 5]))
    cell = tfshare.LayerNormBasicLSTMCell(5, dropout_keep_prob=0.5, dropout_prob_seed=7)
    with tfshare.variable_scope("tf1_mode"):
        a, _ = cell(x, state)
        b, _ = cell(x, state)
    assert not np.allclose(a, b)
    keras_cell = tfshare.LayerNormBasicLSTMCell(5, dropout_keep_prob=0.5)
    keras_cell(x, list(state))
    np.testing.assert_allclose(keras_cell(x, list(state), training=False)[0],
                               keras_cell(x, list(state), training=False)[0], rtol=0, atol=0)
    assert not np.allclose(keras_cell(x, list(state), training=True)[0],
                           keras_cell(x, list(state), training=False)[0])
    tfshare.reset_default_graph()
