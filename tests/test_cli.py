"""The ``tfshare`` command line, run in-process: output and exit codes."""
from __future__ import annotations

import io
import os
import re
import shlex

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


def tf_shapes(path: str) -> dict:
    """Shapes as TensorFlow's own reader lists them (independent of tfshare)."""
    prefix = tf.train.latest_checkpoint(path) or path
    return tf.train.load_checkpoint(prefix).get_variable_to_shape_map()


def params(shapes: dict, pattern: str = "") -> int:
    return sum(int(np.prod(s)) for n, s in shapes.items() if re.search(pattern, n))


def test_inspect_table_filter_and_tree():
    shapes = tf_shapes(FIXTURE)
    code, out, _ = run("inspect", FIXTURE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("model-7 (tf1)")
    row = next(l for l in lines if l.startswith("bidirectional_rnn/fw/lstm_cell/kernel "))
    k = shapes["bidirectional_rnn/fw/lstm_cell/kernel"]
    assert row.split()[1:] == [f"[{k[0]},", f"{k[1]}]", "float32", str(k[0] * k[1]),
                               str(4 * k[0] * k[1]), "B"]
    assert lines[-1].startswith(f"{len(shapes)} tensors, {params(shapes):,} parameters")
    code, out, _ = run("inspect", FIXTURE, "--filter", "gru_cell/gates")
    assert code == 0
    names = [l.split()[0] for l in out.splitlines()[2:-1]]
    assert names == sorted(n for n in shapes if "gru_cell/gates" in n) and len(names) == 4
    assert out.splitlines()[-1].startswith(f"4 tensors, {params(shapes, 'gru_cell/gates'):,} parameters")
    code, out, _ = run("inspect", FIXTURE, "--tree", "--filter", "^rnn/")
    assert code == 0
    assert f"rnn/  {params(shapes, '^rnn/'):,} params in 4 tensors" in out
    assert f"    gates/  {params(shapes, '^rnn/gru_cell/gates/'):,} params in 2 tensors" in out
    kernel = shapes["rnn/gru_cell/gates/kernel"]
    assert f"      kernel  [{kernel[0]}, {kernel[1]}] float32  ({kernel[0] * kernel[1]})" in out


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
    assert sorted(tf.train.load_checkpoint(dst).get_variable_to_shape_map().items()) == [
        ("rnn/basic_lstm_cell/bias", [8]), ("rnn/basic_lstm_cell/kernel", [3, 8])]
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


def test_every_failure_is_one_line_exit_2(tmp_path, ckpts):
    """Bad input of every kind: exit 2 and one line on stderr naming the file
    or argument and the cause (never a traceback, never exit 1)."""
    _, pa, _ = ckpts
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 10)
    garbage_dir = tmp_path / "garbage"
    tfshare.write_checkpoint(str(garbage_dir / "m"), {"w": np.ones(2, np.float32)})
    (garbage_dir / "checkpoint").write_bytes(b"\xff\xfe garbage \x00")
    damaged = tmp_path / "damaged"
    tfshare.write_checkpoint(str(damaged / "m"), {"w": np.ones(2, np.float32)})
    (damaged / "m.index").write_bytes(b"\x00" * 60)
    cases = [
        (["inspect", str(tmp_path / "missing")], "No checkpoint at path="),
        (["diff", pa, str(junk)], "is not a checkpoint"),
        (["rename", pa, str(tmp_path / "x"), "--map", "enc"], "--map expects OLD=NEW"),
        (["rename", pa, str(tmp_path / "x"), "--map", "enc/=x"], "must map to a scope"),
        (["rename", pa, str(tmp_path / "x"), "--map", "enc/w=a", "--map", "enc/b=a"],
         "sends two checkpoint names, 'enc/w' and 'enc/b', to one target a"),
        (["rename", pa, str(tmp_path / "x"), "--map", "enc/w=a", "--map", "enc/w=b"],
         "--map gives 'enc/w' two new names"),
        (["rename", pa, str(tmp_path / "x"), "--map", "enc/=a/", "--map", "head/w=a/w"],
         "--map sends both 'enc/w' and 'head/w' to 'a/w'"),
        (["inspect", pa, "--filter", "("], "not a valid regular expression"),
        (["rename", pa, str(tmp_path / "x"), "--include", "["],
         "Argument `include` holds '[', which is not a valid regular expression"),
        (["plan", pa, pa, "--exclude", "("], "Argument `exclude` holds '('"),
        (["inspect", str(garbage_dir)], f"Cannot read the checkpoint state file "
                                        f"'{garbage_dir / 'checkpoint'}'"),
        (["diff", pa, str(damaged / "m")], f"Cannot read checkpoint '{damaged / 'm'}'"),
        (["rename", pa, str(junk / "sub" / "m")], f"Cannot write checkpoint '{junk / 'sub' / 'm'}'"),
    ]
    for argv, message in cases:
        code, out, err = run(*argv)
        assert code == 2, (argv, code, out, err)
        assert err.startswith(f"tfshare {argv[0]}: error: ") and message in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert not (tmp_path / "x.index").exists()
    assert run("frobnicate")[0] == 2
    assert run()[0] == 2


def test_readme_plan_example_runs_as_written(tmp_path, monkeypatch):
    """The README's ``tfshare plan`` line, run in a directory holding what it
    names: a TF1 checkpoint ``old_ckpt/`` and ``new_ckpt/`` written by
    ``tfshare.save`` of a Keras model whose encoder is named ``encoder``."""
    import keras
    import shutil

    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    lines = re.findall(r"`(tfshare plan [^`]+)`", readme)
    assert len(lines) == 1, lines
    shutil.copytree(FIXTURE, tmp_path / "old_ckpt")
    encoder = keras.Sequential([
        keras.Input((5, 3)),
        keras.layers.RNN(tfshare.LSTMCell(5, use_peepholes=True, num_proj=4, name="lstm_cell"),
                         name="fw")], name="encoder")
    monkeypatch.chdir(tmp_path)
    tfshare.save(encoder, "new_ckpt/model")
    code, out, err = run(*shlex.split(lines[0])[1:])
    assert code == 0, (out, err)
    assert "6 restored (6 renamed), 0 missing" in out
    assert re.search(r"restored +encoder/fw/lstm_cell/kernel +bidirectional_rnn/fw/lstm_cell/kernel ", out)
    report = tfshare.restore(encoder, "old_ckpt/", assignment_map={"bidirectional_rnn/fw/": "encoder/fw/"})
    assert len(report.restored) == 6
    np.testing.assert_array_equal(encoder.weights[0].numpy(), tf.train.load_checkpoint(
        "old_ckpt/model-7").get_tensor("bidirectional_rnn/fw/lstm_cell/kernel"))


def test_plan_against_a_keras_weights_file_says_why_nothing_matches(tmp_path, ckpts):
    import keras

    _, pa, _ = ckpts
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="enc")])
    m.save_weights(str(tmp_path / "m.weights.h5"))
    code, out, _ = run("plan", pa, str(tmp_path / "m.weights.h5"))
    assert code == 1 and "records each layer's weights by index, not by name" in out


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
