"""tfshare's TF1 cells against an independent numpy derivation.

``cellutil.np_step`` implements each cell from the equations of
the equations of docs/cells.md §4 in float64 (it also reproduces
the oracle's fixtures and the spec's golden numbers, checked here and in
test_cells_oracle.py). Hypothesis draws shapes and options; weights and inputs
are random, asymmetric and non-saturating. The DropoutWrapper checks need no
random stream: they test TF1's keep-prob semantics on tfshare's own masks.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cellutil as cu

ATOL = 2e-6  # float32 tfshare vs float64 numpy, a few steps
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

ACTIVATIONS = st.sampled_from([None, "tanh", "relu"])


@st.composite
def leaf_specs(draw, units=None):
    units = units or draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell"]))
    spec = {"type": kind, "num_units": units}
    act = draw(ACTIVATIONS)
    if act is not None:
        spec["activation"] = act
    if kind in ("BasicLSTMCell", "LSTMCell"):
        if draw(st.booleans()):
            spec["forget_bias"] = draw(st.sampled_from([0.0, 0.5, 1.0, -0.25]))
        if draw(st.booleans()):
            spec["state_is_tuple"] = False
    if kind == "LSTMCell":
        if draw(st.booleans()):
            spec["use_peepholes"] = True
        if draw(st.booleans()):
            spec["num_proj"] = draw(st.integers(1, 4))
    return spec


@st.composite
def cases(draw):
    """(spec, input_depth, batch, steps, seed)."""
    shape = draw(st.sampled_from(["leaf", "leaf", "multi", "residual"]))
    depth = draw(st.integers(1, 6))
    if shape == "leaf":
        spec = draw(leaf_specs())
    elif shape == "multi":
        cells = [draw(leaf_specs()) for _ in range(draw(st.integers(1, 3)))]
        tuple_state = draw(st.booleans())
        if not tuple_state:
            for c in cells:
                if c["type"] in ("BasicLSTMCell", "LSTMCell"):
                    c["state_is_tuple"] = False
        spec = {"type": "MultiRNNCell", "cells": cells, "state_is_tuple": tuple_state}
    else:
        inner = draw(leaf_specs(units=depth))
        inner.pop("num_proj", None)
        spec = {"type": "ResidualWrapper", "cell": inner}
    return spec, depth, draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 2**31))


def _data(spec, depth, batch, steps, seed):
    rng = np.random.default_rng(seed)
    W = cu.random_weights(spec, depth, rng)
    x = rng.uniform(-1, 1, (steps, batch, depth)).astype(np.float32)
    init = [rng.uniform(-0.5, 0.5, (batch, n)).astype(np.float32)
            for n in cu.leaf_sizes(cu.np_state_desc(spec))]
    return W, x, init


def _check(spec, depth, batch, steps, seed, trace=None):
    W, x, init = _data(spec, depth, batch, steps, seed)
    cfg = {"name": "h", "cell": spec, "T": steps, "batch": batch, "input_depth": depth}
    outs, states, cell = cu.run_tfshare_keras(cfg, W, x, init)
    want_outs, want_states = cu.np_run(spec, W, x, init, trace=trace)
    assert cu.describe_state(cell.state_size) == cu.np_state_desc(spec)
    assert int(np.sum(cell.output_size)) == cu.np_output_size(spec)
    diff = cu.max_abs_diff(outs, states, want_outs, want_states)
    assert diff <= ATOL, (spec, diff)
    return outs, states


# --------------------------------------------------------------------------------------
# The reference itself: golden numbers from TF's own cell tests
# --------------------------------------------------------------------------------------


def test_numpy_reference_reproduces_spec_golden_numbers():
    for depth, expected in ((2, 0.175991), (3, 0.156736)):
        W = {"gru_cell/gates/kernel": np.full((depth + 2, 4), 0.5), "gru_cell/gates/bias": np.ones(4),
             "gru_cell/candidate/kernel": np.full((depth + 2, 2), 0.5),
             "gru_cell/candidate/bias": np.zeros(2)}
        out, _ = cu.np_step({"type": "GRUCell", "num_units": 2}, W, "", np.ones((1, depth)),
                            np.full((1, 2), 0.1))
        np.testing.assert_allclose(out, [[expected] * 2], atol=1e-6)
    spec = {"type": "MultiRNNCell", "state_is_tuple": False,
            "cells": [{"type": "BasicLSTMCell", "num_units": 2, "state_is_tuple": False}] * 2}
    W = {}
    for i in range(2):
        W[f"multi_rnn_cell/cell_{i}/basic_lstm_cell/kernel"] = np.full((4, 8), 0.5)
        W[f"multi_rnn_cell/cell_{i}/basic_lstm_cell/bias"] = np.zeros(8)
    out, state = cu.np_step(spec, W, "", np.ones((1, 2)), np.full((1, 8), 0.1))
    np.testing.assert_allclose(out, [[0.240247] * 2], atol=1e-6)
    np.testing.assert_allclose(state, [[.689673, .689673, .448484, .448484, .398971, .398971,
                                        .240247, .240247]], atol=1e-6)
    W = {"lstm_cell/kernel": np.full((6, 12), 0.5), "lstm_cell/bias": np.zeros(12)}
    outs, states = cu.np_run({"type": "LSTMCell", "num_units": 3}, W,
                             np.array([[[2.0] * 3], [[1.0] * 3]]), [np.full((1, 3), 0.1)] * 2)
    np.testing.assert_allclose([o[0, 0] for o in outs], [0.751109, 0.895509], atol=1e-6)
    np.testing.assert_allclose(states[-1][0], np.full((1, 3), 1.949385), atol=1e-6)


# --------------------------------------------------------------------------------------
# tfshare vs numpy
# --------------------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_cells_match_numpy(case):
    _check(*case)


KEEPS = st.sampled_from([0.3, 0.5, 0.8, 1.0])


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(leaf_specs(), st.booleans(), KEEPS, KEEPS, KEEPS, st.integers(0, 2**31))
def test_variational_dropout_matches_numpy(inner, multi, ik, sk, ok, seed):
    """DropoutWrapper(variational_recurrent=True) replayed in numpy with the noise
    tfshare drew: input, cell, state (never LSTMStateTuple.c), output, in that order,
    ``v / keep * floor(keep + noise)`` with one mask for all steps and batch entries."""
    depth = 3
    if multi:
        inner = {"type": "MultiRNNCell", "cells": [inner, {"type": "GRUCell", "num_units": 3}]}
    spec = {"type": "DropoutWrapper", "cell": inner, "input_keep_prob": ik,
            "state_keep_prob": sk, "output_keep_prob": ok, "variational_recurrent": True,
            "input_size": depth, "dtype": "float32", "seed": seed % 1000}
    W, x, init = _data(spec, depth, 3, 3, seed)
    cfg = {"name": "h", "cell": spec, "T": 3, "batch": 3, "input_depth": depth}
    outs, states, cell = cu.run_tfshare_keras(cfg, W, x, init)
    noise = cu.get_variational_noise(cell)
    want_outs, want_states = cu.np_run(spec, W, x, init, noise=noise)
    assert cu.max_abs_diff(outs, states, want_outs, want_states) <= 4 * ATOL


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_cells_match_numpy_float64_tf1_mode(case):
    """TF1 mode infers float64 variables from float64 inputs; then tfshare and the numpy
    equations agree to rounding (1e-12), a far tighter check than float32 allows."""
    spec, depth, batch, steps, seed = case
    W, x, init = _data(spec, depth, batch, steps, seed)
    W = {k: v.astype(np.float64) for k, v in W.items()}
    cfg = {"name": "h", "cell": spec, "T": steps, "batch": batch, "input_depth": depth}
    outs, states, _ = cu.run_tfshare_tf1(cfg, W, x, init, dtype=np.float64)
    assert all(o.dtype == np.float64 for o in outs)
    want_outs, want_states = cu.np_run(spec, W, x.astype(np.float64),
                                       [a.astype(np.float64) for a in init])
    assert cu.max_abs_diff(outs, states, want_outs, want_states) <= 1e-12


@pytest.mark.parametrize("kind", ["BasicLSTMCell", "LSTMCell"])
@pytest.mark.parametrize("tuple_state", [True, False])
def test_lstm_state_layout(kind, tuple_state):
    """state_is_tuple=False is concat([c, h], 1); True is LSTMStateTuple(c, h)."""
    spec = {"type": kind, "num_units": 3, "state_is_tuple": tuple_state}
    if kind == "LSTMCell":
        spec.update(num_proj=2, use_peepholes=True)
    _check(spec, 4, 2, 3, 7)


@SETTINGS
@given(st.integers(0, 2**31), st.booleans(), st.booleans(), st.integers(1, 3))
def test_lstm_clipping_active(seed, peep, tuple_state, proj):
    """cell_clip / proj_clip chosen from the unclipped values so that clipping happens on
    some entries and not on others; tfshare must clip exactly like the equations."""
    base = {"type": "LSTMCell", "num_units": 4, "num_proj": proj, "use_peepholes": peep,
            "state_is_tuple": tuple_state}
    W, x, init = _data(base, 5, 3, 3, seed)
    # Step 0's pre-clip values do not depend on earlier clipping: clip at their median.
    trace: dict = {}
    cu.np_run(dict(base, cell_clip=1e9, proj_clip=1e9), W, x, init, trace=trace)
    cell_clip = float(np.median(np.abs(trace["c_preclip"][0])))
    trace = {}
    cu.np_run(dict(base, cell_clip=cell_clip, proj_clip=1e9), W, x, init, trace=trace)
    proj_clip = float(np.median(np.abs(trace["m_preclip"][0])))
    spec = dict(base, cell_clip=cell_clip, proj_clip=proj_clip)
    trace = {}
    outs, states = _check(spec, 5, 3, 3, seed, trace=trace)
    c_pre = np.abs(np.concatenate(trace["c_preclip"]))
    m_pre = np.abs(np.concatenate(trace["m_preclip"]))
    assert 0 < np.mean(c_pre > cell_clip) < 1 and 0 < np.mean(m_pre > proj_clip) < 1
    assert np.max(np.abs(outs)) <= proj_clip * (1 + 1e-6)
    c = [s[0] if tuple_state else s[0][:, :4] for s in states]
    assert np.max(np.abs(c)) <= cell_clip * (1 + 1e-6)
    assert np.any(np.isclose(np.abs(c), cell_clip, rtol=1e-6, atol=0))


# --------------------------------------------------------------------------------------
# DropoutWrapper: TF1 keep-prob semantics on tfshare's own masks
# --------------------------------------------------------------------------------------


def _built(cell_spec, depth, batch, seed):
    """A tfshare cell built in Keras mode with random weights, plus data."""
    import keras
    import tensorflow as tf
    import tfshare

    keras.backend.clear_session(free_memory=False)
    W, x, init = _data(cell_spec, depth, batch, 3, seed)
    cell = cu.build_cell(tfshare, cell_spec, tf.float32)
    desc = cu.np_state_desc(cell_spec)
    state = cu.assemble_state(desc, [tf.constant(a) for a in init], tfshare.LSTMStateTuple)
    cell(tf.constant(x[0]), state)
    cu.assign_by_suffix(cell.weights, W)
    return cell, x, state


def test_dropout_keep_one_is_identity():
    import tensorflow as tf
    import tfshare

    cell, x, state = _built({"type": "LSTMCell", "num_units": 4, "use_peepholes": True}, 5, 3, 1)
    wrapper = tfshare.DropoutWrapper(cell, input_keep_prob=1.0, output_keep_prob=1.0,
                                     state_keep_prob=1.0, seed=5)
    s_ref = s_wrap = state
    for t in range(len(x)):
        o_ref, s_ref = cell(tf.constant(x[t]), s_ref)
        o_wrap, s_wrap = wrapper(tf.constant(x[t]), s_wrap)
        np.testing.assert_array_equal(np.asarray(o_wrap), np.asarray(o_ref))
        for a, b in zip(tf.nest.flatten(s_wrap), tf.nest.flatten(s_ref), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_dropout_tensor_keep_one_keeps_values():
    """A keep probability given as a scalar tensor 1.0 still keeps every value."""
    import tensorflow as tf
    import tfshare

    cell, x, state = _built({"type": "GRUCell", "num_units": 4}, 5, 3, 6)
    wrapper = tfshare.DropoutWrapper(cell, input_keep_prob=tf.constant(1.0),
                                     output_keep_prob=tf.constant(1.0),
                                     state_keep_prob=tf.constant(1.0))
    out, new = wrapper(tf.constant(x[0]), state)
    ref, ref_new = cell(tf.constant(x[0]), state)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-6, atol=0)
    np.testing.assert_allclose(np.asarray(new), np.asarray(ref_new), rtol=1e-6, atol=0)


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.8])
def test_output_dropout_values_are_zero_or_scaled(keep):
    import tensorflow as tf
    import tfshare

    cell, x, state = _built({"type": "GRUCell", "num_units": 16}, 5, 8, 2)
    wrapper = tfshare.DropoutWrapper(cell, output_keep_prob=keep)
    out, new = wrapper(tf.constant(x[0]), state)
    ref, ref_state = cell(tf.constant(x[0]), state)
    out, ref = np.asarray(out), np.asarray(ref)
    kept = np.isclose(out, ref / keep, rtol=1e-6, atol=1e-7)
    dropped = out == 0
    assert np.all(kept | dropped)
    assert dropped.any() and kept.any()
    # the state is not dropped by output dropout
    np.testing.assert_array_equal(np.asarray(new), np.asarray(ref_state))


@pytest.mark.parametrize("variational", [False, True])
def test_state_dropout_never_touches_c(variational):
    import tensorflow as tf
    import tfshare

    cell, x, state = _built({"type": "LSTMCell", "num_units": 16}, 5, 8, 3)
    kw = {"variational_recurrent": True, "dtype": tf.float32} if variational else {}
    wrapper = tfshare.DropoutWrapper(cell, state_keep_prob=0.5, seed=1, **kw)
    out, new = wrapper(tf.constant(x[0]), state)
    ref_out, ref = cell(tf.constant(x[0]), state)
    assert isinstance(new, tfshare.LSTMStateTuple)
    np.testing.assert_array_equal(np.asarray(new.c), np.asarray(ref.c))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref_out))
    h, rh = np.asarray(new.h), np.asarray(ref.h)
    kept = np.isclose(h, rh / 0.5, rtol=1e-6, atol=1e-7)
    assert np.all(kept | (h == 0)) and (h == 0).any() and kept.any()


def test_variational_mask_same_across_steps_and_batch():
    import tensorflow as tf
    import tfshare

    cell, x, state = _built({"type": "GRUCell", "num_units": 12}, 5, 6, 4)
    wrapper = tfshare.DropoutWrapper(cell, output_keep_prob=0.5, state_keep_prob=0.6,
                                     variational_recurrent=True, dtype=tf.float32, seed=9)
    masks, state_masks = [], []
    for t in range(len(x)):
        out, new = wrapper(tf.constant(x[t]), state)
        ref_out, ref_new = cell(tf.constant(x[t]), state)
        out, ref_out = np.asarray(out), np.asarray(ref_out)
        assert np.all(np.isclose(out, ref_out / 0.5, rtol=1e-6, atol=1e-7) | (out == 0))
        masks.append(out != 0)
        new_a, ref_a = np.asarray(new), np.asarray(ref_new)
        assert np.all(np.isclose(new_a, ref_a / 0.6, rtol=1e-6, atol=1e-7) | (new_a == 0))
        state_masks.append(new_a != 0)
        state = new
    for m in (np.stack(masks), np.stack(state_masks)):
        assert m.any() and not m.all()
        assert np.all(m == m[0:1, 0:1, :]), "variational mask differs across time or batch"


def test_variational_input_mask_same_across_steps_and_batch():
    """Input dropout: a BasicRNNCell with identity-like kernel reveals the input mask."""
    import tensorflow as tf
    import tfshare

    spec = {"type": "BasicRNNCell", "num_units": 6, "activation": "relu"}
    cell, x, state = _built(spec, 6, 5, 5)
    k = np.zeros((12, 6), np.float32)
    k[:6, :6] = np.eye(6)
    cu.assign_by_suffix(cell.weights, {"basic_rnn_cell/kernel": k,
                                       "basic_rnn_cell/bias": np.zeros(6, np.float32)})
    wrapper = tfshare.DropoutWrapper(cell, input_keep_prob=0.5, variational_recurrent=True,
                                     input_size=6, dtype=tf.float32, seed=2)
    xs = np.abs(np.random.default_rng(0).uniform(0.1, 1.0, (4, 5, 6))).astype(np.float32)
    masks = []
    for t in range(4):
        out, _ = wrapper(tf.constant(xs[t]), tf.zeros((5, 6)))
        out = np.asarray(out)
        assert np.all(np.isclose(out, xs[t] / 0.5, rtol=1e-6) | (out == 0))
        masks.append(out != 0)
    m = np.stack(masks)
    assert m.any() and not m.all()
    assert np.all(m == m[0:1, 0:1, :])


@pytest.mark.parametrize("arg,value", [("input_keep_prob", 1.5), ("output_keep_prob", -0.5),
                                       ("state_keep_prob", 2.0)])
def test_invalid_keep_prob_message(arg, value):
    import tfshare

    with pytest.raises(ValueError) as e:
        tfshare.DropoutWrapper(tfshare.GRUCell(2), **{arg: value})
    assert str(e.value) == f"Parameter {arg} must be between 0 and 1. Received {value}"


def test_variational_needs_dtype_and_input_size():
    import tensorflow as tf
    import tfshare

    with pytest.raises(ValueError, match="When variational_recurrent=True, dtype must be provided"):
        tfshare.DropoutWrapper(tfshare.GRUCell(2), output_keep_prob=0.5, variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        tfshare.DropoutWrapper(tfshare.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True,
                               dtype=tf.float32)
