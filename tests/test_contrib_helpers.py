"""``contrib.framework``, ``.training``, ``.learn``, ``.data`` and ``.layers``
against real TF 1.15.

The TF1 programs of ``fixtures/make_contrib_fixtures.py`` (one per module) run
on TF 1.15 (live, or its committed golden) and on ``tfshare.compat.v1`` three
ways: graph mode in this process (``tf.Graph``), graph mode after
``tf.disable_v2_behavior()`` (one subprocess), and eager mode in this process
(the graph-only parts, under ``g:`` keys, skipped). Compared: every output
value (1e-5), variable names/shapes/collections, and error types and texts.
"""
from __future__ import annotations

import copy
import json
import os
import re
import sys

import numpy as np
import pytest

from oracle import _run_script, shared_result, tf115_or_golden

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures"))
import make_contrib_fixtures as fx  # noqa: E402

TOL = 1e-5


@pytest.fixture(scope="module")
def tf115(tmp_path_factory):
    return tf115_or_golden(tmp_path_factory, "contrib_helpers", fx.oracle_code(), fx.GOLDEN,
                           fx.make_inputs())


def _plain(out: dict) -> dict:
    """``OUT`` with JSON values as JSON reads them back (picklable, comparable)."""
    return {k: json.loads(json.dumps(v)) if k.startswith("json:") else v for k, v in out.items()}


def _run_here(graph: bool) -> dict:
    import tensorflow as tf

    import tfshare.compat.v1 as tfc

    ns = fx.tfshare_namespace(tfc, graph)
    for module in fx.MODULES:
        exec(compile(fx.PROGRAMS[module], f"<contrib {module}>", "exec"), ns)
    tfc.reset_default_graph()
    assert tf.executing_eagerly()
    return _plain(ns["OUT"])


def _run_v1() -> dict:
    prelude = ("import os, json, numpy as np\nimport tfshare.compat.v1 as tf\n"
               "tf.disable_v2_behavior()\nOUT = {}\n")
    code = fx.oracle_code() + "\nOUT['json:__v1__'] = not tf.executing_eagerly()\n"
    return _run_script(sys.executable, prelude, code, fx.make_inputs(), 900, dict(os.environ),
                       "tfshare (disable_v2_behavior)")


# each run happens once per session, in whichever xdist worker needs it first
@pytest.fixture(scope="module")
def graph_run(tmp_path_factory):
    return shared_result(tmp_path_factory, "contrib_helpers_graph", lambda: _run_here(True))


@pytest.fixture(scope="module")
def eager_run(tmp_path_factory):
    return shared_result(tmp_path_factory, "contrib_helpers_eager", lambda: _run_here(False))


@pytest.fixture(scope="module")
def v1_run(tmp_path_factory):
    return shared_result(tmp_path_factory, "contrib_helpers_v1", _run_v1)


def _normalized(key: str, value):
    if key.startswith("json:"):
        value = json.loads(json.dumps(value))
        if "/err/" in key and isinstance(value, str):
            # shapes print as (2, ?) under TF1's TensorShape, (2, None) under TF2's
            value = re.sub(r"\bNone\b", "?", value)
    return value


def _module_keys(out: dict, module: str) -> set:
    def bare(k):
        k = k[5:] if k.startswith("json:") else k
        return k[2:] if k.startswith("g:") else k
    return {k for k in out if bare(k).startswith(module + "/")}


def _graph_only(key: str) -> bool:
    return key.startswith("g:") or key.startswith("json:g:")


@pytest.mark.parametrize("mode", ["graph", "v1", "eager"])
@pytest.mark.parametrize("module", fx.MODULES)
def test_matches_tf115(tf115, request, module, mode):
    ours = request.getfixturevalue(mode + "_run")
    want = _module_keys(tf115, module)
    if mode == "eager":
        want = {k for k in want if not _graph_only(k)}
    got = _module_keys(ours, module)
    assert len(want) >= 5, sorted(want)
    assert got == want, (sorted(want - got), sorted(got - want))
    problems = []
    for key in sorted(want):
        a, b = _normalized(key, tf115[key]), _normalized(key, ours[key])
        if key.startswith("json:"):
            if a != b:
                problems.append(f"{key}:\n  TF 1.15: {a}\n  tfshare: {b}")
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            problems.append(f"{key}: shape {b.shape}, TF 1.15 {a.shape}")
        elif a.dtype.kind in "fc" and not np.allclose(a, b, rtol=0, atol=TOL):
            problems.append(f"{key}: max abs diff {np.max(np.abs(a - b)):.3g}")
        elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
            problems.append(f"{key}: {b.tolist()} != TF 1.15 {a.tolist()}")
    assert not problems, "\n".join(problems)


def test_v1_run_was_v1_graph_mode(v1_run):
    assert v1_run["json:__v1__"] is True


def test_programs_test_something(tf115):
    # the oracle's numbers are not trivial: batch norm moved its statistics,
    # training changed the loss, errors were raised
    assert not np.allclose(tf115["layers/bn2/moving"][0], fx.make_inputs()["mm"])
    losses = tf115["g:layers/opt/adam_clip/0"]
    assert losses.shape == (2,) and losses[1] < losses[0]
    errors = [k for k in tf115 if "/err/" in k]
    assert len(errors) > 60 and all(tf115[k] for k in errors)


# ------------------------------------------------------------------- the namespace
def test_real_modules_and_attributes():
    import importlib

    import tfshare.compat.v1 as tf
    from tfshare.compat.v1.contrib import data, framework, layers, learn, training

    for mod, name in ((framework, "framework"), (training, "training"), (learn, "learn"),
                      (data, "data"), (layers, "layers")):
        assert getattr(tf.contrib, name) is mod
        assert importlib.import_module(f"tfshare.compat.v1.contrib.{name}") is mod
    from tfshare.compat.v1.contrib.framework import arg_scope, nest  # noqa: F401
    from tfshare.compat.v1.contrib.learn import preprocessing  # noqa: F401
    assert tf.contrib.training.HParams(a=1).a == 1


@pytest.mark.parametrize("path,match", [
    ("framework.no_such_helper", "no attribute 'no_such_helper'.*contrib.framework"),
    ("training.SequenceQueueingStateSaver", "no attribute 'SequenceQueueingStateSaver'"),
    ("learn.Experiment", "contrib.learn's ModeKeys and preprocessing only"),
    ("data.LMDBDataset", "tf.contrib.data.LMDBDataset is not available"),
])
def test_missing_names_say_so(path, match):
    import tfshare.compat.v1 as tf

    module, name = path.split(".")
    with pytest.raises(AttributeError, match=match):
        getattr(getattr(tf.contrib, module), name)


# --------------------------------------------------------------- beyond the oracle
def test_hparams_copy_and_unsupported_proto():
    from tfshare.compat.v1.contrib.training import HParams

    h = HParams(lr=0.1, layers=[2, 3])
    c = copy.deepcopy(h)
    c.set_hparam("layers", [4])
    assert h.layers == [2, 3] and c.layers == [4] and c.values() == {"lr": 0.1, "layers": [4]}
    with pytest.raises(NotImplementedError, match="HParamDef"):
        HParams(hparam_def=object())


def test_batch_norm_refuses_zero_debias():
    import tensorflow as tf

    from tfshare.compat.v1.contrib.layers import batch_norm

    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3])
        with pytest.raises(NotImplementedError, match="zero_debias_moving_mean"):
            batch_norm(x, zero_debias_moving_mean=True)
        assert tf.compat.v1.global_variables() == []


def test_contrib_layers_in_a_keras_layer_get_tf1_weight_paths():
    """Inside ``track_tf1_style_variables`` the contrib layers' variables are
    Keras weights with TF1 names (so checkpoints map by name)."""
    import keras
    import tensorflow as tf

    import tfshare
    from tfshare.compat.v1.contrib import layers

    class Head(keras.layers.Layer):
        @tfshare.track_tf1_style_variables
        def call(self, x):
            h = layers.fully_connected(x, 3, scope="fc")
            return layers.layer_norm(h)

    head = Head()
    y = head(tf.ones([2, 4]))
    assert y.shape == (2, 3)
    paths = sorted(w.path for w in head.weights)
    assert [p.split("/", 1)[1] for p in paths] == [
        "LayerNorm/beta", "LayerNorm/gamma", "fc/biases", "fc/weights"], paths
    before = [w.numpy().copy() for w in head.weights]
    head(tf.ones([2, 4]))
    assert len(head.weights) == 4
    for a, b in zip(before, head.weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())


def test_arg_scope_sets_layer_defaults_and_explicit_wins():
    import tensorflow as tf

    from tfshare.compat.v1.contrib import framework, layers

    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3])
        with framework.arg_scope([layers.fully_connected], activation_fn=None, scope="s"):
            y = layers.fully_connected(x, 2)
            z = layers.fully_connected(x, 2, activation_fn=tf.nn.relu, scope="t")
        assert y.op.type == "BiasAdd" and z.op.type == "Relu"
        assert [v.name for v in tf.compat.v1.global_variables()] == [
            "s/weights:0", "s/biases:0", "t/weights:0", "t/biases:0"]
    assert framework.current_arg_scope() == {}
