"""Checkpoints written by real TensorFlow 1.15 come across, and tfshare's go back.

The fixtures (``tests/fixtures/tf115_ckpt``, written by
``tests/fixtures/make_tf115_checkpoints.py`` on TF 1.15.5) are one small TF1
program saved as every kind of checkpoint TF1 users have: V2 with Adam or
Momentum slots and ``global_step``, V1, a partitioned embedding (slices), a
``max_to_keep`` directory (whose state file holds the absolute paths of the
machine that wrote it) and ``Saver(var_list={...})`` renamed entries. The
truth is TF 1.15 itself: it restores each checkpoint into the program and
computes the logits (live when the oracle is built, else the committed
golden). Each kind is restored here into a Keras 3 model of tfshare cells
(``tfshare.restore``), into the eager variable store, with
``init_from_checkpoint`` (eager and graph), and into the same program on
``tfshare.compat.v1`` via ``tf.train.Saver``; the CLI reads them. Backwards,
TF 1.15 restores what ``tfshare.save`` and a compat program's Saver wrote.
"""
from __future__ import annotations

import io
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare
import tfshare.compat.v1 as tfc
from fixtures import make_tf115_checkpoints as fx
from oracle import needs_tf115, run_tf115, run_tfshare_v1, shared_result, tf115_or_golden
from tfshare import cli

ATOL = 1e-5
KINDS = fx.KINDS
MODEL_NAMES = ["dense/bias", "dense/kernel", "embedding", "rnn/lstm_cell/bias", "rnn/lstm_cell/kernel"]
#: assignment maps from each kind's checkpoint names to the Keras model's weight paths
KERAS_MAP = {"embedding": "embedding/embeddings"}
RENAMED_KERAS_MAP = {"encoder/embedding": "embedding/embeddings", "encoder/lstm/": "rnn/lstm_cell/",
                     "head/w": "dense/kernel", "head/b": "dense/bias"}
RENAMED_TF1_MAP = {"encoder/embedding": "embedding", "encoder/lstm/": "rnn/lstm_cell/",
                   "head/w": "dense/kernel", "head/b": "dense/bias"}


def path(kind: str) -> str:
    """The checkpoint directory of ``kind`` (its state file names the checkpoint)."""
    return os.path.join(fx.FIXTURE, kind)


def prefix(kind: str) -> str:
    return os.path.join(fx.FIXTURE, kind, fx.PREFIX[kind])


@pytest.fixture(scope="module")
def tf115(tmp_path_factory) -> dict:
    return tf115_or_golden(tmp_path_factory, "tf115_checkpoints", fx.restore_code(fx.FIXTURE),
                           fx.GOLDEN, fx.inputs())


def keras_model() -> keras.Model:
    """The TF1 program as a Keras 3 model of tfshare cells."""
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(12, 4, name="embedding")(ids)
    h = keras.layers.RNN(tfshare.LSTMCell(6, name="lstm_cell"), name="rnn")(x)
    return keras.Model(ids, keras.layers.Dense(3, name="dense")(h))


def slots(names: list) -> list:
    return sorted(n for n in names if n not in MODEL_NAMES and not n.startswith(("encoder/", "head/")))


# --------------------------------------------------------- TF 1.15 -> tfshare
def test_fixtures_are_what_tf115_wrote(tf115):
    """Names as TF 1.15 lists them; slots and global_step present; the moved
    directory's state file resolves to the checkpoint next to it."""
    for kind in KINDS:
        names = [i.name for i in tfshare.list_variables(path(kind))]
        assert names == tf115[f"json:{kind}/names"], kind
    assert slots(tf115["json:v2_adam/names"]) == [
        "beta1_power", "beta2_power", "dense/bias/Adam", "dense/bias/Adam_1", "dense/kernel/Adam",
        "dense/kernel/Adam_1", "embedding/Adam", "embedding/Adam_1", "global_step",
        "rnn/lstm_cell/bias/Adam", "rnn/lstm_cell/bias/Adam_1", "rnn/lstm_cell/kernel/Adam",
        "rnn/lstm_cell/kernel/Adam_1"]
    assert slots(tf115["json:v2_momentum/names"]) == [
        "dense/bias/Momentum", "dense/kernel/Momentum", "embedding/Momentum", "global_step",
        "rnn/lstm_cell/bias/Momentum", "rnn/lstm_cell/kernel/Momentum"]
    with open(os.path.join(path("keep"), "checkpoint")) as f:
        assert '"/tmp/tfshare_tf115_fixtures/keep/model.ckpt-4"' in f.read()
    with tfshare.open_checkpoint(path("keep")) as r:
        assert r.path == prefix("keep")
    with tfshare.open_checkpoint(path("v1")) as r:
        assert r.format == "tf1" and type(r).__name__ == "TFV1CheckpointReader"
    assert sorted(os.listdir(path("keep"))) == [
        "checkpoint", "model.ckpt-3.data-00000-of-00001", "model.ckpt-3.index",
        "model.ckpt-4.data-00000-of-00001", "model.ckpt-4.index"]


def test_partitioned_embedding_reads_as_the_full_tensor(tf115):
    full = tfshare.load_variable(path("partitioned"), "embedding")
    np.testing.assert_array_equal(full, tf115["partitioned/value/embedding"])
    assert full.shape == (12, 4)
    info = {i.name: i for i in tfshare.list_variables(path("partitioned"))}
    assert info["embedding"].shape == (12, 4) and info["embedding/Adam"].shape == (12, 4)


@pytest.mark.parametrize("kind", KINDS)
def test_restore_into_keras_model_of_tfshare_cells(tf115, kind):
    model = keras_model()
    amap = RENAMED_KERAS_MAP if kind == "renamed" else KERAS_MAP
    report = tfshare.restore(model, path(kind), assignment_map=amap)
    assert sorted(m.target for m in report.restored) == sorted(w.path for w in model.weights)
    assert report.missing == () and sorted(report.unused) == slots(tf115[f"json:{kind}/names"])
    got = model(fx.IDS).numpy()
    np.testing.assert_allclose(got, tf115[f"{kind}/logits"], rtol=0, atol=ATOL, err_msg=kind)
    np.testing.assert_array_equal(model.get_layer("embedding").embeddings.numpy(),
                                  tf115[f"{kind}/value/embedding"])


def compat_program(ids) -> tf.Tensor:
    """The fixture's TF1 program on ``tfshare.compat.v1`` (eager mode)."""
    tf1 = tfc
    emb = tf1.get_variable("embedding", [12, 4])
    x = tf1.nn.embedding_lookup(emb, ids)
    out, _ = tf1.nn.dynamic_rnn(tf1.nn.rnn_cell.LSTMCell(6), x, dtype=tf.float32)
    return tf1.layers.dense(out[:, -1], 3, name="dense")


@pytest.mark.parametrize("kind", KINDS)
def test_restore_into_the_eager_store(tf115, kind):
    store = tfshare.VariableStore()
    with tfshare.store_scope(store):
        compat_program(fx.IDS)  # creates the variables
        names = sorted(v.name[:-2] for v in store.variables())
        assert names == MODEL_NAMES
        report = tfshare.restore(store, path(kind),
                                 assignment_map=RENAMED_TF1_MAP if kind == "renamed" else None)
        assert len(report.restored) == 5 and report.missing == ()
        with tfc.variable_scope(tfc.get_variable_scope(), reuse=True):
            got = compat_program(fx.IDS).numpy()
    np.testing.assert_allclose(got, tf115[f"{kind}/logits"], rtol=0, atol=ATOL, err_msg=kind)


@pytest.mark.parametrize("kind", KINDS)
def test_init_from_checkpoint_eager(tf115, kind):
    store = tfshare.VariableStore()
    with tfshare.store_scope(store):
        compat_program(fx.IDS)
        tfc.train.init_from_checkpoint(prefix(kind), RENAMED_TF1_MAP if kind == "renamed" else {"/": "/"})
        with tfc.variable_scope(tfc.get_variable_scope(), reuse=True):
            got = compat_program(fx.IDS).numpy()
    np.testing.assert_allclose(got, tf115[f"{kind}/logits"], rtol=0, atol=ATOL, err_msg=kind)


# ----------------------------------------------- tfshare.compat.v1 graph mode
COMPAT = fx.MODEL + '''
for kind in KINDS:
    for how in ("saver", "init_from_checkpoint"):
        key = kind + "/" + how
        try:
            with tf.Graph().as_default():
                ids, labels, logits, loss = build(kind == "partitioned")
                by_name = model_variables()
                ckpt = os.path.join(FIXTURE, kind, PREFIX[kind])
                if how == "saver":
                    if kind == "renamed":
                        saver = tf.train.Saver({new: by_name[old] for new, old in RENAMED.items()})
                    else:
                        saver = tf.train.Saver(by_name)
                else:
                    amap = {"/": "/"} if kind != "renamed" else {
                        "encoder/embedding": "embedding", "encoder/lstm/": "rnn/lstm_cell/",
                        "head/w": "dense/kernel", "head/b": "dense/bias"}
                    tf.train.init_from_checkpoint(ckpt, amap)
                with tf.Session() as sess:
                    if how == "saver":
                        saver.restore(sess, ckpt)
                    else:
                        sess.run(tf.global_variables_initializer())
                    OUT[key] = sess.run(logits, {ids: IN["ids"]})
        except Exception as e:
            OUT["json:" + key + "/error"] = type(e).__name__ + ": " + str(e)[:500]

# this program's own training run, saved by its Saver, for TF 1.15 to restore
with tf.Graph().as_default():
    tf.set_random_seed(11)
    ids, labels, logits, loss = build()
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {ids: IN["ids"], labels: IN["labels"]})
        OUT["json:own/prefix"] = saver.save(sess, os.path.join(OWN_DIR, "model.ckpt"), global_step=step)
        OUT["own/logits"] = sess.run(logits, {ids: IN["ids"]})
        OUT["json:own/names"] = sorted(v.op.name for v in tf.global_variables())
'''


@pytest.fixture(scope="module")
def compat(tmp_path_factory) -> dict:
    def compute():
        work = str(tmp_path_factory.mktemp("compat_tf115"))
        head = (f"FIXTURE = {fx.FIXTURE!r}\nKINDS = {KINDS!r}\nPREFIX = {fx.PREFIX!r}\n"
                f"RENAMED = {fx.RENAMED!r}\nOWN_DIR = {os.path.join(work, 'own')!r}\n")
        return run_tfshare_v1(head + COMPAT, fx.inputs())
    return shared_result(tmp_path_factory, "compat_tf115_program", compute)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["saver", "init_from_checkpoint"])
def test_compat_graph_program_restores(tf115, compat, kind, how):
    key = f"{kind}/{how}"
    assert f"json:{key}/error" not in compat, compat.get(f"json:{key}/error")
    np.testing.assert_allclose(compat[key], tf115[f"{kind}/logits"], rtol=0, atol=ATOL, err_msg=key)


# ------------------------------------------------------------------- the CLI
def run_cli(*argv) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_reads_every_kind(tf115, tmp_path):
    for kind in KINDS:
        code, out, err = run_cli("inspect", path(kind))
        assert code == 0, err
        names = [line.split()[0] for line in out.splitlines()[2:-1]]
        assert names == tf115[f"json:{kind}/names"], kind
        assert out.splitlines()[0] == f"{prefix(kind)} ({'tf1'})"
    code, out, _ = run_cli("inspect", path("partitioned"), "--filter", "^embedding$")
    assert code == 0 and "embedding  [12, 4]  float32  48" in out
    # V1 and V2 of the same program: same model names; slots differ by optimizer
    code, out, _ = run_cli("diff", path("v2_adam"), path("v1"))
    assert code == 1 and "- rnn/lstm_cell/kernel/Adam  [10, 24] float32   (only in A)" in out
    code, out, _ = run_cli("diff", path("v2_adam"), path("partitioned"), "--values")
    assert code == 1 and "~ embedding  values differ" in out
    # plan: a TF 1.15 checkpoint into the layout tfshare saves for the Keras model
    model = keras_model()
    tfshare.restore(model, path("v2_adam"), assignment_map=KERAS_MAP)
    layout = tfshare.save({n: w for n, w in zip(tf1_names(model), model.weights, strict=True)},
                          str(tmp_path / "layout" / "model"))
    code, out, _ = run_cli("plan", path("v2_momentum"), layout)
    assert code == 0 and "5 restored (0 renamed), 0 missing, 6 unused" in out
    # rename the renamed entries back to the program's names, then restore by name
    dst = str(tmp_path / "back" / "model")
    args = [a for old, new in RENAMED_TF1_MAP.items() for a in ("--map", f"{old}={new}")]
    code, out, err = run_cli("rename", path("renamed"), dst, *args)
    assert code == 0, err
    assert sorted(i.name for i in tfshare.list_variables(dst)) == MODEL_NAMES
    model = keras_model()
    tfshare.restore(model, dst, assignment_map=KERAS_MAP, strict=True)
    np.testing.assert_allclose(model(fx.IDS).numpy(), tf115["renamed/logits"], rtol=0, atol=ATOL)


def tf1_names(model: keras.Model) -> list:
    """The TF1 program's name of each Keras weight."""
    return ["embedding" if w.path == "embedding/embeddings" else w.path for w in model.weights]


# ------------------------------------------------------- tfshare -> TF 1.15
TF115_RESTORE = fx.MODEL + '''
for key, ckpt in sorted(PREFIXES.items()):
    with tf.Graph().as_default():
        ids, labels, logits, loss = build()
        saver = tf.train.Saver(model_variables())
        with tf.Session() as sess:
            saver.restore(sess, ckpt)
            OUT[key] = sess.run(logits, {ids: IN["ids"]})
'''


@needs_tf115
def test_tf115_restores_tfshare_and_compat_checkpoints(tmp_path, compat):
    """``tfshare.save`` of a Keras model of tfshare cells (saved twice at one
    prefix, so the second save switches to a new shard set) and the compat
    program's own ``Saver`` checkpoint, restored by TF 1.15's Saver into the
    TF1 program: the same logits."""
    model = keras_model()
    model(fx.IDS)
    rng = np.random.RandomState(21)
    for w in model.weights:
        w.assign(rng.uniform(-0.7, 0.7, tuple(w.shape)).astype(np.float32))
    want = model(fx.IDS).numpy()
    named = {n: w for n, w in zip(tf1_names(model), model.weights, strict=True)}
    first = tfshare.save(named, str(tmp_path / "k" / "model"))
    for w in model.weights:  # the second save holds the values TF 1.15 must see
        w.assign(w.numpy() * -0.9)
    want = model(fx.IDS).numpy()
    assert tfshare.save(named, str(tmp_path / "k" / "model")) == first
    shards = sorted(f for f in os.listdir(tmp_path / "k") if f.startswith("model.data-"))
    assert len(shards) == 3  # the retired one-shard set and the new two-shard set
    got = run_tf115(f"PREFIXES = {{'tfshare': {first!r}, 'compat': {compat['json:own/prefix']!r}}}\n"
                    + TF115_RESTORE, fx.inputs())
    np.testing.assert_allclose(got["tfshare"], want, rtol=0, atol=ATOL)
    np.testing.assert_allclose(got["compat"], compat["own/logits"], rtol=0, atol=ATOL)
    assert "global_step" in compat["json:own/names"]
