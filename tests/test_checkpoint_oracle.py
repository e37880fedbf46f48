"""A real TF1 checkpoint (written by the legacy oracle, tests/fixtures/tf1_ckpt)
restored into Keras 3 models built from tfshare cells, and into the compat
store; outputs compared with the oracle's (``oracle.npz``, same checkpoint).

Regenerate the fixture with ``python tests/fixtures/make_checkpoint_fixture.py``.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from oracle import needs_oracle, run_oracle

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tf1_ckpt")
ATOL = 1e-5


@pytest.fixture(scope="module")
def oracle():
    return dict(np.load(os.path.join(FIXTURE, "oracle.npz")))


def test_fixture_names_and_shapes():
    infos = {i.name: i for i in tfshare.list_variables(FIXTURE)}
    # LSTMCell(5, peepholes, num_proj=4) on depth 3: kernel [3 + 4, 4 * 5]
    assert infos["bidirectional_rnn/fw/lstm_cell/kernel"].shape == (7, 20)
    assert infos["bidirectional_rnn/bw/lstm_cell/projection/kernel"].shape == (5, 4)
    assert infos["bidirectional_rnn/fw/lstm_cell/w_f_diag"].shape == (5,)
    assert infos["rnn/gru_cell/gates/kernel"].shape == (12, 8)
    assert infos["multi/multi_rnn_cell/cell_1/gru_cell/candidate/kernel"].shape == (8, 4)
    assert infos["logits/kernel"].shape == (6, 3)
    assert infos["global_step"].dtype == "int64"
    assert len(infos) == 27


def build_keras_model() -> keras.Model:
    """The oracle's network as a Keras 3 functional model of tfshare cells."""
    inp = keras.Input((5, 3))

    def lstm():
        return tfshare.LSTMCell(5, use_peepholes=True, num_proj=4, name="lstm_cell")

    o_fw, c_fw, h_fw = keras.layers.RNN(lstm(), return_sequences=True, return_state=True,
                                        name="fw")(inp)
    o_bw_rev, c_bw, h_bw = keras.layers.RNN(lstm(), return_sequences=True, return_state=True,
                                            go_backwards=True, name="bw")(inp)
    o_bw = keras.ops.flip(o_bw_rev, axis=1)
    bi = keras.ops.concatenate([o_fw, o_bw], axis=2)
    o_gru, s_gru = keras.layers.RNN(tfshare.GRUCell(4, name="gru_cell"), return_sequences=True,
                                    return_state=True, name="rnn")(bi)
    multi = tfshare.MultiRNNCell([tfshare.LSTMCell(4, name="lstm_cell"),
                                  tfshare.GRUCell(4, name="gru_cell")], name="multi_rnn_cell")
    o_multi, s_multi_0, s_multi_1 = keras.layers.RNN(multi, return_sequences=True, return_state=True,
                                                     name="multi")(o_gru)
    hidden = keras.layers.Dense(6, activation="tanh", name="hidden")(o_multi[:, -1])
    logits = keras.layers.Dense(3, name="logits")(hidden)
    outs = dict(o_fw=o_fw, o_bw=o_bw, c_fw=c_fw, h_fw=h_fw, c_bw=c_bw, h_bw=h_bw, o_gru=o_gru,
                s_gru=s_gru, o_multi=o_multi, s_multi_c=s_multi_0[0], s_multi_h=s_multi_0[1],
                s_multi_gru=s_multi_1, hidden=hidden, logits=logits)
    return keras.Model(inp, outs)


def test_restore_tf1_checkpoint_into_keras_model_of_tfshare_cells(oracle):
    model = build_keras_model()
    report = tfshare.restore(
        model, FIXTURE, strict=True, exclude=["global_step"],
        assignment_map={"bidirectional_rnn/fw/": "fw/", "bidirectional_rnn/bw/": "bw/"})
    assert len(report.restored) == 26 and report.missing == () and report.unused == ()
    assert len(report.renamed) == 12
    assert {m.source for m in report.renamed} == {
        n for n in (i.name for i in tfshare.list_variables(FIXTURE)) if n.startswith("bidirectional_rnn/")}
    got = model(oracle["x"])
    for k, v in got.items():
        np.testing.assert_allclose(np.asarray(v), oracle[k], rtol=0, atol=ATOL, err_msg=k)
    # a wrong map (fw <-> bw swapped) loads fine but must change the numbers
    swapped = build_keras_model()
    tfshare.restore(swapped, FIXTURE, exclude=["global_step"], strict=True,
                    assignment_map={"bidirectional_rnn/fw/": "bw/", "bidirectional_rnn/bw/": "fw/"})
    assert np.max(np.abs(np.asarray(swapped(oracle["x"])["o_fw"]) - oracle["o_fw"])) > 1e-3


def test_save_round_trip_of_the_keras_model_keeps_tf1_names(oracle, tmp_path):
    model = build_keras_model()
    tfshare.restore(model, FIXTURE, exclude=["global_step"], strict=True,
                    assignment_map={"bidirectional_rnn/fw/": "fw/", "bidirectional_rnn/bw/": "bw/"})
    prefix = tfshare.save(model, str(tmp_path / "k" / "model"))
    names = sorted(i.name for i in tfshare.list_variables(prefix))
    assert "multi/multi_rnn_cell/cell_1/gru_cell/gates/kernel" in names
    assert "fw/lstm_cell/projection/kernel" in names
    # rename back to the TF1 layout with the CLI's renamer: the checkpoint equals the oracle's
    from tfshare.cli import main

    out = str(tmp_path / "tf1" / "model")
    assert main(["rename", prefix, out, "--map", "fw/=bidirectional_rnn/fw/", "--map",
                 "bw/=bidirectional_rnn/bw/"], stdout=open(os.devnull, "w")) == 0
    reader = tf.train.load_checkpoint(out)
    for info in tfshare.list_variables(FIXTURE):
        if info.name == "global_step":
            continue
        np.testing.assert_array_equal(reader.get_tensor(info.name),
                                      tfshare.load_variable(FIXTURE, info.name), err_msg=info.name)


def test_restore_into_compat_store_with_tfshare_drivers(oracle):
    """Graph-style code on the store (TF1 names, no map) restores with strict=True."""
    store = tfshare.VariableStore()
    x = tf.constant(oracle["x"])
    with tfshare.store_scope(store):
        def run():
            fw = tfshare.LSTMCell(5, use_peepholes=True, num_proj=4)
            bw = tfshare.LSTMCell(5, use_peepholes=True, num_proj=4)
            (o_fw, o_bw), _ = tfshare.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32)
            bi = tf.concat([o_fw, o_bw], 2)
            o_gru, _ = tfshare.dynamic_rnn(tfshare.GRUCell(4), bi, dtype=tf.float32)
            multi = tfshare.MultiRNNCell([tfshare.LSTMCell(4), tfshare.GRUCell(4)])
            o_multi, _ = tfshare.dynamic_rnn(multi, o_gru, dtype=tf.float32, scope="multi")
            return o_fw, o_bw, o_gru, o_multi

        run()  # creates the variables
        report = tfshare.restore(store, FIXTURE, exclude=["global_step", "hidden", "logits"],
                                 strict=True)
        assert len(report.restored) == 22
        with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
            o_fw, o_bw, o_gru, o_multi = run()
    for name, got in dict(o_fw=o_fw, o_bw=o_bw, o_gru=o_gru, o_multi=o_multi).items():
        np.testing.assert_allclose(np.asarray(got), oracle[name], rtol=0, atol=ATOL, err_msg=name)


def test_tf_keras_save_weights_tf_format_into_keras3(oracle):
    """tf.keras ``save_weights`` (TF format, object-based) -> a Keras 3 model by name."""
    path = os.path.join(FIXTURE, "tfkeras")
    names = [i.name for i in tfshare.list_variables(path)]
    assert names == ["layer_with_weights-0/bias", "layer_with_weights-0/kernel",
                     "layer_with_weights-1/bias", "layer_with_weights-1/kernel"]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense"),
                              keras.layers.Dense(2, name="out")], name="seq")
    # Sequential weight paths carry the model name; the map strips it
    report = tfshare.restore(model, path, strict=True, assignment_map={"/": "seq/"})
    assert [(m.target, m.source) for m in report.restored] == [
        ("seq/dense/kernel", "layer_with_weights-0/kernel"), ("seq/dense/bias", "layer_with_weights-0/bias"),
        ("seq/out/kernel", "layer_with_weights-1/kernel"), ("seq/out/bias", "layer_with_weights-1/bias")]
    for w in model.weights:
        np.testing.assert_array_equal(w.numpy(), oracle["tfkeras:" + w.path[len("seq/"):]], err_msg=w.path)
    # by the object-graph keys too
    dense = keras.layers.Dense(3)
    dense.build((None, 4))
    tfshare.restore({"layer_with_weights-0/kernel": dense.kernel, "layer_with_weights-0/bias": dense.bias},
                    path)
    np.testing.assert_array_equal(dense.kernel.numpy(), oracle["tfkeras:dense/kernel"])


def test_plan_suggests_the_scope_map():
    model = build_keras_model()
    p = tfshare.plan(model, FIXTURE, exclude=["global_step"])
    assert sorted(p.suggestions) == [("bidirectional_rnn/bw/", "bw/", 6), ("bidirectional_rnn/fw/", "fw/", 6)]
    assert "hint: assignment_map={'bidirectional_rnn/bw/': 'bw/'} would match 6 missing" in str(p)
    amap = {c: t for c, t, _ in p.suggestions}
    p2 = tfshare.plan(model, FIXTURE, exclude=["global_step"], assignment_map=amap, strict=True)
    assert p2.ok and p2.suggestions == () and len(p2.restored) == 26


ORACLE_RESTORE = """
x = tf.constant(IN["x"])
LSTM = v1.nn.rnn_cell.LSTMCell
GRU = v1.nn.rnn_cell.GRUCell
fw, bw = LSTM(5, use_peepholes=True, num_proj=4), LSTM(5, use_peepholes=True, num_proj=4)
(o_fw, o_bw), _ = v1.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32)
o_gru, _ = v1.nn.dynamic_rnn(GRU(4), tf.concat([o_fw, o_bw], 2), dtype=tf.float32)
multi = v1.nn.rnn_cell.MultiRNNCell([LSTM(4), GRU(4)])
o_multi, _ = v1.nn.dynamic_rnn(multi, o_gru, dtype=tf.float32, scope="multi")
hidden = v1.layers.dense(o_multi[:, -1], 6, activation=tf.tanh, name="hidden")
logits = v1.layers.dense(hidden, 3, name="logits")
with v1.Session() as sess:
    v1.train.Saver().restore(sess, IN_PREFIX)
    OUT.update(sess.run(dict(o_fw=o_fw, o_bw=o_bw, o_gru=o_gru, o_multi=o_multi, logits=logits)))
"""


@needs_oracle
def test_tfshare_save_restored_by_tf1_saver_into_real_tf1_cells(oracle, tmp_path):
    """New weights, saved by tfshare under TF1 names, run by the legacy TF1 graph."""
    model = build_keras_model()
    rng = np.random.RandomState(5)
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(np.float32))
    tf1_names = {}
    for w in model.weights:
        p = w.path
        if p.startswith(("fw/", "bw/")):
            p = "bidirectional_rnn/" + p
        tf1_names[p] = w
    prefix = tfshare.save(tf1_names, str(tmp_path / "k" / "model"))
    got = model(oracle["x"])
    want = run_oracle(f"IN_PREFIX = {prefix!r}\n" + ORACLE_RESTORE, {"x": oracle["x"]})
    for k in ["o_fw", "o_bw", "o_gru", "o_multi", "logits"]:
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=0, atol=ATOL, err_msg=k)
    assert np.max(np.abs(want["logits"] - oracle["logits"])) > 1e-3  # new weights, new numbers


def test_keras_weights_h5_of_tfshare_cells_round_trip(oracle, tmp_path):
    """Keras' own .weights.h5 of the tfshare-cell model restores by name (incl.
    MultiRNNCell's cell_k scopes, which the file does not record)."""
    model = build_keras_model()
    tfshare.restore(model, FIXTURE, exclude=["global_step"], strict=True,
                    assignment_map={"bidirectional_rnn/fw/": "fw/", "bidirectional_rnn/bw/": "bw/"})
    h5 = str(tmp_path / "m.weights.h5")
    model.save_weights(h5)
    fresh = build_keras_model()
    report = tfshare.restore(fresh, h5, strict=True)
    assert len(report.restored) == 26
    assert ("multi/multi_rnn_cell/cell_1/gru_cell/gates/kernel",
            "multi/multi_rnn_cell/gru_cell/gates/0") in [(m.target, m.source) for m in report.restored]
    got = fresh(oracle["x"])
    for k, v in got.items():
        np.testing.assert_allclose(np.asarray(v), oracle[k], rtol=0, atol=ATOL, err_msg=k)


def test_freeze_rnn_trunk_of_tfshare_cells():
    model = build_keras_model()
    frozen = tfshare.freeze(model, exclude=["hidden", "logits"])
    assert len(frozen) == 22
    assert [w.path for w in model.trainable_weights] == [
        "hidden/kernel", "hidden/bias", "logits/kernel", "logits/bias"]
    assert not model.get_layer("fw").trainable and not model.get_layer("multi").trainable
    assert model.get_layer("hidden").trainable
    tfshare.freeze(model, include=["fw/"], trainable=True)
    assert [w.path for w in model.trainable_weights][:6] == [
        "fw/lstm_cell/kernel", "fw/lstm_cell/bias", "fw/lstm_cell/w_f_diag", "fw/lstm_cell/w_i_diag",
        "fw/lstm_cell/w_o_diag", "fw/lstm_cell/projection/kernel"]
