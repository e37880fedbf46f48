"""``tfshare doctor`` and ``tfshare.doctor``: scanning, verdicts checked by
resolving every symbol here, import changes, exit codes.

The corpus (``fixtures/doctor``) holds four TF1 RNN programs: char-rnn, a PTB
language model, NMT with ``contrib.seq2seq`` and a BiLSTM-CRF tagger.
"""
from __future__ import annotations

import io
import json
import os
import re
import types

import pytest

import tfshare
from tfshare import cli
from tfshare.doctor import (ALTERNATIVES, FORWARDED, NOT_AVAILABLE, PROVIDED, resolve_symbols,
                            scan_source)

CORPUS = os.path.join(os.path.dirname(__file__), "fixtures", "doctor")
FILES = ("bilstm_crf.py", "char_rnn.py", "nmt_seq2seq.py", "ptb_lm.py")


@pytest.fixture(scope="module")
def report():
    return tfshare.doctor([CORPUS])


def _walk(root, dotted):
    """Follow ``dotted`` from ``root``; raise on failure (independent of the doctor)."""
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# ------------------------------------------------------------------ scanning
SOURCE = """
import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1
import tensorflow
from tensorflow.contrib import rnn
from tensorflow.contrib.rnn import LSTMBlockCell as LBC
import tensorflow.contrib.slim as slim
from tensorflow import keras
from tensorflow.compat import v1 as v1tf
from tensorflow.python.ops import rnn_cell_impl
from tensorflow.contrib import legacy_seq2seq
cells = rnn
layers = tf.contrib.layers
a = tf.nn.rnn_cell.LSTMCell(3)
b = tf1.placeholder(tf1.float32)
c = rnn.GRUCell(2)
d = LBC(4)
e = slim.arg_scope
f = keras.layers.LSTM
g = tensorflow.contrib.layers.fully_connected
h = v1tf.nn.dynamic_rnn
i = rnn_cell_impl._linear
j = tf.compat.v1.get_variable
k = cells.MultiRNNCell
l = np.zeros(3)
m = tf.app.flags.FLAGS.batch_size
n = layers.layer_norm(b)
"""


def test_scan_finds_every_import_form():
    scan = scan_source(SOURCE)
    found = {(p, private): lines for (p, private), lines in scan.uses.items()}
    assert found == {
        ("nn.rnn_cell.LSTMCell", False): [15],
        ("placeholder", False): [16], ("float32", False): [16],
        ("contrib.rnn.GRUCell", False): [17],
        ("contrib.rnn.LSTMBlockCell", False): [7, 18],
        ("contrib.slim.arg_scope", False): [19],
        ("keras.layers.LSTM", False): [20],
        ("contrib.layers.fully_connected", False): [21],
        ("nn.dynamic_rnn", False): [22],
        ("python.ops.rnn_cell_impl._linear", True): [23],
        ("get_variable", False): [24],
        ("contrib.rnn.MultiRNNCell", False): [25],
        ("contrib.rnn", False): [13],
        ("contrib.layers", False): [14],
        ("app.flags.FLAGS.batch_size", False): [27],
        ("contrib.layers.layer_norm", False): [28],
        ("contrib.legacy_seq2seq", False): [12],   # imported, nothing inside used
    }


def test_import_changes():
    scan = scan_source(SOURCE)
    changes = {old: (new, note) for _, old, new, note in scan.imports}
    note = "then write tf.X for tf.compat.v1.X"
    assert changes == {
        "import tensorflow as tf": ("import tfshare.compat.v1 as tf; tf.disable_v2_behavior()",
                                    note),
        "import tensorflow.compat.v1 as tf1": (
            "import tfshare.compat.v1 as tf1; tf1.disable_v2_behavior()", note),
        "import tensorflow": (
            "import tfshare.compat.v1 as tensorflow; tensorflow.disable_v2_behavior()", note),
        "from tensorflow.contrib import rnn": ("from tfshare.compat.v1.contrib import rnn", note),
        "from tensorflow.contrib.rnn import LSTMBlockCell as LBC": (
            "from tfshare.compat.v1.contrib.rnn import LSTMBlockCell as LBC", note),
        "import tensorflow.contrib.slim as slim": (
            "import tfshare.compat.v1.contrib.slim as slim", note),
        "from tensorflow import keras": ("from tfshare.compat.v1 import keras", note),
        "from tensorflow.compat import v1 as v1tf": (
            "from tfshare.compat import v1 as v1tf; v1tf.disable_v2_behavior()", note),
        "from tensorflow.python.ops import rnn_cell_impl": (
            None, "private TensorFlow module: keep it, or use the public tf.* name"),
        "from tensorflow.contrib import legacy_seq2seq": (
            "from tfshare.compat.v1.contrib import legacy_seq2seq", note),
    }
    quiet = scan_source("import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"
                        "from tensorflow.keras import layers\n").imports
    assert [(new, note) for _, _, new, note in quiet] == [
        ("import tfshare.compat.v1 as tf", None),
        ("from tensorflow.keras import layers",
         "keep: tf.keras is Keras 3 with or without tfshare")]


def test_scan_raises_syntax_error():
    with pytest.raises(SyntaxError):
        scan_source("print 'python 2'\n")


# ------------------------------------------------------------------ resolving
def test_resolution_in_process():
    import tensorflow as tf

    import tfshare.compat.v1 as ours

    got = resolve_symbols([("contrib.rnn.BasicLSTMCell", False), ("placeholder", False),
                           ("app.flags.FLAGS.batch_size", False),
                           ("contrib.rnn.NoSuchCell", False), ("keras.layers.LSTM", False),
                           ("layers.experimental", False)], ours, tf.compat.v1)
    assert got["contrib.rnn.BasicLSTMCell"]["status"] == PROVIDED
    assert got["placeholder"]["status"] == FORWARDED
    assert got["app.flags.FLAGS.batch_size"] == {
        "symbol": "tf.app.flags.FLAGS", "status": FORWARDED, "alternative": None, "note": None}
    assert got["contrib.rnn.NoSuchCell"]["status"] == NOT_AVAILABLE
    assert got["contrib.rnn.NoSuchCell"]["symbol"] == "tf.contrib.rnn.NoSuchCell"
    assert got["keras.layers.LSTM"]["note"] == "tf.keras is Keras 3"
    sep = got["layers.experimental"]
    assert sep["status"] == NOT_AVAILABLE and "not available with Keras 3" in sep["note"]


def test_names_that_resolve_but_fail_with_keras3_are_not_available():
    """Against plain TF (as if tfshare overrode nothing): ``tf.nn.rnn_cell`` and
    ``tf.layers`` resolve to lazy loaders that fail on use."""
    import tensorflow as tf

    v1 = tf.compat.v1
    got = resolve_symbols([("nn.rnn_cell", False), ("layers", False),
                           ("nn.rnn_cell.LSTMCell", False), ("nn.dynamic_rnn", False)], v1, v1)
    for name in ("nn.rnn_cell", "layers", "nn.rnn_cell.LSTMCell"):
        assert got[name]["status"] == NOT_AVAILABLE, name
    assert got["nn.rnn_cell"]["note"].startswith("resolves, but fails on use")
    assert "not available with Keras 3" in got["nn.rnn_cell.LSTMCell"]["note"]
    assert got["nn.dynamic_rnn"]["status"] == FORWARDED
    with pytest.raises(ImportError):  # TF's lazy loader looks for Keras 2's internals
        dir(v1.nn.rnn_cell)


def test_private_tensorflow_modules():
    import tensorflow as tf

    import tfshare.compat.v1 as ours

    got = resolve_symbols([("python.layers.core.Dense", True),
                           ("python.ops.no_such_module.thing", True)], ours, tf.compat.v1)
    dense = got["python.layers.core.Dense"]
    assert dense["status"] == FORWARDED and dense["alternative"] == "tf.layers.Dense"
    assert "tfshare's variable scopes do not apply" in dense["note"]
    assert got["python.ops.no_such_module.thing"]["status"] == NOT_AVAILABLE


def test_known_alternatives_exist_in_tfshare():
    import tfshare.compat.v1 as ours

    targets = {t[3:] for text in ALTERNATIVES.values() for t in re.findall(r"tf\.[\w.]*\w", text)}
    assert len(targets) >= 10
    for target in sorted(targets):
        _walk(ours, target)


# ------------------------------------------------------------------ the corpus
def test_corpus_verdicts_are_checked_by_resolution(report):
    import tensorflow as tf

    import tfshare.compat.v1 as ours

    assert [os.path.basename(f.path) for f in report.files] == list(FILES)
    assert not report.errors
    totals = report.totals()
    counts = {st: sum(1 for s in totals if s.status == st) for st in
              (PROVIDED, FORWARDED, NOT_AVAILABLE)}
    assert counts[PROVIDED] >= 20 and counts[FORWARDED] >= 50 and counts[NOT_AVAILABLE] >= 1
    for s in totals:
        if s.symbol.startswith("tensorflow.python."):
            continue
        path = s.symbol[3:]
        if s.status == NOT_AVAILABLE:
            with pytest.raises((AttributeError, ImportError)):
                obj = _walk(ours, path)
                if isinstance(obj, types.ModuleType):
                    dir(obj)
            continue
        obj = _walk(ours, path)
        try:
            theirs = _walk(tf.compat.v1, path)
        except Exception:
            theirs = None
        if s.status == PROVIDED:
            assert theirs is not obj, s.symbol
        else:
            assert theirs is obj, s.symbol


@pytest.mark.parametrize("symbol,status", [
    ("tf.contrib.rnn.BasicLSTMCell", PROVIDED), ("tf.contrib.rnn.MultiRNNCell", PROVIDED),
    ("tf.contrib.training.HParams", PROVIDED), ("tf.contrib.layers.fully_connected", PROVIDED),
    ("tf.contrib.layers.embed_sequence", PROVIDED), ("tf.contrib.learn.ModeKeys", PROVIDED),
    ("tf.contrib.data.group_by_window", PROVIDED), ("tf.variable_scope", PROVIDED),
    ("tf.contrib.framework.get_variables_to_restore", PROVIDED),
    ("tf.nn.rnn_cell.LSTMCell", PROVIDED), ("tf.nn.static_rnn", PROVIDED),
    ("tf.placeholder", FORWARDED), ("tf.train.AdamOptimizer", FORWARDED),
    ("tf.flags.FLAGS", FORWARDED), ("tf.Session", FORWARDED),
    ("tf.contrib.lookup.index_table_from_file", NOT_AVAILABLE),
    ("tf.contrib.slim.arg_scope", NOT_AVAILABLE),
])
def test_corpus_known_verdicts(report, symbol, status):
    found = [s for s in report.totals() if s.symbol == symbol]
    assert len(found) == 1 and found[0].status == status


def test_corpus_alternatives_and_import_changes(report):
    by_symbol = {s.symbol: s for s in report.totals()}
    assert by_symbol["tf.contrib.lookup.index_table_from_file"].alternative.startswith(
        "tf.lookup.StaticVocabularyTable")
    dense = by_symbol["tensorflow.python.layers.core.Dense"]
    assert dense.status == FORWARDED and dense.alternative == "tf.layers.Dense"
    changes = {os.path.basename(f.path): [(c.old, c.new) for c in f.imports]
               for f in report.files}
    assert changes["char_rnn.py"][0] == (
        "import tensorflow as tf", "import tfshare.compat.v1 as tf; tf.disable_v2_behavior()")
    assert changes["char_rnn.py"][2] == ("from tensorflow.contrib import rnn",
                                         "from tfshare.compat.v1.contrib import rnn")
    assert changes["bilstm_crf.py"][0] == ("import tensorflow.compat.v1 as tf",
                                           "import tfshare.compat.v1 as tf")
    # a replacement that would not import is withdrawn, with the reason
    slim = [c for f in report.files for c in f.imports if "slim" in c.old][0]
    assert slim.new is None and "tfshare import fails" in slim.note
    # the uses are counted per line
    flags = [s for f in report.files if f.path.endswith("ptb_lm.py") for s in f.symbols
             if s.symbol == "tf.flags.FLAGS"][0]
    assert len(flags.lines) == 6


def test_report_text_and_json(report):
    text = report.format()
    assert "tests/fixtures/doctor/char_rnn.py" in text.replace(os.sep, "/")
    assert re.search(r"total: 4 files, \d+ distinct symbols: \d+ provided, \d+ forwarded, "
                     r"\d+ not available", text)
    assert "-> import tfshare.compat.v1 as tf; tf.disable_v2_behavior()" in text
    data = report.to_dict()
    assert data["exit_code"] == report.exit_code == 1
    assert "tf.contrib.slim.arg_scope" in data["totals"][NOT_AVAILABLE]
    json.dumps(data)


# ------------------------------------------------------------------ the CLI
def _main(*argv):
    out, err = io.StringIO(), io.StringIO()
    import sys
    old = sys.stderr
    sys.stderr = err
    try:
        code = cli.main(list(argv), stdout=out)
    finally:
        sys.stderr = old
    return code, out.getvalue(), err.getvalue()


# The CLI tests use symbols of the corpus: after ``report`` they resolve from the
# process's cache instead of starting another child interpreter.
def test_cli_exit_0_when_everything_is_covered(report, tmp_path):
    prog = tmp_path / "ok.py"
    prog.write_text("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n"
                    "cell = tf.nn.rnn_cell.LSTMCell(3)\n")
    code, out, err = _main("doctor", str(prog))
    assert code == 0, out
    assert "3 provided" not in out and "1 provided, 2 forwarded, 0 not available" in out
    assert err == ""


def test_cli_exit_1_and_json(report, tmp_path):
    prog = tmp_path / "gap.py"
    prog.write_text("import tensorflow.contrib.slim as slim\nscope = slim.arg_scope\n")
    code, out, _ = _main("doctor", "--json", str(prog))
    assert code == 1
    data = json.loads(out)
    assert data["totals"][NOT_AVAILABLE] == ["tf.contrib.slim.arg_scope"]
    assert data["files"][0]["symbols"][0]["alternative"].startswith("the tf_slim package")


def test_cli_exit_2_names_each_bad_file(tmp_path):
    (tmp_path / "py2.py").write_text("print 'hello'\n")
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nimport tensorflow as tf\n")
    missing = tmp_path / "missing.py"
    code, out, err = _main("doctor", str(tmp_path), str(missing))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert any("latin1.py: cannot read" in ln for ln in lines)
    assert any("py2.py: syntax error at line 1" in ln for ln in lines)
    assert any("missing.py: no such file or directory" in ln for ln in lines)
    assert all(ln.startswith("tfshare doctor: error: ") for ln in lines)
