"""``tf.contrib.cudnn_rnn`` against real TF 1.15: the layers' canonical
checkpoint names, the compatible cells, and TF 1.15 checkpoints in them.

TF 1.15's CPU build can build a ``CudnnLSTM`` graph but not run it, so
(``tests/fixtures/make_contrib_cells_fixtures.py``): TF 1.15's own layer gives
the canonical names its saveable writes and its output shapes; the numbers and
the checkpoint come from the model those names describe, the
``CudnnCompatible*`` cells in the canonical scopes. Compared here:

* tfshare's layers (TF1 programs after ``disable_v2_behavior()``): variable
  names = TF 1.15's canonical names, output shapes = TF 1.15's layer's,
  outputs, final states and gradients = the canonical model's, and TF 1.15's
  checkpoint restored with ``tf.train.Saver``;
* the canonical model itself on ``tfshare.compat.v1`` (the compatible cells);
* the layers in Keras mode: weight paths = the canonical names, TF 1.15's
  checkpoint restored with ``tfshare.restore``;
* dropout, ``time_major=False``, initializers, bad arguments.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
import tfshare.compat.v1 as tfc
from test_contrib_cells import F, TOL, tf115, v1  # noqa: F401 (the shared fixtures)

SCOPES = [c[0] for c in F.CUDNN_CASES]


def _results(out: dict, tag: str, scope: str, kind: str) -> list:
    n = 3 if kind == "CudnnLSTM" else 2
    return [out[f"{tag}/{scope}/{i}"] for i in range(n)]


def _grads(out: dict, tag: str, grad_tag: str, scope: str, kind: str) -> dict:
    """{'x' or variable name: gradient}."""
    n = 3 if kind == "CudnnLSTM" else 2
    names = ["x"] + out[f"json:{grad_tag}_grad_keys/{scope}"]
    return {name: out[f"{tag}/{scope}/{n + i}"] for i, name in enumerate(names)}


def test_layer_variables_are_tf115_canonical_names(tf115, v1):
    canonical = tf115["json:cudnn_canonical_names"]
    assert sorted(canonical) == sorted(SCOPES)
    mine = [v[0] for v in v1["json:layer_variables"]]
    assert sorted(mine) == sorted(n for names in canonical.values() for n in names)
    # the canonical model has the same variables, in the same order
    assert v1["json:layer_variables"] == tf115["json:cudnn_variables"]
    assert v1["json:compat_variables"] == tf115["json:cudnn_variables"]


def test_layer_output_shapes_equal_tf115_layer(tf115, v1):
    for scope in SCOPES:
        assert v1[f"json:layer_shapes/{scope}"] == tf115[f"json:cudnn_shapes/{scope}"], scope


@pytest.mark.parametrize("tag", ["compat", "layer"])
def test_outputs_states_and_gradients_equal_the_canonical_model(tf115, v1, tag):
    worst = 0.0
    for scope, kind, _, _ in F.CUDNN_CASES:
        for mine, ref in zip(_results(v1, tag, scope, kind), _results(tf115, "cudnn", scope, kind),
                             strict=True):
            assert mine.shape == ref.shape
            worst = max(worst, float(np.abs(mine - ref).max()))
        mine = _grads(v1, tag, tag, scope, kind)
        ref = _grads(tf115, "cudnn", "cudnn", scope, kind)
        assert sorted(mine) == sorted(ref)
        for name in ref:
            assert np.abs(ref[name]).max() > 1e-4, (scope, name)
            worst = max(worst, float(np.abs(mine[name] - ref[name]).max()))
    assert worst < TOL, worst


@pytest.mark.parametrize("tag", ["compat_restored", "layer_restored"])
def test_tf115_checkpoint_restores_with_saver(tf115, v1, tag):
    for scope, kind, _, _ in F.CUDNN_CASES:
        for mine, ref in zip(_results(v1, tag, scope, kind),
                             _results(tf115, "cudnn_restored", scope, kind), strict=True):
            np.testing.assert_allclose(mine, ref, rtol=0, atol=TOL, err_msg=scope)
    assert not np.allclose(tf115["cudnn_restored/c_lstm/0"], tf115["cudnn/c_lstm/0"])


def _keras_layer(scope, kind, layers, direction, **kwargs):
    return getattr(tfshare, kind)(layers, 4, direction=direction, name=scope, **kwargs)


def _initial(kind, layers, direction, x):
    n = layers * (2 if direction == "bidirectional" else 1)
    h = 0.2 * tf.tanh(tf.stack([x[:, k % 5, :4] for k in range(n)]))
    c = -0.3 * tf.tanh(tf.stack([x[:, (k + 2) % 5, 1:5] for k in range(n)]))
    return (h, c) if kind == "CudnnLSTM" else (h,)


def test_keras_layers_restore_tf115_checkpoint_with_tfshare_restore(tf115):
    ns = {"tf": tfc, "np": np, "os": os}
    exec(F.COMMON, ns)
    path = ns["write_checkpoint"](tf115, "ckpt_cudnn/")
    IN = F.inputs()
    x = tf.constant(IN["x"])
    x_tm = tf.transpose(x, [1, 0, 2])
    for scope, kind, layers, direction in F.CUDNN_CASES:
        layer = _keras_layer(scope, kind, layers, direction)
        init = _initial(kind, layers, direction, x)
        layer(x_tm, initial_state=init, sequence_lengths=IN["seq"])
        assert sorted(w.path for w in layer.weights) == sorted(
            tf115["json:cudnn_canonical_names"][scope])
        report = tfshare.restore(layer, path)
        assert len(report.restored) == len(layer.weights) and not report.missing
        out, states = layer(x_tm, initial_state=init, sequence_lengths=IN["seq"])
        for mine, ref in zip([out, *states], _results(tf115, "cudnn_restored", scope, kind),
                             strict=True):
            np.testing.assert_allclose(np.asarray(mine), ref, rtol=0, atol=TOL, err_msg=scope)


def test_keras_functional_model_batch_major_and_saved_file(tmp_path):
    """time_major=False in a functional model equals the time-major run; the
    model saves to ``.keras`` and reloads with the same numbers."""
    inp = keras.Input((5, 6))
    layer = tfshare.CudnnGRU(2, 4, direction="bidirectional", name="encoder")
    out, (h,) = layer(inp, time_major=False)
    model = keras.Model(inp, [out, h])
    x = F.inputs()["x"]
    got_out, got_h = model(x)
    ref_out, (ref_h,) = layer(np.transpose(x, [1, 0, 2]))
    np.testing.assert_allclose(got_out, np.transpose(ref_out, [1, 0, 2]), rtol=0, atol=TOL)
    np.testing.assert_allclose(got_h, np.transpose(ref_h, [1, 0, 2]), rtol=0, atol=TOL)
    assert {w.path.split("/")[1] for w in model.weights} == {"stack_bidirectional_rnn"}
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    for a, b in zip(again(x), model(x), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


@pytest.mark.parametrize("direction", ["unidirectional", "bidirectional"])
def test_tf_train_checkpoint_round_trip(tmp_path, direction):
    a = tfshare.CudnnLSTM(2, 3, direction=direction)
    b = tfshare.CudnnLSTM(2, 3, direction=direction)
    x = np.random.RandomState(0).uniform(-1, 1, (4, 2, 5)).astype(np.float32)
    a(x), b(x)
    assert not np.allclose(b(x)[0], a(x)[0])
    path = tf.train.Checkpoint(layer=a).save(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(layer=b).restore(path).assert_existing_objects_matched()
    np.testing.assert_allclose(b(x)[0], a(x)[0], rtol=0, atol=0)


def test_dropout_between_layers_only_when_training():
    x = np.random.RandomState(1).uniform(-1, 1, (5, 3, 6)).astype(np.float32)
    drop = tfshare.CudnnLSTM(2, 4, dropout=0.5, seed=3, name="drop")
    plain = tfshare.CudnnLSTM(2, 4, name="plain")
    drop(x, training=False), plain(x)
    for a, b in zip(drop.weights, plain.weights, strict=True):
        b.assign(a)
    np.testing.assert_allclose(drop(x, training=False)[0], plain(x)[0], rtol=0, atol=0)
    assert not np.allclose(drop(x, training=True)[0], plain(x)[0])
    one = tfshare.CudnnLSTM(1, 4, dropout=0.5)
    np.testing.assert_allclose(one(x, training=True)[0], one(x, training=False)[0], rtol=0, atol=0)


def test_default_initializers_draw_each_cudnn_matrix():
    """TF1 drew each gate's input and recurrent matrices with glorot-uniform
    over their cuDNN shapes; the canonical bias is a sum of zeros."""
    layer = tfshare.CudnnLSTM(1, 8)
    layer(np.zeros((2, 1, 30), np.float32))
    kernel, bias = (np.asarray(w) for w in layer.cells[0].weights)
    assert kernel.shape == (38, 32) and not bias.any()
    x_part, h_part = kernel[:30], kernel[30:]
    assert np.abs(x_part).max() <= np.sqrt(6 / (8 + 30))
    assert np.abs(h_part).max() <= np.sqrt(6 / 16) and np.abs(h_part).max() > np.sqrt(6 / 38)
    ones = tfshare.CudnnRNNTanh(1, 2, bias_initializer="ones")
    ones(np.zeros((2, 1, 3), np.float32))
    np.testing.assert_array_equal(np.asarray(ones.cells[0].weights[1]), [2.0, 2.0])


def test_unsupported_input_mode_and_properties():
    layer = tfshare.CudnnLSTM(2, 4, input_mode="skip_input")
    with pytest.raises(NotImplementedError, match="skip_input"):
        layer(np.zeros((3, 2, 4), np.float32))
    auto = tfshare.CudnnGRU(1, 4, input_mode="auto_select")
    with pytest.raises(NotImplementedError, match="auto_select"):
        auto(np.zeros((3, 2, 4), np.float32))
    layer = tfshare.CudnnRNNRelu(2, 4, direction="bidirectional")
    with pytest.raises(ValueError, match="'input_size' is unknown"):
        layer.input_size
    layer(np.zeros((3, 2, 5), np.float32))
    assert (layer.num_layers, layer.num_units, layer.num_dirs, layer.input_size,
            layer.rnn_mode, layer.direction) == (2, 4, 2, 5, "rnn_relu", "bidirectional")
    assert layer.state_shape(7) == ([4, 7, 4],)
    assert tfc.contrib.cudnn_rnn.CudnnCompatibleLSTMCell is tfshare.CudnnCompatibleLSTMCell
    assert tfc.contrib.cudnn_rnn.CUDNN_RNN_BIDIRECTION == "bidirectional"
    with pytest.raises(AttributeError, match="opaque"):
        tfc.contrib.cudnn_rnn.CudnnLSTMSaveable
