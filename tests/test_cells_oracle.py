"""tfshare's TF1 cells against the legacy TF1 implementation.

(a) golden: the committed fixtures (tests/fixtures/cells, written by
    tests/fixtures/make_cell_fixtures.py from the oracle) replayed on tfshare's
    cells, in Keras mode (weights found by path suffix = TF1 name) and in TF1
    mode (weights from the tfshare store inside ``variable_scope("root")``);
(b) live: one oracle run per module recomputes every committed configuration at
    the fixture seed (so the fixtures cannot go stale) and the ``LIVE_NAMES``
    subset (12 of the 29, every cell kind; the other 17, mostly defaults and
    single options that ``lstm_all`` combines, are checked on their fixtures
    only) with fresh random weights and inputs, replayed on tfshare in Keras
    mode (5 of them in TF1 mode too);
(c) golden numbers (TF1's GRU/LSTM/dropout docs), which come from
    TF's own test files, not from our output.
Outputs and every state leaf must agree to atol 1e-6 (float32).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import cellutil as cu
from oracle import needs_oracle

ATOL = 1e-6
NAMES = [c["name"] for c in cu.CONFIGS]
FIXTURE_SEED = cu.FIXTURE_SEED
LIVE_SEED = 99991
#: Configurations recomputed live (fresh weights and inputs) on every run.
LIVE_NAMES = ["basic_rnn_relu", "basic_lstm_fb0_flat", "lstm_all", "lstm_all_flat", "gru_relu",
              "multi_proj_lstm_gru", "multi_lstm_lstm", "multi_flat", "dropout_variational_lstm",
              "dropout_variational_multi", "residual_gru", "multi_residual_dropout"]


def _replay(rec, mode):
    runner = {"keras": cu.run_tfshare_keras, "tf1": cu.run_tfshare_tf1,
              "graph": cu.run_tfshare_graph}[mode]
    outs, states, _ = runner(rec["config"], rec["weights"], rec["x"], rec["init"],
                             noise=rec["noise"] or None)
    return cu.max_abs_diff(outs, states, rec["outs"], rec["states"])


# --------------------------------------------------------------------------------------
# The fixtures themselves
# --------------------------------------------------------------------------------------


def test_fixture_set_is_complete():
    assert cu.fixture_names() == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_small_float32_and_consistent(name):
    path = os.path.join(cu.FIXTURE_DIR, name + ".npz")
    assert os.path.getsize(path) < 50_000
    data = np.load(path)
    assert all(data[k].dtype == np.float32 for k in data.files)
    rec = cu.load_fixture(name)
    assert rec["config"] == cu.CONFIG_BY_NAME[name], "fixture config differs from CONFIGS: regenerate"
    # The state structure and weight names TF1 reported are the ones the spec gives.
    assert rec["meta"]["state"] == cu.np_state_desc(rec["config"]["cell"])
    assert rec["meta"]["output_size"] == cu.np_output_size(rec["config"]["cell"])
    assert sorted(rec["weights"]) == sorted(cu.random_weights(
        rec["config"]["cell"], rec["config"]["input_depth"], np.random.default_rng(0)))
    # The initial state is non-zero and every weight asymmetric (distinct columns).
    assert all(np.all(a != 0) for a in rec["init"])
    for w in rec["weights"].values():
        if w.ndim == 2:
            assert len({tuple(col) for col in w.T}) == w.shape[1]


@pytest.mark.parametrize("name", NAMES)
def test_numpy_reference_reproduces_fixture(name):
    """Independent numpy equations (docs/cells.md §4) reproduce the oracle's numbers, and
    the clip / dropout configurations really clip / drop."""
    rec = cu.load_fixture(name)
    spec = rec["config"]["cell"]
    trace: dict = {}
    outs, states = cu.np_run(spec, rec["weights"], rec["x"], rec["init"], noise=rec["noise"],
                             trace=trace)
    assert cu.max_abs_diff(outs, states, rec["outs"], rec["states"]) < 2e-6
    if "c_preclip" in trace:
        pre = np.abs(np.concatenate(trace["c_preclip"]))
        assert 0 < np.mean(pre > cu.CELL_CLIP) < 1
        c_leaves = [s[0] for s in rec["states"]]
        assert np.max(np.abs(c_leaves)) <= cu.CELL_CLIP + 1e-7
    if "m_preclip" in trace:
        pre = np.abs(np.concatenate(trace["m_preclip"]))
        assert 0 < np.mean(pre > cu.PROJ_CLIP) < 1
        assert np.max(np.abs(rec["outs"])) <= cu.PROJ_CLIP + 1e-7
    if spec.get("variational_recurrent"):
        for kind, arrays in rec["noise"].items():
            keep = spec[f"{kind}_keep_prob"]
            masks = np.concatenate([np.floor(np.float32(keep) + a).ravel() for a in arrays])
            if keep < 1:
                assert 0 < masks.mean() < 1, (kind, masks)


# --------------------------------------------------------------------------------------
# (a) golden fixtures on tfshare
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_golden_keras_mode(name, record_property):
    diff = _replay(cu.load_fixture(name), "keras")
    record_property("max_abs_diff", diff)
    print(f"golden keras {name}: {diff:.3g}")
    assert diff <= ATOL


@pytest.mark.parametrize("name", NAMES)
def test_golden_tf1_mode(name, record_property):
    diff = _replay(cu.load_fixture(name), "tf1")
    record_property("max_abs_diff", diff)
    print(f"golden tf1 {name}: {diff:.3g}")
    assert diff <= ATOL


@pytest.mark.parametrize("name", LIVE_NAMES)
def test_golden_tf1_graph_mode(name, record_property):
    """v1 graph mode: variables in the graph's collections, loaded in a Session."""
    diff = _replay(cu.load_fixture(name), "graph")
    record_property("max_abs_diff", diff)
    print(f"golden graph {name}: {diff:.3g}")
    assert diff <= ATOL


@pytest.mark.parametrize("name", ["lstm_all", "gru", "multi_proj_lstm_gru", "basic_lstm_flat",
                                  "residual_gru"])
def test_golden_inside_keras_rnn_layer(name):
    """``keras.layers.RNN(cell, name="rnn")``: weight paths are ``rnn/<TF1 name>`` and the
    sequence gives the oracle's per-step outputs and final state."""
    import keras
    import tensorflow as tf
    import tfshare

    rec = cu.load_fixture(name)
    keras.backend.clear_session(free_memory=False)
    cell = cu.build_cell(tfshare, rec["config"]["cell"], tf.float32)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True, name="rnn")
    x = np.transpose(rec["x"], (1, 0, 2))  # batch major
    desc = rec["meta"]["state"]
    init = cu.assemble_state(desc, [tf.constant(a) for a in rec["init"]], tfshare.LSTMStateTuple)
    layer(x, initial_state=init)
    paths = sorted(w.path for w in layer.weights)
    assert paths == sorted("rnn/" + n for n in rec["weights"])
    cu.assign_by_suffix(layer.weights, rec["weights"])
    res = layer(x, initial_state=init)
    seq, final = res[0], res[1:]
    np.testing.assert_allclose(np.transpose(np.asarray(seq), (1, 0, 2)), np.stack(rec["outs"]),
                               atol=ATOL, rtol=0)
    leaves = [np.asarray(a) for a in tf.nest.flatten(final)]
    assert len(leaves) == len(rec["states"][-1])
    for a, b in zip(leaves, rec["states"][-1], strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=0)


# --------------------------------------------------------------------------------------
# (b) live oracle: one subprocess for the module
# --------------------------------------------------------------------------------------


def _live_configs():
    return [dict(cu.CONFIG_BY_NAME[n], name="live_" + n) for n in LIVE_NAMES]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One oracle run: every config at a fresh seed (``live_*``) and, at the fixture
    seed, every committed config (staleness check)."""
    fresh = _live_configs()
    out = cu.run_oracle_shared(tmp_path_factory, "cells",
                               cu.oracle_code((fresh, LIVE_SEED), (cu.CONFIGS, FIXTURE_SEED)))
    recs = cu.split_oracle_out(out, fresh)
    recs.update(cu.split_oracle_out(out, cu.CONFIGS))
    return recs


@needs_oracle
@pytest.mark.parametrize("name", NAMES)
def test_fixture_not_stale(live, name):
    old = cu.load_fixture(name)
    new = live[name]
    for k in old["weights"]:
        np.testing.assert_array_equal(old["weights"][k], new["weights"][k])
    assert cu.max_abs_diff(old["outs"], old["states"], new["outs"], new["states"]) <= 1e-6


@needs_oracle
@pytest.mark.parametrize("name", LIVE_NAMES)
def test_live_keras_mode(live, name, record_property):
    rec = live["live_" + name]
    old = cu.load_fixture(name)
    assert not np.array_equal(rec["x"], old["x"]), "live data must be fresh"
    diff = _replay(rec, "keras")
    record_property("max_abs_diff", diff)
    print(f"live keras {name}: {diff:.3g}")
    assert diff <= ATOL


@needs_oracle
@pytest.mark.parametrize("name", ["lstm_all", "multi_flat", "dropout_variational_multi",
                                  "multi_residual_dropout", "gru_relu"])
def test_live_tf1_mode(live, name, record_property):
    diff = _replay(live["live_" + name], "tf1")
    record_property("max_abs_diff", diff)
    assert diff <= ATOL


# --------------------------------------------------------------------------------------
# (c) golden numbers from TF's own cell tests
# --------------------------------------------------------------------------------------


def _const(v):
    import keras
    return keras.initializers.Constant(v)


@pytest.mark.parametrize("depth,expected", [(2, 0.175991), (3, 0.156736)])
def test_spec_gru_golden_tf1_scope_initializer(depth, expected):
    import tensorflow as tf
    import tfshare

    tfshare.reset_default_graph()
    with tfshare.variable_scope("root", initializer=_const(0.5)):
        cell = tfshare.GRUCell(2)
        out, state = cell(tf.ones((1, depth)), tf.fill((1, 2), 0.1))
    names = sorted(v.name for v in tfshare.current_store().variables())
    assert names == ["root/gru_cell/candidate/bias:0", "root/gru_cell/candidate/kernel:0",
                     "root/gru_cell/gates/bias:0", "root/gru_cell/gates/kernel:0"]
    np.testing.assert_allclose(np.asarray(out), [[expected, expected]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(state), [[expected, expected]], atol=1e-6)


@pytest.mark.parametrize("depth,expected", [(2, 0.175991), (3, 0.156736)])
def test_spec_gru_golden_keras_kernel_initializer(depth, expected):
    """Same numbers in Keras mode: kernel_initializer 0.5, default biases (gates 1.0)."""
    import keras
    import tensorflow as tf
    import tfshare

    keras.backend.clear_session(free_memory=False)
    cell = tfshare.GRUCell(2, kernel_initializer=_const(0.5))
    out, state = cell(tf.ones((1, depth)), tf.fill((1, 2), 0.1))
    np.testing.assert_allclose(np.asarray(out), [[expected, expected]], atol=1e-6)


MULTI_STATE = [0.689673, 0.689673, 0.448484, 0.448484, 0.398971, 0.398971, 0.240247, 0.240247]


def test_spec_multi_basic_lstm_golden_tf1():
    import tensorflow as tf
    import tfshare

    tfshare.reset_default_graph()
    with tfshare.variable_scope("root", initializer=_const(0.5)):
        cell = tfshare.MultiRNNCell(
            [tfshare.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)], state_is_tuple=False)
        out, state = cell(tf.ones((1, 2)), tf.fill((1, 8), 0.1))
    np.testing.assert_allclose(np.asarray(out), [[0.240247, 0.240247]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(state), [MULTI_STATE], atol=1e-6)
    names = sorted(v.name[:-2] for v in tfshare.current_store().variables())
    assert names == [f"root/multi_rnn_cell/cell_{i}/basic_lstm_cell/{w}"
                     for i in range(2) for w in ("bias", "kernel")]


def test_spec_multi_basic_lstm_golden_keras():
    import keras
    import tensorflow as tf
    import tfshare

    keras.backend.clear_session(free_memory=False)
    cell = tfshare.MultiRNNCell(
        [tfshare.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)], state_is_tuple=False)
    x, m = tf.ones((1, 2)), tf.fill((1, 8), 0.1)
    cell(x, m)
    cu.assign_by_suffix(cell.weights, {
        f"multi_rnn_cell/cell_{i}/basic_lstm_cell/{w}": (np.full((4, 8), 0.5) if w == "kernel"
                                                          else np.zeros(8))
        for i in range(2) for w in ("kernel", "bias")})
    out, state = cell(x, m)
    np.testing.assert_allclose(np.asarray(out), [[0.240247, 0.240247]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(state), [MULTI_STATE], atol=1e-6)


@pytest.mark.parametrize("mode", ["keras", "tf1"])
def test_spec_dropout_wrapper_golden(mode):
    """TF's DropoutWrapper test: LSTMCell(3, initializer=const 0.5) in a keep-all DropoutWrapper, inputs
    [[2,2,2]] then [[1,1,1]], c = h = 0.1: outputs 0.751109, 0.895509; final c 1.949385."""
    import contextlib

    import keras
    import tensorflow as tf
    import tfshare

    keras.backend.clear_session(free_memory=False)
    tfshare.reset_default_graph()
    ctx = tfshare.variable_scope("root") if mode == "tf1" else contextlib.nullcontext()
    with ctx:
        cell = tfshare.DropoutWrapper(tfshare.LSTMCell(3, initializer=_const(0.5)),
                                      input_keep_prob=1.0, output_keep_prob=1.0,
                                      state_keep_prob=1.0)
        state = tfshare.LSTMStateTuple(tf.fill((1, 3), 0.1), tf.fill((1, 3), 0.1))
        outs = []
        for v in (2.0, 1.0):
            out, state = cell(tf.fill((1, 3), v), state)
            outs.append(np.asarray(out))
    np.testing.assert_allclose(outs[0], np.full((1, 3), 0.751109), atol=1e-6)
    np.testing.assert_allclose(outs[1], np.full((1, 3), 0.895509), atol=1e-6)
    np.testing.assert_allclose(np.asarray(state.c), np.full((1, 3), 1.949385), atol=1e-6)
