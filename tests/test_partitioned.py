"""Partitioned variables (``get_variable(partitioner=...)``) as TF1 made them.

A TF 1.15 checkpoint holding an embedding split in three slices
(``tests/partitioned_program.py``; live when the oracle is built, else the
golden) is restored with ``tf.train.Saver`` into the same model built with
``tfshare.compat.v1``, as a migrated TF1 program does. The slices, the names
``Saver`` writes and the restored values must be TF1's. Setup-aware (runs
again under each TF1 switch, see ``tests/tf1_setups.py``).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import tf1_setups  # noqa: F401  (applies the process's TF1 setup first)
import tensorflow as tf  # noqa: E402

import partitioned_program  # noqa: E402
import tfshare  # noqa: E402
import tfshare.compat.v1 as tfc  # noqa: E402
from oracle import tf115_or_golden  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(__file__), "fixtures", "tf115_partitioned")


@pytest.fixture(scope="module")
def tf115(tmp_path_factory):
    return tf115_or_golden(tmp_path_factory, "partitioned", partitioned_program.CODE, GOLDEN)


@pytest.fixture
def tf115_checkpoint(tf115, tmp_path):
    prefix = str(tmp_path / "model.ckpt")
    for key, suffix in partitioned_program.FILES.items():
        with open(prefix + suffix, "wb") as f:
            f.write(np.asarray(tf115[key], np.uint8).tobytes())
    return prefix


def _build():
    """The TF1 program's model, written as the migrated program writes it."""
    with tfc.variable_scope("model"):
        emb = tfc.get_variable("emb", [7, 3], partitioner=tfc.fixed_size_partitioner(3),
                               initializer=tfc.zeros_initializer())
        w = tfc.get_variable("w", [3, 2], initializer=tfc.zeros_initializer())
    out = tfc.matmul(tfc.nn.embedding_lookup(emb, partitioned_program.IDS), w)
    return emb, w, out


def test_tf1_checkpoint_restores_into_a_tfshare_graph(tf115, tf115_checkpoint, tmp_path):
    with tf.Graph().as_default():
        emb, w, out = _build()
        assert [[v.name, v.get_shape().as_list()] for v in emb] == tf115["json:parts"]
        assert emb.get_shape().as_list() == [7, 3]
        assert [v.name for v in tfc.global_variables()] == [
            "model/emb/part_0:0", "model/emb/part_1:0", "model/emb/part_2:0", "model/w:0"]
        saver = tfc.train.Saver(max_to_keep=2)
        with tfc.Session() as sess:
            sess.run(tfc.global_variables_initializer())
            saver.restore(sess, tf115_checkpoint)
            full, restored_out = sess.run([tfc.concat(list(emb), 0), out])
            np.testing.assert_allclose(full, partitioned_program.EMB, rtol=1e-6)
            np.testing.assert_allclose(restored_out, tf115["out"], rtol=1e-6)
            # saved again by tfshare's graph: the layout TF1 wrote
            ours = saver.save(sess, str(tmp_path / "again" / "model.ckpt"))
    listed = [[n, s] for n, s in tfc.train.list_variables(ours)]
    assert listed == tf115["json:listed"]
    reader = tf.train.load_checkpoint(ours)
    np.testing.assert_allclose(reader.get_tensor("model/emb"), partitioned_program.EMB,
                               rtol=1e-6)


def test_reuse_and_lookups_share_the_slices(tmp_path):
    with tf.Graph().as_default():
        emb, _, _ = _build()
        with tfc.variable_scope("model", reuse=True):
            again = tfc.get_variable("emb")  # reuse=True finds it without a partitioner
            assert again is emb
        with pytest.raises(ValueError, match="Partitioned variable with name model/emb "
                                             "already exists"):
            with tfc.variable_scope("model"):
                tfc.get_variable("emb", [7, 3], partitioner=tfc.fixed_size_partitioner(3))
        # Saver sees one variable "model/emb" made of three slices
        saver = tfc.train.Saver(var_list={"model/emb": emb})
        with tfc.Session() as sess:
            sess.run(tfc.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "emb"))
    assert tf.train.list_variables(path) == [("model/emb", [7, 3])]


@pytest.mark.skipif(not tf1_setups.EAGER, reason="eager execution is off in this TF1 setup")
def test_eager_mode_makes_shared_slices():
    """TF1's eager mode also made a PartitionedVariable of eager variables (its
    ``Saver`` could not save the slices there, nor can TF 2's)."""
    tfc.reset_default_graph()
    try:
        with tfc.variable_scope("model"):
            emb = tfc.get_variable("emb", [7, 3], partitioner=tfc.fixed_size_partitioner(3))
        values = np.asarray(partitioned_program.EMB, np.float32)
        for part, rows in zip(emb, np.split(values, [3, 5]), strict=True):
            part.assign(rows)
        with tfc.variable_scope("model", reuse=True):
            assert tfc.get_variable("emb", [7, 3],
                                    partitioner=tfc.fixed_size_partitioner(3)) is emb
            assert tfc.get_variable("emb") is emb
        assert [v.name for v in emb] == ["model/emb/part_0:0", "model/emb/part_1:0",
                                         "model/emb/part_2:0"]
        rows = tfc.nn.embedding_lookup(emb, partitioned_program.IDS,
                                       partition_strategy="div").numpy()
        np.testing.assert_allclose(rows, np.asarray(partitioned_program.EMB)[
            partitioned_program.IDS], rtol=1e-6)
        assert [v.name for v in tfc.global_variables()] == [v.name for v in emb]
    finally:
        tfc.reset_default_graph()


@pytest.mark.skipif(not tf1_setups.EAGER, reason="eager execution is off in this TF1 setup")
def test_partitioned_variables_cannot_be_keras_weights():
    import keras

    class Block(keras.layers.Layer):
        @tfshare.track_tf1_style_variables
        def call(self, ids):
            emb = tfc.get_variable("emb", [7, 3], partitioner=tfc.fixed_size_partitioner(2))
            return tfc.nn.embedding_lookup(emb, ids)

    with pytest.raises(NotImplementedError, match="partitioner=None"):
        Block()(tf.constant([1, 2]))
