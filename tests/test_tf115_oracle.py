"""The TF 1.15 oracle itself: it runs real TF 1.15.5 with ``tf.contrib``, and
returns what the code put in ``OUT``."""
import numpy as np
import pytest

from oracle import needs_tf115, run_tf115


@needs_tf115
def test_runs_tf115_with_contrib_and_returns_out():
    out = run_tf115("""
x = tf.constant(IN["x"])
cell = tf.contrib.rnn.LSTMBlockCell(3)
o, s = cell(x, cell.zero_state(2, tf.float32))
OUT["json:version"] = tf.__version__
OUT["json:names"] = [v.name for v in tf.global_variables()]
OUT["json:eager"] = tf.executing_eagerly()
OUT["x2"] = IN["x"] * 2
""", {"x": np.arange(4, dtype=np.float32).reshape(2, 2)})
    assert out["json:version"] == "1.15.5"
    assert out["json:eager"] is False
    assert out["json:names"] == ["lstm_cell/kernel:0", "lstm_cell/bias:0"]
    np.testing.assert_array_equal(out["x2"], np.arange(4).reshape(2, 2) * 2)


@needs_tf115
def test_oracle_errors_carry_its_stderr():
    with pytest.raises(RuntimeError, match="(?s)TF 1.15 oracle failed.*ZeroDivisionError"):
        run_tf115("1 / 0")
