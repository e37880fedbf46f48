"""The ``tfshare`` command line, run in-process: output and exit codes."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
import tensorflow as tf

import tfshare
from tfshare import cli

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tf1_ckpt")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def ckpts(tmp_path):
    rng = np.random.RandomState(0)
    a = {"enc/w": rng.rand(3, 2).astype(np.float32), "enc/b": rng.rand(2).astype(np.float32),
         "head/w": rng.rand(2, 4).astype(np.float32)}
    pa = tfshare.write_checkpoint(str(tmp_path / "a" / "m"), a)
    b = dict(a, **{"head/w": rng.rand(2, 5).astype(np.float32), "extra": np.zeros(1, np.float32)})
    del b["enc/b"]
    pb = tfshare.write_checkpoint(str(tmp_path / "b" / "m"), b)
    return a, pa, pb


def test_inspect_table_filter_and_tree():
    code, out, _ = run("inspect", FIXTURE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("model-7 (tf1)")
    row = next(l for l in lines if l.startswith("bidirectional_rnn/fw/lstm_cell/kernel "))
    assert row.split()[1:] == ["[7,", "20]", "float32", "140", "560", "B"]
    # totals, from the reader's own shapes
    infos = tfshare.list_variables(FIXTURE)
    total = sum(int(np.prod(i.shape)) for i in infos)
    assert lines[-1].startswith(f"27 tensors, {total:,} parameters")
    code, out, _ = run("inspect", FIXTURE, "--filter", "gru_cell/gates")
    assert code == 0
    names = [l.split()[0] for l in out.splitlines()[2:-1]]
    assert names == ["multi/multi_rnn_cell/cell_1/gru_cell/gates/bias",
                     "multi/multi_rnn_cell/cell_1/gru_cell/gates/kernel",
                     "rnn/gru_cell/gates/bias", "rnn/gru_cell/gates/kernel"]
    assert out.splitlines()[-1].startswith("4 tensors, 176 parameters")
    code, out, _ = run("inspect", FIXTURE, "--tree", "--filter", "^rnn/")
    assert code == 0
    assert "rnn/  156 params in 4 tensors" in out
    assert "    gates/  104 params in 2 tensors" in out
    assert "      kernel  [12, 8] float32  (96)" in out


def test_diff_exit_codes(ckpts):
    _, pa, pb = ckpts
    code, out, _ = run("diff", pa, pa, "--values")
    assert code == 0 and "0 only in A, 0 only in B, 0 shape/dtype changed, 0 values differ" in out
    code, out, _ = run("diff", pa, pb, "--values")
    assert code == 1
    assert "- enc/b  [2] float32   (only in A)" in out
    assert "+ extra  [1] float32   (only in B)" in out
    assert "~ head/w  [2, 4] float32 -> [2, 5] float32" in out
    assert "2 common, 1 only in A, 1 only in B, 1 shape/dtype changed, 0 values differ" in out


def test_diff_values(tmp_path, ckpts):
    a, pa, _ = ckpts
    c = dict(a)
    c["enc/w"] = a["enc/w"] + np.float32(0.25)
    pc = tfshare.write_checkpoint(str(tmp_path / "c" / "m"), c)
    code, out, _ = run("diff", pa, pc)
    assert code == 0  # layout only
    code, out, _ = run("diff", pa, pc, "--values")
    assert code == 1 and "~ enc/w  values differ (max abs diff 0.25)" in out
    code, out, _ = run("diff", pa, pc, "--values", "--atol", "0.3")
    assert code == 0


def test_rename_writes_a_tf1_checkpoint(tmp_path, ckpts):
    a, pa, _ = ckpts
    dst = str(tmp_path / "r" / "model")
    code, out, _ = run("rename", pa, dst, "--map", "enc/=encoder/", "--map", "head/w=out/kernel",
                       "--no-progress")
    assert code == 0, out
    assert f"wrote 3 tensors to {dst}" in out
    reader = tf.train.load_checkpoint(dst)
    assert sorted(reader.get_variable_to_shape_map()) == ["encoder/b", "encoder/w", "out/kernel"]
    np.testing.assert_array_equal(reader.get_tensor("encoder/w"), a["enc/w"])
    np.testing.assert_array_equal(reader.get_tensor("out/kernel"), a["head/w"])
    assert tf.train.latest_checkpoint(os.path.dirname(dst)) == dst
    # dry run writes nothing; --exclude drops
    dst2 = str(tmp_path / "r2" / "model")
    code, out, _ = run("rename", pa, dst2, "--exclude", "head", "--dry-run")
    assert code == 0 and "dropped head/w" in out and not os.path.exists(os.path.dirname(dst2))


def test_rename_legacy_and_progress(tmp_path, capsys):
    p = tfshare.write_checkpoint(str(tmp_path / "old" / "m"),
                                 {"rnn/basic_lstm_cell/weights": np.ones((3, 8), np.float32),
                                  "rnn/basic_lstm_cell/biases": np.zeros(8, np.float32)})
    dst = str(tmp_path / "new" / "m")
    code, out, _ = run("rename", p, dst, "--legacy", "--progress")
    assert code == 0
    assert sorted(i.name for i in tfshare.list_variables(dst)) == [
        "rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]
    assert "128/128" in capsys.readouterr().out  # the Progbar, in bytes


def test_plan_command(ckpts):
    _, pa, pb = ckpts
    code, out, _ = run("plan", pa, pb)
    assert code == 1
    assert "MISMATCH  head/w" in out and "unused    -       enc/b" in out
    code, out, _ = run("plan", pa, pb, "--skip-mismatch")
    assert code == 0 and "skipped" in out and "missing   extra" in out
    code, out, _ = run("plan", pa, pb, "--skip-mismatch", "--strict")
    assert code == 1 and "strict: target variables missing from the checkpoint: extra" in out


def test_usage_and_bad_input_exit_2(tmp_path, ckpts):
    _, pa, _ = ckpts
    code, _, err = run("inspect", str(tmp_path / "missing"))
    assert code == 2 and "No checkpoint at path=" in err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 10)
    code, _, err = run("diff", pa, str(junk))
    assert code == 2 and "is not a checkpoint" in err
    code, _, err = run("rename", pa, str(tmp_path / "x"), "--map", "enc")
    assert code == 2 and "--map expects OLD=NEW" in err
    code, _, err = run("rename", pa, str(tmp_path / "x"), "--map", "enc/=x")
    assert code == 2 and "must map to a scope" in err
    code, _, err = run("rename", pa, str(tmp_path / "x"), "--map", "enc/w=a", "--map", "enc/b=a")
    assert code == 2 and "sends two checkpoint names, 'enc/w' and 'enc/b', to one target a" in err
    code, _, err = run("inspect", pa, "--filter", "(")
    assert code == 2 and "not a valid regular expression" in err
    assert run("frobnicate")[0] == 2
    assert run()[0] == 2


def test_inspect_tf2_and_keras_files(tmp_path):
    code, out, _ = run("inspect", os.path.join(FIXTURE, "tfkeras"))
    assert code == 0 and "(tf2)" in out.splitlines()[0]
    assert "layer_with_weights-0/kernel  (= dense/kernel)  [4, 3]" in out
    import keras

    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])
    h5 = str(tmp_path / "m.weights.h5")
    m.save_weights(h5)
    code, out, _ = run("inspect", h5)
    assert code == 0 and "(keras_h5)" in out.splitlines()[0]
    assert [l.split()[0] for l in out.splitlines()[2:-1]] == ["d/0", "d/1"]
    assert out.splitlines()[-1].startswith("2 tensors, 9 parameters")
