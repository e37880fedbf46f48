"""Weights are never lost, half-restored or read from where they should not be.

One test per failure found by trying tfshare's checkpoint code as a hostile or
unlucky user would: a save deleting the user's files, a restore half done, an
HDF5 file reaching outside itself, a ``.keras`` member Keras would not load,
sizes not checked before reading, and unclear errors. Oracles: the bytes of the
user's files, the values before the call, Keras's own loader, TF's reader.
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
from tfshare.checkpoint import _bundle
from tfshare.checkpoint import readers as readers_mod
from tfshare.errors import CheckpointError, RestorePlanError

v1 = tf.compat.v1
RNG = np.random.RandomState(1234)


def values(n: int = 6, size: int = 64) -> dict:
    return {f"v{i}": RNG.uniform(-1, 1, size).astype(np.float32) for i in range(n)}


def zeros_like(vals: dict) -> dict:
    return {k: tf.Variable(np.zeros_like(v), name=k) for k, v in vals.items()}


def now(target: dict) -> dict:
    return {k: np.array(v.numpy()) for k, v in target.items()}


# ------------------------------------------------------------ item 2: data loss
def test_save_keeps_user_files_that_share_the_prefix(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    mine = {"model.data-00000-of-00001.backup": b"backup bytes", "model.data-README.txt": b"notes",
            "model.index.orig": b"idx", "model.data-00003-of-00002": b"not a shard",
            "model-2.data-00000-of-00001": b"another checkpoint", ".hidden": b"h"}
    for name, data in mine.items():
        (d / name).write_bytes(data)
    for step in range(3):
        tfshare.write_checkpoint(str(d / "model"), {"w": np.full(3, step, np.float32)})
        np.testing.assert_array_equal(tfshare.load_variable(str(d / "model"), "w"), step)
    for name, data in mine.items():
        assert (d / name).read_bytes() == data, name


# ----------------------------------------------------- item 3: all or nothing
@pytest.mark.parametrize("bad", ["constant", "numpy"])
def test_restore_refuses_unassignable_targets_before_assigning(tmp_path, bad):
    vals = values(4)
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), vals)
    target = zeros_like({k: vals[k] for k in ["v0", "v1", "v2"]})
    x = tf.constant(np.zeros(64, np.float32)) if bad == "constant" else np.zeros(64, np.float32)
    with pytest.raises(RestorePlanError, match=r"v3: a \w+ cannot be assigned") as e:
        tfshare.restore(dict(target, v3=x), prefix)
    assert len(e.value.problems) == 1
    for v in target.values():
        np.testing.assert_array_equal(v.numpy(), 0)
    assert not tfshare.plan(dict(target, v3=x), prefix).ok  # the dry run sees it too


def test_graph_mode_list_with_a_tensor_is_a_plan_problem(tmp_path):
    vals = values(2)
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), vals)
    with tf.Graph().as_default():
        a = v1.get_variable("v0", [64], initializer=v1.zeros_initializer())
        t = tf.identity(tf.zeros([64]), name="v1")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            with pytest.raises(RestorePlanError, match=r"v1: a \w*Tensor cannot be assigned"):
                tfshare.restore([a, t], prefix, session=sess)
            np.testing.assert_array_equal(sess.run(a), 0)
            # a variable of another graph cannot be assigned through this session either
            with tf.Graph().as_default():
                other = v1.get_variable("v0", [64])
            with pytest.raises(RestorePlanError, match="not a variable of the session's graph"):
                tfshare.restore([other, a], prefix, session=sess)
            np.testing.assert_array_equal(sess.run(a), 0)
            tfshare.restore([a], prefix, session=sess)
            np.testing.assert_array_equal(sess.run(a), vals["v0"])


def test_a_read_failing_midway_changes_no_target(tmp_path):
    """Six tensors; the data file damaged at 2/3 of its length, so the first
    tensors read fine and a later one fails: every target keeps its value (a
    restore that assigned each tensor as soon as it read it fails this)."""
    vals = values(6)
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck" / "m"), vals)
    data = tmp_path / "ck" / "m.data-00000-of-00001"
    good = data.read_bytes()
    index = _bundle.read_index((tmp_path / "ck" / "m.index").read_bytes())
    cut = 2 * len(good) // 3
    before_cut = [n for n, e in index.entries.items() if e.offset + e.size <= cut]
    assert len(before_cut) >= 3  # these read fine before the damage is met

    target = zeros_like(vals)
    flipped = bytearray(good)
    flipped[cut] ^= 0xFF
    data.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="Cannot read tensors from checkpoint"):
        tfshare.restore(target, prefix)
    assert all(not np.any(v) for v in now(target).values())

    data.write_bytes(good[:cut])  # truncated: found before any read
    with pytest.raises(CheckpointError, match="truncated"):
        tfshare.restore(target, prefix)
    assert all(not np.any(v) for v in now(target).values())

    data.write_bytes(good)
    tfshare.restore(target, prefix)
    for k, v in now(target).items():
        np.testing.assert_array_equal(v, vals[k])


def test_a_reader_error_on_the_last_tensor_changes_no_target(tmp_path, monkeypatch):
    """Whatever the reader: restore asks for every value before assigning one."""
    vals = values(4)
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), vals)
    real = readers_mod.TFCheckpointReader.read_many
    asked = []

    def failing(self, names):
        names = list(names)
        asked.append(names)
        got = real(self, names[:-1])
        raise CheckpointError(f"injected failure after reading {sorted(got)}")

    monkeypatch.setattr(readers_mod.TFCheckpointReader, "read_many", failing)
    target = zeros_like(vals)
    with pytest.raises(CheckpointError, match="injected failure"):
        tfshare.restore(target, prefix)
    assert [sorted(a) for a in asked] == [sorted(vals)]
    assert all(not np.any(v) for v in now(target).values())


# ------------------------------------------------------------- item 4: links
def keras_weights(tmp_path) -> tuple[keras.Model, str]:
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="seq")
    for w in m.weights:
        w.assign(RNG.uniform(-1, 1, tuple(w.shape)).astype(np.float32))
    path = str(tmp_path / "m.weights.h5")
    m.save_weights(path)
    return m, path


def fresh() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="seq")


def vars_path(path: str) -> str:
    with h5py.File(path, "r") as f:
        found = []
        f.visit(lambda n: found.append(n) if n.endswith("vars") else None)
    return "/" + found[0]


@pytest.mark.parametrize("case, message", [
    ("external_link", r"ExternalLink .* -> .*other\.h5:/x"),
    ("dangling_soft", r"dangling HDF5 SoftLink"),
    ("soft_cycle", r"HDF5 SoftLink"),
    ("hard_cycle", r"a link cycle"),
    ("external_dataset", r"stored in external files"),
    ("virtual_dataset", r"a virtual dataset"),
])
def test_hdf5_links_out_of_the_file_are_refused(tmp_path, case, message):
    _, path = keras_weights(tmp_path)
    other = str(tmp_path / "other.h5")
    with h5py.File(other, "w") as f:
        f["x"] = np.full((3, 2), 7, np.float32)
    vp = vars_path(path)
    with h5py.File(path, "a") as f:
        if case == "external_link":
            del f[vp + "/0"]
            f[vp + "/0"] = h5py.ExternalLink(other, "/x")
        elif case == "dangling_soft":
            f[vp + "/2"] = h5py.SoftLink("/nowhere")
        elif case == "soft_cycle":
            f["a"] = h5py.SoftLink("/b")
            f["b"] = h5py.SoftLink("/a")
        elif case == "hard_cycle":
            f[vp.rsplit("/", 1)[0] + "/loop"] = f["/"]
        elif case == "external_dataset":
            (tmp_path / "raw.bin").write_bytes(np.full(6, 7, np.float32).tobytes())
            del f[vp + "/0"]
            f.create_dataset(vp + "/0", (3, 2), "f4", external=[(str(tmp_path / "raw.bin"), 0, 24)])
        else:
            layout = h5py.VirtualLayout((3, 2), "f4")
            layout[:] = h5py.VirtualSource(other, "x", shape=(3, 2))
            del f[vp + "/0"]
            f.create_virtual_dataset(vp + "/0", layout)
    target = fresh()
    before = [w.numpy().copy() for w in target.weights]
    with pytest.raises(CheckpointError, match=message):
        tfshare.restore(target, path)
    with pytest.raises(CheckpointError, match=message):
        tfshare.list_variables(path)
    for w, b in zip(target.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), b)
    if case == "external_link":  # Keras refuses it too
        with pytest.raises(ValueError, match="Not allowed: H5 file with ExternalLink"):
            fresh().load_weights(path)


def test_keras_archive_member_is_the_one_keras_loads(tmp_path):
    m, _ = keras_weights(tmp_path)
    kpath = str(tmp_path / "m.keras")
    m.save(kpath)
    decoy = fresh()
    for w in decoy.weights:
        w.assign(np.full(tuple(w.shape), 9, np.float32))
    decoy.save_weights(str(tmp_path / "decoy.weights.h5"))
    hostile = str(tmp_path / "hostile.keras")
    with zipfile.ZipFile(kpath) as src, zipfile.ZipFile(hostile, "w") as dst:
        dst.write(str(tmp_path / "decoy.weights.h5"), "aaa.weights.h5")  # first in the archive
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
    want = keras.saving.load_model(hostile)  # what Keras loads
    target = fresh()
    tfshare.restore(target, hostile, strict=True)
    for a, b in zip(target.weights, want.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.any(target.weights[0].numpy() == 9)
    # an archive whose only weights member has another name: nothing read
    only_decoy = str(tmp_path / "only_decoy.keras")
    with zipfile.ZipFile(only_decoy, "w") as dst:
        dst.write(str(tmp_path / "decoy.weights.h5"), "weights/model.weights.h5")
    with pytest.raises(CheckpointError, match=r"without a model.weights.h5 member .*found: "
                                              r"\['weights/model.weights.h5'\]"):
        tfshare.restore(fresh(), only_decoy)


# --------------------------------------------------- item 4/7: sizes first
def test_tf_index_sizes_are_checked_before_reading(tmp_path):
    """An index declaring a huge shape (or bytes past the data file) is refused
    at open, before TensorFlow allocates anything."""
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck" / "m"), {"w": np.ones((2, 3), np.float32)})
    index_path = prefix + ".index"
    index = _bundle.read_index(open(index_path, "rb").read())
    entry = index.entries["w"]
    entry.shape.dim[0].size = 10 ** 9
    with open(index_path, "wb") as f:
        f.write(_bundle.write_index(index.header, index.entries))
    with pytest.raises(CheckpointError, match=r"shape \[1000000000, 3\] float32 needs 12000000000 "
                                              r"bytes, the index says 24"):
        tfshare.list_variables(prefix)
    entry.shape.dim[0].size = 2
    entry.offset = 10 ** 6
    with open(index_path, "wb") as f:
        f.write(_bundle.write_index(index.header, index.entries))
    with pytest.raises(CheckpointError, match=r"bytes 1000000\.\.1000024 of .*which holds 24 bytes"):
        tfshare.load_variable(prefix, "w")


def test_hdf5_shape_bomb_is_refused_before_reading(tmp_path):
    path = str(tmp_path / "bomb.weights.h5")
    with h5py.File(path, "w") as f:
        g = f.create_group("layers/d/vars")
        g.create_dataset("0", shape=(200_000, 10_000), dtype="f4", chunks=(1000, 1000),
                         compression="gzip")  # 8 GB of fill value, stored in a few bytes
    infos = tfshare.list_variables(path)  # listing reads headers only
    assert [(i.name, i.shape) for i in infos] == [("d/0", (200_000, 10_000))]
    with pytest.raises(CheckpointError, match=r"declares 8000000000 bytes but stores \d+; "
                                              "refusing a possible shape bomb"):
        tfshare.load_variable(path, "d/0")


def test_zip_member_declaring_more_than_deflate_can_make_is_refused(tmp_path):
    m, _ = keras_weights(tmp_path)
    kpath = str(tmp_path / "m.keras")
    m.save(kpath)
    data = bytearray(open(kpath, "rb").read())
    with zipfile.ZipFile(kpath) as z:
        info = z.getinfo("model.weights.h5")
    # declare a huge uncompressed size in the member's central directory entry
    pos = data.find(b"model.weights.h5", data.find(b"PK\x01\x02")) - 46
    assert data[pos:pos + 4] == b"PK\x01\x02"
    data[pos + 24:pos + 28] = (2 ** 32 - 2).to_bytes(4, "little")
    bomb = tmp_path / "bomb.keras"
    bomb.write_bytes(bytes(data))
    assert info.compress_size < 2 ** 22
    with pytest.raises(CheckpointError, match="refusing a possible decompression bomb"):
        tfshare.list_variables(str(bomb))


# ----------------------------------------------------------- item 8: errors
def test_garbage_state_file_names_the_file(tmp_path):
    d = tmp_path / "d"
    tfshare.write_checkpoint(str(d / "m"), {"w": np.ones(2, np.float32)})
    (d / "checkpoint").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CheckpointError, match=r"Cannot read the checkpoint state file .*d/checkpoint"):
        tfshare.list_variables(str(d))
    (d / "checkpoint").write_text('model_checkpoint_path: "gone"\n')
    with pytest.raises(CheckpointError, match=r"names '.*d/gone', which does not exist"):
        tfshare.list_variables(str(d))
    # a moved directory: the absolute path is stale, the file is next to the state file
    (d / "checkpoint").write_text('model_checkpoint_path: "/elsewhere/old/m"\n')
    assert [i.name for i in tfshare.list_variables(str(d))] == ["w"]


def test_unknown_dims_and_unknown_rank_targets(tmp_path):
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), {"a": np.arange(6, dtype=np.float32),
                                                             "b": np.ones((2, 3), np.float32)})
    a = tf.Variable(np.zeros(2, np.float32), shape=tf.TensorShape([None]), name="a")
    b = tf.Variable(np.zeros(1, np.float32), shape=tf.TensorShape(None), name="b")
    p = tfshare.plan([a, b], prefix)
    assert p.ok, p.problems
    assert [(m.target, m.shape) for m in p.restored] == [("a", (None,)), ("b", None)]
    table = str(p).splitlines()[1:]
    assert table[1].split()[-2:] == ["[None]", "float32"]
    assert table[2].split()[-2:] == ["<unknown>", "float32"]
    assert not any("-1" in line for line in table)
    tfshare.restore([a, b], prefix)
    np.testing.assert_array_equal(a.numpy(), np.arange(6))
    np.testing.assert_array_equal(b.numpy(), np.ones((2, 3)))
    # a known dimension still has to match
    c = tf.Variable(np.zeros((4, 2), np.float32), shape=tf.TensorShape([4, None]), name="b")
    with pytest.raises(RestorePlanError, match=r"b <- b: shape \[4, None\] vs checkpoint \[2, 3\]"):
        tfshare.restore([c], prefix)


def test_two_checkpoint_names_for_one_variable_is_a_plan_problem(tmp_path):
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), {"a": np.ones(2, np.float32),
                                                             "b": np.full(2, 2, np.float32)})
    x = tf.Variable(np.zeros(2, np.float32), name="x")
    for amap in ({"a": "x", "b": "x"}, [("a", "x"), ("b", "x")], {"a": x, "b": x}):
        with pytest.raises(RestorePlanError, match=r"sends two checkpoint names, 'a' and 'b', to "
                                                   r"one target"):
            tfshare.restore([x], prefix, assignment_map=amap)
        np.testing.assert_array_equal(x.numpy(), 0)
    # one checkpoint name into several variables stays allowed (TF1's pairs form)
    y = tf.Variable(np.zeros(2, np.float32), name="y")
    tfshare.restore([x, y], prefix, assignment_map=[("a", "x"), ("a", "y")])
    np.testing.assert_array_equal(y.numpy(), 1)


def test_bad_include_pattern_names_the_argument(tmp_path):
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck"), {"a": np.ones(2, np.float32)})
    with pytest.raises(ValueError, match=r"Argument `include` holds '\[', which is not a valid "
                                         "regular expression"):
        tfshare.restore([tf.Variable(np.zeros(2, np.float32), name="a")], prefix, include=["["])


def test_listing_reads_headers_only(tmp_path):
    """Listing never touches the data: garbage data of the right size lists
    fine, and only reading finds it (TF's CRC32C)."""
    prefix = tfshare.write_checkpoint(str(tmp_path / "ck" / "m"), values(3))
    data = tmp_path / "ck" / "m.data-00000-of-00001"
    data.write_bytes(os.urandom(data.stat().st_size))
    assert [i.name for i in tfshare.list_variables(prefix)] == ["v0", "v1", "v2"]
    with pytest.raises(CheckpointError, match="Cannot read tensors"):
        tfshare.load_variable(prefix, "v1")
    shutil.rmtree(tmp_path / "ck")


def test_inflating_a_zip_member_on_demand_reads_the_right_bytes(tmp_path, monkeypatch):
    """Random seeks into a deflated member (compressible and incompressible
    runs), with inflater checkpoints every 64 KB: the bytes zipfile reads."""
    monkeypatch.setattr(readers_mod._MemberStream, "CHECKPOINT", 1 << 16)
    rng = np.random.RandomState(5)
    data = b"".join(rng.bytes(20_000) + bytes(300_000) + b"tfshare" * 3000 for _ in range(4))
    path = str(tmp_path / "a.zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.keras", b"head")
        z.writestr("model.weights.h5", data)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("model.weights.h5")
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        start = info.header_offset + 30 + sum(np.frombuffer(f.read(4), "<u2"))
        stream = readers_mod._MemberStream(f, int(start), info.compress_size, info.file_size, True)
        for _ in range(60):
            pos = int(rng.randint(0, len(data)))
            n = int(rng.randint(1, 200_000))
            stream.seek(pos)
            assert stream.read(n) == data[pos:pos + n], (pos, n)
        assert len(stream._checkpoints) >= 4  # backward seeks restarted from them
        stream.seek(len(data) - 5)
        assert stream.read(100) == data[-5:] and stream.read(10) == b""
