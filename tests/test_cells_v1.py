"""The cells in a TF1 program as migrated programs run it: ``import
tfshare.compat.v1 as tf1; tf1.disable_v2_behavior()`` (V1 TensorShapes, ref
variables, control flow v1), ``[None, ...]`` placeholders, ``tf1.Session``.

One program text runs on ``tfshare.compat.v1`` (in its own process: the switch
is for the whole process) and on the legacy TF1 oracle after the same
``disable_v2_behavior()``. Every cell is called directly and in ``dynamic_rnn``
(with ``sequence_length``, so the fast path runs for LSTM/GRU) and ``static_rnn``;
the variables are loaded by name with the same values on both sides; outputs,
final states, gradients and the variable names and static shapes must agree.
"""
from __future__ import annotations

import numpy as np
import pytest

from oracle import needs_oracle, run_oracle, run_tfshare_v1, shared_result

PROGRAM = r'''
import zlib
rc = tf1.nn.rnn_cell
CELLS = {
    "basic_rnn": lambda: rc.BasicRNNCell(3),
    "basic_lstm": lambda: rc.BasicLSTMCell(3, forget_bias=0.5),
    "basic_lstm_flat": lambda: rc.BasicLSTMCell(3, state_is_tuple=False),
    "lstm_all": lambda: rc.LSTMCell(4, use_peepholes=True, cell_clip=0.4, num_proj=2,
                                    proj_clip=0.3),
    "gru": lambda: rc.GRUCell(3),
    "multi": lambda: rc.MultiRNNCell([rc.LSTMCell(3), rc.GRUCell(2)]),
    "wrapped": lambda: rc.MultiRNNCell([rc.DropoutWrapper(rc.GRUCell(4)),
                                        rc.ResidualWrapper(rc.BasicLSTMCell(4))]),
}
x = tf1.placeholder(tf1.float32, [None, 5, 4])
xs = tf1.placeholder(tf1.float32, [None, 4])
seq = tf1.placeholder(tf1.int32, [None])
fetch, shapes = {}, {}
for name, make in sorted(CELLS.items()):
    with tf1.variable_scope(name + "_direct"):
        cell = make()
        out, state = cell(xs, cell.zero_state(tf1.shape(xs)[0], tf1.float32))
        fetch[name + "/direct"] = [out] + tf1.nest.flatten(state)
    with tf1.variable_scope(name + "_dynamic"):
        out, state = tf1.nn.dynamic_rnn(make(), x, sequence_length=seq, dtype=tf1.float32)
        loss = tf1.reduce_sum(out * out) + tf1.reduce_sum(tf1.nest.flatten(state)[-1])
        own = [v for v in tf1.trainable_variables() if v.op.name.startswith(name + "_dynamic/")]
        fetch[name + "/dynamic"] = [out] + tf1.nest.flatten(state) + tf1.gradients(loss, [x] + own)
    with tf1.variable_scope(name + "_static"):
        outs, state = tf1.nn.static_rnn(make(), tf1.unstack(x, axis=1), sequence_length=seq,
                                        dtype=tf1.float32)
        fetch[name + "/static"] = outs + tf1.nest.flatten(state)
    for key in (name + "/direct", name + "/dynamic", name + "/static"):
        shapes[key] = [[-1 if d is None else int(d) for d in t.shape.as_list()] for t in fetch[key]]
variables = sorted(tf1.global_variables(), key=lambda v: v.op.name)
with tf1.Session() as sess:
    sess.run(tf1.global_variables_initializer())
    for v in variables:
        rng = np.random.default_rng(zlib.crc32(v.op.name.encode()))
        v.load(rng.uniform(-0.5, 0.5, v.shape.as_list()).astype(np.float32), sess)
    result = sess.run(fetch, {x: IN["x"], xs: IN["x"][:, 0], seq: IN["seq"]})
for key, values in result.items():
    for i, value in enumerate(values):
        OUT["%s/%d" % (key, i)] = value
OUT["json:shapes"] = shapes
OUT["json:variables"] = [[v.op.name, v.shape.as_list()] for v in variables]
'''

INPUTS = {"x": np.random.default_rng(5).uniform(-1, 1, (3, 5, 4)).astype(np.float32),
          "seq": np.array([5, 2, 0], np.int32)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    legacy = shared_result(tmp_path_factory, "cells_v1_legacy", lambda: run_oracle(
        "tf1 = tf.compat.v1\ntf1.disable_v2_behavior()\n" + PROGRAM, INPUTS))
    return legacy, run_tfshare_v1(PROGRAM, INPUTS)


@needs_oracle
def test_names_and_static_shapes_match_the_legacy_cells(runs):
    legacy, mine = runs
    assert mine["json:variables"] == legacy["json:variables"]
    assert mine["json:shapes"] == legacy["json:shapes"]
    assert all(shapes[0][0] == -1 for shapes in mine["json:shapes"].values())  # unknown batch


@needs_oracle
def test_numbers_match_the_legacy_cells(runs):
    legacy, mine = runs
    keys = sorted(k for k in legacy if not k.startswith("json:"))
    assert keys == sorted(k for k in mine if not k.startswith("json:"))
    assert len(keys) > 60
    worst = max(float(np.abs(mine[k] - legacy[k]).max()) for k in keys)
    assert worst < 1e-5, worst
    grads = [k for k in keys if k.startswith("lstm_all/dynamic/")]
    assert all(np.abs(legacy[k]).max() > 0 for k in grads)
