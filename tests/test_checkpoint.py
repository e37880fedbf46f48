"""tfshare.checkpoint: readers, selection, plan/report, restore, save, freeze.

Oracles: stock TF (``tf.compat.v1.train.Saver``, ``init_from_checkpoint``,
``get_collection``'s regex-prefix scopes, ``tf.train.Checkpoint``), Keras 3's
own ``save_weights``/``save``, and numpy comparisons of the values written.
"""
from __future__ import annotations

import os
import shutil
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare.checkpoint import _bundle, writer as writer_mod
from tfshare.errors import CheckpointError, RestorePlanError

v1 = tf.compat.v1


# ----------------------------------------------------------------- helpers
def make_model(head_units: int = 3, trunk_name: str = "trunk", head: bool = True,
               extra: bool = False) -> keras.Model:
    inp = keras.Input((4,))
    x = keras.layers.Dense(5, activation="tanh", name=trunk_name)(inp)
    if extra:
        x = keras.layers.Dense(5, name="extra")(x)
    if head:
        x = keras.layers.Dense(head_units, name="head")(x)
    return keras.Model(inp, x)


def randomize(model_or_vars, seed: int) -> None:
    rng = np.random.RandomState(seed)
    ws = model_or_vars.weights if hasattr(model_or_vars, "weights") else model_or_vars
    for w in ws:
        w.assign(rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(np.float32))


def snapshot(model) -> dict:
    return {w.path: np.array(w.numpy()) for w in model.weights}


def assert_same(a: dict, b: dict, names) -> None:
    for n in names:
        np.testing.assert_array_equal(a[n], b[n], err_msg=n)


def assert_unchanged(model, before: dict) -> None:
    after = snapshot(model)
    assert after.keys() == before.keys()
    assert_same(after, before, before)


@pytest.fixture
def src(tmp_path):
    """A saved source model: (model, its values, checkpoint directory)."""
    m = make_model()
    randomize(m, 1)
    d = str(tmp_path / "src")
    tfshare.save(m, os.path.join(d, "model"))
    return m, snapshot(m), d


TRUNK = ["trunk/kernel", "trunk/bias"]
HEAD = ["head/kernel", "head/bias"]


# ------------------------------------------------------ transfer learning
def test_restore_exclude_head_report_fields(src):
    _, sv, d = src
    dst = make_model()
    randomize(dst, 2)
    before = snapshot(dst)
    report = tfshare.restore(dst, d, exclude=["head"])
    assert [m.target for m in report.restored] == TRUNK
    assert [m.source for m in report.restored] == TRUNK
    assert all(m.via is None for m in report.restored)
    assert [m.shape for m in report.restored] == [(4, 5), (5,)]
    assert [m.dtype for m in report.restored] == ["float32", "float32"]
    assert report.excluded == tuple(HEAD)
    assert report.missing == () and report.unused == () and report.mismatched == ()
    assert report.renamed == () and report.skipped == () and report.problems == ()
    assert report.ok and report.assigned and report.format == "tf1"
    after = snapshot(dst)
    assert_same(after, sv, TRUNK)
    assert_same(after, before, HEAD)
    text = str(report)
    assert "2 restored (0 renamed), 0 missing, 0 unused, 2 excluded" in text
    lines = text.splitlines()
    assert any(l.split()[:2] == ["restored", "trunk/kernel"] for l in lines)
    assert any(l.split()[:2] == ["excluded", "head/bias"] for l in lines)
    d2 = report.as_dict()
    assert [r["target"] for r in d2["restored"]] == TRUNK and d2["excluded"] == HEAD


def test_include_and_unused_and_strict(src):
    _, sv, d = src
    dst = make_model(head=False)
    randomize(dst, 3)
    before = snapshot(dst)
    with pytest.raises(RestorePlanError) as e:
        tfshare.restore(dst, d, strict=True)
    assert "strict: checkpoint entries left unused: head/bias, head/kernel" in str(e.value)
    assert_unchanged(dst, before)
    report = tfshare.restore(dst, d, include=["trunk"])
    assert report.unused == ("head/bias", "head/kernel")
    assert report.excluded == () and report.missing == ()
    assert_same(snapshot(dst), sv, TRUNK)
    assert "unused    -" in str(report)


def test_missing_and_strict_missing(src):
    _, sv, d = src
    dst = make_model(extra=True)
    randomize(dst, 4)
    before = snapshot(dst)
    with pytest.raises(RestorePlanError) as e:
        tfshare.restore(dst, d, strict=True)
    assert "missing from the checkpoint: extra/kernel, extra/bias" in str(e.value)
    assert_unchanged(dst, before)
    report = tfshare.restore(dst, d)
    assert report.missing == ("extra/kernel", "extra/bias")
    assert_same(snapshot(dst), sv, TRUNK + HEAD)
    assert_same(snapshot(dst), before, ["extra/kernel", "extra/bias"])


def test_skip_mismatch(src):
    _, sv, d = src
    dst = make_model(head_units=4)
    randomize(dst, 5)
    before = snapshot(dst)
    with pytest.raises(RestorePlanError) as e:
        tfshare.restore(dst, d)
    err = e.value
    assert isinstance(err, ValueError)
    assert len(err.problems) == 2
    assert "head/kernel <- head/kernel: shape [5, 4] vs checkpoint [5, 3]" in err.problems[0]
    assert "head/bias <- head/bias: shape [4] vs checkpoint [3]" in err.problems[1]
    assert "no variable was changed" in str(err)
    assert [m.target for m in err.plan.mismatched] == HEAD
    assert_unchanged(dst, before)
    report = tfshare.restore(dst, d, skip_mismatch=True)
    assert [m.target for m in report.restored] == TRUNK
    assert [(m.target, m.shape, m.source_shape) for m in report.skipped] == [
        ("head/kernel", (5, 4), (5, 3)), ("head/bias", (4,), (3,))]
    assert report.problems == ()
    assert "skipped" in str(report)
    after = snapshot(dst)
    assert_same(after, sv, TRUNK)
    assert_same(after, before, HEAD)
    # skipping everything leaves nothing to restore: an error, not a silent no-op
    head_only = {"head/kernel": dst.get_layer("head").kernel}
    with pytest.raises(RestorePlanError, match="nothing to restore: all 1 matched variables were skipped"):
        tfshare.restore(head_only, d, skip_mismatch=True)


def test_dtype_mismatch_is_a_problem(tmp_path):
    p = tfshare.write_checkpoint(str(tmp_path / "ck"), {"a": np.ones((2,), np.float64)})
    a = tf.Variable(np.zeros(2, np.float32), name="a")
    with pytest.raises(RestorePlanError, match="dtype float32 vs checkpoint float64"):
        tfshare.restore([a], p)
    np.testing.assert_array_equal(a.numpy(), 0)


def test_renaming_map_keras(src):
    _, sv, d = src
    dst = make_model(trunk_name="encoder")
    randomize(dst, 6)
    report = tfshare.restore(dst, d, assignment_map={"trunk/": "encoder/"})
    assert [(m.target, m.source, m.via) for m in report.restored] == [
        ("encoder/kernel", "trunk/kernel", "trunk/ -> encoder/"),
        ("encoder/bias", "trunk/bias", "trunk/ -> encoder/"),
        ("head/kernel", "head/kernel", None), ("head/bias", "head/bias", None)]
    assert len(report.renamed) == 2
    after = snapshot(dst)
    np.testing.assert_array_equal(after["encoder/kernel"], sv["trunk/kernel"])
    np.testing.assert_array_equal(after["encoder/bias"], sv["trunk/bias"])
    assert_same(after, sv, HEAD)


def test_assignment_map_forms_match_init_from_checkpoint(tmp_path):
    """Every TF1 map form, against stock ``init_from_checkpoint`` in graph mode."""
    rng = np.random.RandomState(7)
    ck = {"old/a": rng.rand(2, 3), "old/sub/b": rng.rand(3), "c": rng.rand(4), "d": rng.rand(2),
          "x/e": rng.rand(2)}
    ck = {k: v.astype(np.float32) for k, v in ck.items()}
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), ck)
    specs = {"new/a": (2, 3), "new/sub/b": (3,), "other/c": (4,), "renamed_d": (2,)}
    cases = [
        ({"old/": "new/"}, specs),
        ({"/": "other/"}, specs),
        ({"d": "renamed_d"}, specs),
        ({"x/": "/"}, {"e": (2,)}),
        ([("old/a", "new/a"), ("old/sub/b", "new/sub/b")], specs),
    ]
    for amap, spec in cases:
        with tf.Graph().as_default():
            vs = {n: v1.get_variable(n, s, initializer=v1.zeros_initializer()) for n, s in spec.items()}
            v1.train.init_from_checkpoint(prefix, dict(amap))
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                want = sess.run(vs)
        got = {n: tf.Variable(np.zeros(s, np.float32), name=n) for n, s in spec.items()}
        tfshare.restore(got, prefix, assignment_map=amap)
        for n in spec:
            np.testing.assert_array_equal(got[n].numpy(), want[n], err_msg=f"{amap} {n}")
        assert any(np.any(want[n] != 0) for n in spec)


def test_assignment_map_variable_object_and_errors(tmp_path):
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), {"old/a": np.arange(3, dtype=np.float32)})
    v = tf.Variable(np.zeros(3, np.float32), name="anything")
    report = tfshare.restore([], prefix, assignment_map={"old/a": v})
    np.testing.assert_array_equal(v.numpy(), [0, 1, 2])
    assert report.restored[0].source == "old/a"
    w = tf.Variable(np.zeros(3, np.float32), name="new/a")
    for target in ["new", "new/"]:  # TF1's text when the target is a scope, not a variable
        with pytest.raises(ValueError, match=r"Assignment map with scope only name new should map to "
                                             r"scope only old/a\. Should be 'scope/': 'other_scope/'\."):
            tfshare.restore([w], prefix, assignment_map={"old/a": target})
    with pytest.raises(RestorePlanError, match=r"Tensor old/zzz \(for new/a, mapped by old/zzz -> new/a\) "
                                                r"is not found in .* checkpoint"):
        tfshare.restore([w], prefix, assignment_map={"old/zzz": "new/a"})
    with pytest.raises(RestorePlanError, match="no target variable is under 'nowhere/'"):
        tfshare.restore([w], prefix, assignment_map={"old/": "nowhere/"})
    with pytest.raises(TypeError, match="assignment_map"):
        tfshare.restore([w], prefix, assignment_map="old/=new/")
    np.testing.assert_array_equal(w.numpy(), 0)


# ------------------------------------------------------------ round trips
def test_save_then_tf1_saver_restores_in_graph_mode(src, tmp_path):
    _, sv, d = src
    prefix = os.path.join(d, "model")
    assert tf.train.latest_checkpoint(d) == prefix
    reader = tf.train.load_checkpoint(prefix)
    assert sorted(reader.get_variable_to_shape_map()) == sorted(TRUNK + HEAD)
    with tf.Graph().as_default():
        vs = {n: v1.get_variable(n, sv[n].shape, initializer=v1.zeros_initializer()) for n in sv}
        saver = v1.train.Saver()
        with v1.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(d))
            got = sess.run(vs)
    assert_same(got, sv, sv)


def test_tf1_saver_then_restore_eager_and_graph(tmp_path):
    rng = np.random.RandomState(8)
    vals = {"enc/w": rng.rand(3, 2).astype(np.float32), "enc/b": rng.rand(2).astype(np.float32)}
    d = str(tmp_path / "tf1")
    with tf.Graph().as_default():
        for n, x in vals.items():
            v1.get_variable(n, initializer=x)
        v1.train.get_or_create_global_step()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            prefix = v1.train.Saver().save(sess, os.path.join(d, "m"), global_step=3)
    assert [(i.name, i.shape, i.dtype) for i in tfshare.list_variables(d)] == [
        ("enc/b", (2,), "float32"), ("enc/w", (3, 2), "float32"), ("global_step", (), "int64")]
    np.testing.assert_array_equal(tfshare.load_variable(d, "enc/w"), vals["enc/w"])
    vs = [tf.Variable(np.zeros(x.shape, np.float32), name=n) for n, x in vals.items()]
    report = tfshare.restore(vs, prefix)
    assert report.unused == ("global_step",)
    for v, x in zip(vs, vals.values(), strict=True):
        np.testing.assert_array_equal(v.numpy(), x)
    # graph mode, with a session
    with tf.Graph().as_default():
        gv = [v1.get_variable(n, x.shape, initializer=v1.zeros_initializer()) for n, x in vals.items()]
        sess = v1.Session()  # not the default session
        sess.run(v1.global_variables_initializer())
        with pytest.raises(CheckpointError, match="needs a session"):
            tfshare.restore(gv, prefix)
        assert not np.any(sess.run(gv)[0])
        tfshare.restore(gv, prefix, session=sess)
        got = sess.run(gv)
        with sess.as_default():
            tfshare.save(gv, str(tmp_path / "again" / "m"))
        sess.close()
    for g, x in zip(got, vals.values(), strict=True):
        np.testing.assert_array_equal(g, x)
    np.testing.assert_array_equal(tfshare.load_variable(str(tmp_path / "again"), "enc/b"), vals["enc/b"])


def test_keras_weights_h5_and_keras_file(tmp_path):
    s = make_model()
    randomize(s, 9)
    sv = snapshot(s)
    h5 = str(tmp_path / "m.weights.h5")
    s.save_weights(h5)
    names = [i.name for i in tfshare.list_variables(h5)]
    assert names == ["head/0", "head/1", "trunk/0", "trunk/1"]
    dst = make_model()
    report = tfshare.restore(dst, h5)
    assert [(m.target, m.source) for m in report.restored] == [
        ("trunk/kernel", "trunk/0"), ("trunk/bias", "trunk/1"), ("head/kernel", "head/0"),
        ("head/bias", "head/1")]
    assert_same(snapshot(dst), sv, sv)
    kf = str(tmp_path / "m.keras")
    s.save(kf)
    dst = make_model()
    report = tfshare.restore(dst, kf, exclude=["head"])
    assert report.format == "keras" and report.excluded == tuple(HEAD)
    assert_same(snapshot(dst), sv, TRUNK)
    # Sequential models carry their own name in the weight paths
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                            keras.layers.Dense(2, name="d2")])
    randomize(seq, 10)
    seq.save_weights(str(tmp_path / "s.weights.h5"))
    seq2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                             keras.layers.Dense(2, name="d2")])
    tfshare.restore(seq2, str(tmp_path / "s.weights.h5"), strict=True)
    for a, b in zip(seq.weights, seq2.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tf2_object_checkpoints(tmp_path):
    s = make_model()
    randomize(s, 11)
    sv = snapshot(s)
    prefix = tf.train.Checkpoint(model=s).write(str(tmp_path / "tf2" / "ck"))
    infos = tfshare.list_variables(prefix)
    assert all(not i.name.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for i in infos)
    assert sorted(i.alias for i in infos) == sorted(TRUNK + HEAD)
    dst = make_model()
    report = tfshare.restore(dst, prefix, strict=True)
    assert all(m.via == "alias" for m in report.restored)
    assert_same(snapshot(dst), sv, sv)
    # a plain object graph: names are the object paths
    a = tf.Variable(np.arange(3, dtype=np.float32))
    mod = tf.Module()
    mod.w = tf.Variable(np.ones((2, 2), np.float32))
    ck = tf.train.Checkpoint(a=a, mod=mod)
    path = ck.save(str(tmp_path / "obj" / "ck"))
    assert [i.name for i in tfshare.list_variables(path)] == ["a", "mod/w", "save_counter"]
    got = {"a": tf.Variable(np.zeros(3, np.float32)), "mod/w": tf.Variable(np.zeros((2, 2), np.float32))}
    report = tfshare.restore(got, str(tmp_path / "obj"))
    assert report.unused == ("save_counter",)
    np.testing.assert_array_equal(got["a"].numpy(), [0, 1, 2])
    np.testing.assert_array_equal(got["mod/w"].numpy(), 1)


# --------------------------------------------------------------- bad input
def test_bad_inputs_leave_values_unchanged(src, tmp_path):
    _, _, d = src
    dst = make_model()
    randomize(dst, 12)
    before = snapshot(dst)

    with pytest.raises(CheckpointError, match="No checkpoint at path=.*nope"):
        tfshare.restore(dst, str(tmp_path / "nope"))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="is not a checkpoint"):
        tfshare.restore(dst, str(text))
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        tfshare.restore(dst, str(empty_dir))
    with pytest.raises(TypeError, match="path"):
        tfshare.restore(dst, 123)
    # wrong format: a zip without weights, an HDF5 file that is not Keras weights
    zpath = tmp_path / "x.keras"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(CheckpointError, match="without a model.weights.h5 member"):
        tfshare.restore(dst, str(zpath))
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.ones(3)
    with pytest.raises(RestorePlanError, match="nothing to restore"):
        tfshare.restore(dst, str(tmp_path / "other.h5"))

    # truncated index
    bad = tmp_path / "bad_index"
    shutil.copytree(d, bad)
    idx = bad / "model.index"
    idx.write_bytes(idx.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="Cannot read checkpoint"):
        tfshare.restore(dst, str(bad / "model"))
    # truncated data: the index places tensors past the end of the file -> refused at open
    bad = tmp_path / "bad_data"
    shutil.copytree(d, bad)
    data = bad / "model.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:40])
    with pytest.raises(CheckpointError, match=r"which holds 40 bytes \(truncated"):
        tfshare.restore(dst, str(bad))
    assert_unchanged(dst, before)


def test_nothing_to_restore_and_empty_and_unbuilt(src, tmp_path):
    _, _, d = src
    other = make_model(trunk_name="foo", head=False)
    randomize(other, 13)
    before = snapshot(other)
    with pytest.raises(RestorePlanError, match="nothing to restore: none of the 2 selected target"):
        tfshare.restore(other, d)
    assert_unchanged(other, before)
    with pytest.raises(RestorePlanError, match="the target has no variables"):
        tfshare.restore([], d)
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(CheckpointError, match=r"not built yet.*call it once"):
        tfshare.restore(unbuilt, d)
    with pytest.raises(TypeError, match="include is provided but is not a list or a tuple."):
        tfshare.restore(other, d, include="trunk")
    with pytest.raises(TypeError, match="exclude is provided but is not a list or a tuple."):
        tfshare.plan(other, d, exclude="head")
    with pytest.raises(TypeError, match="target"):
        tfshare.restore(42, d)


def test_plan_is_a_dry_run(src):
    _, sv, d = src
    dst = make_model(head_units=4)
    randomize(dst, 14)
    before = snapshot(dst)
    p = tfshare.plan(dst, d)
    assert not p.ok and not p.assigned and len(p.problems) == 2
    assert [m.target for m in p.restored] == TRUNK
    assert str(p).startswith("Restore plan from ")
    assert "MISMATCH" in str(p)
    assert_unchanged(dst, before)
    with pytest.raises(RestorePlanError):
        tfshare.plan(dst, d, raise_on_problems=True)


# -------------------------------------------------------------- legacy names
def test_translate_legacy_names_table():
    old = [
        "rnn/basic_lstm_cell/weights", "rnn/basic_lstm_cell/biases",
        "rnn/gru_cell/gates/weights", "rnn/gru_cell/candidate/biases",
        "rnn/lstm_cell/projection/weights", "rnn/lstm_cell/w_f_diag",
        "RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Matrix",
        "RNN/MultiRNNCell/Cell1/BasicLSTMCell/Linear/Bias",
        "RNN/GRUCell/Gates/Linear/Matrix", "RNN/GRUCell/Candidate/Linear/Bias",
        "BiRNN/FW/LSTMCell/W_0", "BiRNN/FW/LSTMCell/B", "BiRNN/FW/LSTMCell/W_F_diag",
        "BiRNN/FW/LSTMCell/W_P_0", "BiRNN_BW/BasicRNNCell/Linear/Matrix",
        "dense/weights", "fully_connected/biases", "rnn/lstm_cell/kernel",
    ]
    want = {
        "rnn/basic_lstm_cell/weights": "rnn/basic_lstm_cell/kernel",
        "rnn/basic_lstm_cell/biases": "rnn/basic_lstm_cell/bias",
        "rnn/gru_cell/gates/weights": "rnn/gru_cell/gates/kernel",
        "rnn/gru_cell/candidate/biases": "rnn/gru_cell/candidate/bias",
        "rnn/lstm_cell/projection/weights": "rnn/lstm_cell/projection/kernel",
        "RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Matrix":
            "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "RNN/MultiRNNCell/Cell1/BasicLSTMCell/Linear/Bias":
            "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias",
        "RNN/GRUCell/Gates/Linear/Matrix": "rnn/gru_cell/gates/kernel",
        "RNN/GRUCell/Candidate/Linear/Bias": "rnn/gru_cell/candidate/bias",
        "BiRNN/FW/LSTMCell/W_0": "bidirectional_rnn/fw/lstm_cell/kernel",
        "BiRNN/FW/LSTMCell/B": "bidirectional_rnn/fw/lstm_cell/bias",
        "BiRNN/FW/LSTMCell/W_F_diag": "bidirectional_rnn/fw/lstm_cell/w_f_diag",
        "BiRNN/FW/LSTMCell/W_P_0": "bidirectional_rnn/fw/lstm_cell/projection/kernel",
        "BiRNN_BW/BasicRNNCell/Linear/Matrix": "bidirectional_rnn/bw/basic_rnn_cell/kernel",
    }
    assert tfshare.translate_legacy_names(old) == want
    sharded = tfshare.translate_legacy_names(["a/LSTMCell/W_0", "a/LSTMCell/W_1"])
    assert sharded == {"a/LSTMCell/W_0": "a/lstm_cell/kernel/part_0",
                       "a/LSTMCell/W_1": "a/lstm_cell/kernel/part_1"}
    assert tfshare.translate_legacy_name("rnn/lstm_cell/biases") == "rnn/lstm_cell/bias"


def test_restore_legacy_checkpoint(tmp_path):
    """A TF 1.1-style and a 0.12-style checkpoint load into today's names."""
    rng = np.random.RandomState(15)
    modern = {"rnn/basic_lstm_cell/kernel": (5, 8), "rnn/basic_lstm_cell/bias": (8,),
              "rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel": (4, 4),
              "rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias": (2,)}
    legacy_11 = {"rnn/basic_lstm_cell/weights": "rnn/basic_lstm_cell/kernel",
                 "rnn/basic_lstm_cell/biases": "rnn/basic_lstm_cell/bias",
                 "rnn/multi_rnn_cell/cell_0/gru_cell/gates/weights":
                     "rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel",
                 "rnn/multi_rnn_cell/cell_0/gru_cell/candidate/biases":
                     "rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias"}
    legacy_012 = {"RNN/BasicLSTMCell/Linear/Matrix": "rnn/basic_lstm_cell/kernel",
                  "RNN/BasicLSTMCell/Linear/Bias": "rnn/basic_lstm_cell/bias",
                  "RNN/MultiRNNCell/Cell0/GRUCell/Gates/Linear/Matrix":
                      "rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel",
                  "RNN/MultiRNNCell/Cell0/GRUCell/Candidate/Linear/Bias":
                      "rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias"}
    for i, table in enumerate([legacy_11, legacy_012]):
        vals = {old: rng.uniform(-0.5, 0.5, modern[new]).astype(np.float32) for old, new in table.items()}
        prefix = tfshare.write_checkpoint(str(tmp_path / f"legacy{i}" / "m"), vals)
        target = {n: tf.Variable(np.zeros(s, np.float32)) for n, s in modern.items()}
        with pytest.raises(RestorePlanError, match="nothing to restore"):
            tfshare.restore(target, prefix)
        report = tfshare.restore(target, prefix, translate_legacy_names=True, strict=True)
        assert all(m.via == "legacy" for m in report.restored)
        for old, new in table.items():
            np.testing.assert_array_equal(target[new].numpy(), vals[old])


# -------------------------------------------------------------------- ties
class TiedOutput(keras.layers.Layer):
    """Uses another layer's embedding matrix, transposed (tied weights)."""

    def __init__(self, embedding, **kw):
        super().__init__(**kw)
        self.embedding = embedding

    def call(self, x):
        return keras.ops.matmul(x, keras.ops.transpose(self.embedding.embeddings))


def make_tied():
    inp = keras.Input((3,), dtype="int32")
    emb = keras.layers.Embedding(7, 4, name="emb")
    h = keras.layers.Dense(4, name="mix")(emb(inp))
    out = TiedOutput(emb, name="tied")(h)
    return keras.Model(inp, out)


def test_ties_survive_a_round_trip(tmp_path):
    s = make_tied()
    randomize(s, 16)
    x = np.array([[1, 2, 6]], np.int32)
    y = s(x).numpy()
    prefix = tfshare.save(s, str(tmp_path / "t" / "m"))
    names = [i.name for i in tfshare.list_variables(prefix)]
    assert names.count("emb/embeddings") == 1 and len(names) == 3
    d = make_tied()
    randomize(d, 17)
    report = tfshare.restore(d, prefix, strict=True)
    assert len(report.restored) == 3
    np.testing.assert_allclose(d(x).numpy(), y, rtol=1e-6, atol=1e-6)
    # one variable under two target names must not get two different tensors
    v = tf.Variable(np.zeros(2, np.float32))
    p2 = tfshare.write_checkpoint(str(tmp_path / "t2" / "m"), {"a": np.ones(2, np.float32),
                                                                "b": np.full(2, 2, np.float32)})
    with pytest.raises(RestorePlanError, match="a tie: a, b"):
        tfshare.restore({"a": v, "b": v}, p2)
    np.testing.assert_array_equal(v.numpy(), 0)


# ---------------------------------------------------------- VariableStore
def test_restore_and_save_variable_store(tmp_path):
    def build(seed):
        store = tfshare.VariableStore()
        with tfshare.store_scope(store):
            with tfshare.variable_scope("enc"):
                tfshare.get_variable("w", [3, 2])
                with tfshare.variable_scope("cell"):
                    tfshare.get_variable("b", [2])
        randomize(store.variables(), seed)
        return store

    a = build(18)
    prefix = tfshare.save(a, str(tmp_path / "store" / "m"))
    assert [i.name for i in tfshare.list_variables(prefix)] == ["enc/cell/b", "enc/w"]
    b = build(19)
    report = tfshare.restore(b, prefix, strict=True)
    assert [m.target for m in report.restored] == ["enc/w", "enc/cell/b"]
    for x, y in zip(a.variables(), b.variables(), strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    c = build(20)
    keep = c.variables()[0].numpy()
    tfshare.restore(c, prefix, exclude=["enc/w"])
    np.testing.assert_array_equal(c.variables()[0].numpy(), keep)
    np.testing.assert_array_equal(c.variables()[1].numpy(), a.variables()[1].numpy())


# ---------------------------------------------------------------- selection
def test_variables_to_restore_matches_slim_collection_semantics():
    names = ["logits/w", "logits_aux/w", "conv/w", "conv2/b", "net/logits/w"]
    cases = [(None, None), (None, ["logits"]), (["conv"], None), (["conv", "net/"], ["conv2"]),
             (["logits/"], None), ([".*w"], ["net"])]
    with tf.Graph().as_default():
        vs = [v1.get_variable(n, [1]) for n in names]
        for include, exclude in cases:
            # tf-slim: union of get_collection(GLOBAL, s) over include, minus exclude's
            if include is None:
                want = list(v1.global_variables())
            else:
                want = []
                for s in include:
                    want += [v for v in v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES, s)
                             if v not in want]
            for s in exclude or []:
                drop = v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES, s)
                want = [v for v in want if v not in drop]
            got = tfshare.variables_to_restore(vs, include=include, exclude=exclude)
            assert sorted(v.op.name for v in got) == sorted(v.op.name for v in want), (include, exclude)
    m = make_model()
    assert [v.path for v in tfshare.variables_to_restore(m, exclude=["head"])] == TRUNK
    with pytest.raises(TypeError, match="include is provided but is not a list or a tuple."):
        tfshare.variables_to_restore(m, include="trunk")


def test_freeze_restores_trunk_trains_head(src):
    _, sv, d = src
    m = make_model()
    tfshare.restore(m, d, exclude=["head"])
    frozen = tfshare.freeze(m, exclude=["head"])
    assert frozen == TRUNK
    assert [w.path for w in m.trainable_weights] == HEAD
    assert not m.get_layer("trunk").trainable and m.get_layer("head").trainable
    before = snapshot(m)
    m.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    rng = np.random.RandomState(21)
    m.fit(rng.rand(8, 4), rng.rand(8, 3), epochs=1, batch_size=8, verbose=0)
    after = snapshot(m)
    assert_same(after, sv, TRUNK)
    assert not np.array_equal(after["head/kernel"], before["head/kernel"])


# ------------------------------------------------------------ crash safety
def test_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    d = str(tmp_path / "ck")
    p = tfshare.write_checkpoint(os.path.join(d, "m"), {"a": np.ones(3, np.float32)})
    before = sorted(os.listdir(d))
    real = writer_mod._save_v2

    def crash(prefix, names, values):
        real(prefix, names, values)
        with open(prefix + ".index", "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(writer_mod, "_save_v2", crash)
    with pytest.raises(OSError, match="Cannot write checkpoint .*m'?: disk full"):
        tfshare.write_checkpoint(p, {"a": np.zeros(3, np.float32)})
    monkeypatch.setattr(writer_mod, "_save_v2", real)
    np.testing.assert_array_equal(tfshare.load_variable(d, "a"), 1)
    assert sorted(os.listdir(d)) == before  # no temporaries left
    # overwriting in place: the new values, and the replaced shard set is kept
    # for readers of the old index until the next save
    tfshare.write_checkpoint(p, {"a": np.full(3, 2, np.float32), "b": np.zeros(1, np.float32)})
    np.testing.assert_array_equal(tfshare.load_variable(d, "a"), 2)
    assert sorted(os.listdir(d)) == [".tfshare-lock", "checkpoint", "m.data-00000-of-00001",
                                     "m.data-00000-of-00002", "m.data-00001-of-00002", "m.index"]
    tfshare.write_checkpoint(p, {"a": np.full(3, 3, np.float32)})  # 1 shard again; 2 retired
    assert sorted(os.listdir(d)) == [".tfshare-lock", "checkpoint", "m.data-00000-of-00001",
                                     "m.data-00000-of-00002", "m.data-00001-of-00002", "m.index"]
    assert _bundle.read_index((tmp_path / "ck" / "m.index").read_bytes()).num_shards == 1
    assert tf.train.load_checkpoint(p).get_tensor("a").tolist() == [3, 3, 3]


def test_global_step_names_and_state_file_as_saver_writes_them(tmp_path):
    d = str(tmp_path / "ck")
    m = make_model()
    p5 = tfshare.save(m, os.path.join(d, "model"), global_step=5)
    p6 = tfshare.save(m, os.path.join(d, "model"), global_step=6)
    assert p5.endswith("model-5") and p6.endswith("model-6")
    state = tf.train.get_checkpoint_state(d)
    assert state.model_checkpoint_path == p6
    assert list(state.all_model_checkpoint_paths)[-2:] == [p5, p6]
    with open(os.path.join(d, "checkpoint")) as f:
        assert 'model_checkpoint_path: "model-6"' in f.read()  # relative, as Saver writes
