"""Bad input to the cells: each raises ValueError/TypeError naming the argument
and what was received; TF1's exact texts where TF1 had them (docs/cells.md §4)."""
from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare

CELLS = [tfshare.BasicRNNCell, tfshare.BasicLSTMCell, tfshare.LSTMCell, tfshare.GRUCell]
X = np.full((2, 3), 0.1, np.float32)


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()
    tfshare.reset_default_graph()


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", True, None])
def test_num_units_must_be_positive_int(cls, bad):
    with pytest.raises(ValueError) as e:
        cls(bad)
    assert str(e.value) == f"Argument `num_units` must be a positive integer. Received: num_units={bad!r}"


def test_num_proj_must_be_positive_int():
    with pytest.raises(ValueError, match=r"Argument `num_proj` must be a positive integer\. "
                                         r"Received: num_proj=0"):
        tfshare.LSTMCell(4, num_proj=0)


@pytest.mark.parametrize("arg", ["num_unit_shards", "num_proj_shards"])
def test_shards_not_implemented(arg):
    with pytest.raises(NotImplementedError, match=rf"`{arg}`.*Received: {arg}=2"):
        tfshare.LSTMCell(4, num_proj=2, **{arg: 2})


@pytest.mark.parametrize("arg", ["cell_clip", "proj_clip", "forget_bias"])
def test_clip_and_bias_must_be_numbers(arg):
    with pytest.raises(TypeError, match=rf"Argument `{arg}` must be a number or None\. "
                                        rf"Received: {arg}='x'"):
        tfshare.LSTMCell(4, num_proj=2, **{arg: "x"})


def _call(cell, x, mode):
    state = cell.zero_state(2 if np.ndim(x) else 1, tf.float32)
    if mode == "keras":
        return cell(x, state)
    with tfshare.variable_scope("root"):
        return cell(x, state)


@pytest.mark.parametrize("mode", ["keras", "tf1"])
@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
def test_integer_inputs_rejected_with_tf1_text(cls, mode):
    with pytest.raises(ValueError) as e:
        _call(cls(2), np.ones((2, 3), np.int32), mode)
    assert str(e.value) == "RNN cell only supports floating point inputs, but received dtype: <dtype: 'int32'>"


@pytest.mark.parametrize("dtype", ["int32", tf.int64, tf.bool])
def test_integer_dtype_argument_rejected(dtype):
    with pytest.raises(ValueError, match="RNN cell only supports floating point inputs, but received "
                                         "dtype: "):
        tfshare.GRUCell(2, dtype=dtype)


@pytest.mark.parametrize("mode", ["keras", "tf1"])
@pytest.mark.parametrize("shape", [(2, 4, 3), (3,)])
def test_wrong_rank(mode, shape):
    cell = tfshare.LSTMCell(2)
    with pytest.raises(ValueError) as e:
        _call(cell, np.ones(shape, np.float32), mode)
    msg = str(e.value)
    assert "Argument `inputs`" in msg and "2-D" in msg and f"inputs.shape={shape}" in msg


@pytest.mark.parametrize("mode", ["keras", "tf1"])
def test_depth_differs_from_built_depth(mode):
    cell = tfshare.GRUCell(2)
    _call(cell, X, mode)
    with pytest.raises(ValueError) as e:
        _call(cell, np.ones((2, 5), np.float32), mode)
    msg = str(e.value)
    assert "Argument `inputs`" in msg and "depth 5" in msg and "input depth 3" in msg
    assert "inputs.shape=(2, 5)" in msg


def test_depth_differs_inside_keras_rnn():
    layer = keras.layers.RNN(tfshare.LSTMCell(2))
    layer(np.ones((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"depth 6.*input depth 3"):
        layer(np.ones((2, 4, 6), np.float32))


def test_unknown_depth_graph_mode():
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None])
        cell = tfshare.GRUCell(2)
        with pytest.raises(ValueError, match=re.escape(
                "Expected inputs.shape[-1] to be known, received shape: (None, None)")):
            with tfshare.variable_scope("root"):
                cell(x, cell.zero_state(2, tf.float32))


def test_wrong_state_structure():
    cell = tfshare.LSTMCell(2)
    with pytest.raises(ValueError) as e:
        cell(X, tf.zeros((2, 2)))
    assert "Argument `state`" in str(e.value) and "LSTMStateTuple(c=2, h=2)" in str(e.value)


# --- MultiRNNCell (TF1's exact texts) ------------------------------------------


def test_multi_needs_a_cell():
    with pytest.raises(ValueError) as e:
        tfshare.MultiRNNCell([])
    assert str(e.value) == "Must specify at least one cell for MultiRNNCell."


def test_multi_needs_list():
    cell = tfshare.GRUCell(2)
    with pytest.raises(TypeError) as e:
        tfshare.MultiRNNCell(cell)
    assert str(e.value) == f"cells must be a list or tuple, but received: {cell}."


def test_multi_tuple_states_need_flag():
    with pytest.raises(ValueError) as e:
        tfshare.MultiRNNCell([tfshare.BasicLSTMCell(2)], state_is_tuple=False)
    assert str(e.value) == ("Some cells return tuples of states, but the flag state_is_tuple is not "
                            "set. State sizes are: [LSTMStateTuple(c=2, h=2)]")


@pytest.mark.parametrize("mode", ["keras", "tf1"])
def test_multi_state_must_be_tuple(mode):
    m = tfshare.MultiRNNCell([tfshare.GRUCell(2), tfshare.GRUCell(2)])
    state = tf.zeros((2, 4))
    with pytest.raises(ValueError, match=r"^Expected state to be a tuple of length 2, but received: "):
        if mode == "keras":
            m(X, state)
        else:
            with tfshare.variable_scope("root"):
                m(X, state)


def test_multi_non_cell():
    with pytest.raises(TypeError, match=r"The argument 'cells' \(3\) is not an RNNCell: "
                                        r"'output_size' property is missing, 'state_size' property "
                                        r"is missing, either 'zero_state' or 'get_initial_state' "
                                        r"method is required, is not callable\."):
        tfshare.MultiRNNCell([3])


# --- wrappers ----------------------------------------------------------------


@pytest.mark.parametrize("cls", [tfshare.DropoutWrapper, tfshare.ResidualWrapper])
def test_wrapper_of_non_cell(cls):
    with pytest.raises(TypeError, match=r"The argument 'cell' \('x'\) is not an RNNCell"):
        cls("x")


@pytest.mark.parametrize("arg", ["input_keep_prob", "output_keep_prob", "state_keep_prob"])
@pytest.mark.parametrize("value", [1.5, -0.1])
def test_keep_prob_range(arg, value):
    with pytest.raises(ValueError) as e:
        tfshare.DropoutWrapper(tfshare.GRUCell(2), **{arg: value})
    assert str(e.value) == f"Parameter {arg} must be between 0 and 1. Received {value}"


def test_keep_prob_constant_tensor_checked():
    with pytest.raises(ValueError, match=r"^Parameter state_keep_prob must be between 0 and 1\. "
                                         r"Received 2\.0$"):
        tfshare.DropoutWrapper(tfshare.GRUCell(2), state_keep_prob=tf.constant(2.0))


def test_variational_needs_dtype():
    with pytest.raises(ValueError) as e:
        tfshare.DropoutWrapper(tfshare.GRUCell(2), state_keep_prob=0.5, variational_recurrent=True)
    assert str(e.value) == "When variational_recurrent=True, dtype must be provided"


def test_variational_needs_input_size():
    with pytest.raises(ValueError) as e:
        tfshare.DropoutWrapper(tfshare.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True,
                               dtype=tf.float32)
    assert str(e.value) == ("When variational_recurrent=True and input_keep_prob < 1.0 or is "
                            "unknown, input_size must be provided")
    # input_size is not needed when inputs are kept
    tfshare.DropoutWrapper(tfshare.GRUCell(2), state_keep_prob=0.5, variational_recurrent=True,
                           dtype=tf.float32)


def test_filter_must_be_callable():
    with pytest.raises(TypeError, match=r"dropout_state_filter_visitor must be callable\. Received: 3"):
        tfshare.DropoutWrapper(tfshare.GRUCell(2), dropout_state_filter_visitor=3)


@pytest.mark.parametrize("mode", ["keras", "tf1"])
def test_residual_shape_mismatch(mode):
    w = tfshare.ResidualWrapper(tfshare.GRUCell(2))
    x = np.ones((1, 3), np.float32)
    with pytest.raises(ValueError, match=re.escape("Shapes (1, 3) and (1, 2) are incompatible")):
        if mode == "keras":
            w(x, w.zero_state(1, tf.float32))
        else:
            with tfshare.variable_scope("root"):
                w(x, w.zero_state(1, tf.float32))


# --- states ---------------------------------------------------------------------


def test_lstm_state_tuple_inconsistent_dtype():
    st = tfshare.LSTMStateTuple(tf.zeros((1, 2)), tf.zeros((1, 2), tf.float64))
    with pytest.raises(TypeError, match=r"Inconsistent dtypes for internal state: "
                                        r"<dtype: 'float32'> vs <dtype: 'float64'>"):
        st.dtype
    assert tfshare.LSTMStateTuple(tf.zeros((1, 2)), tf.zeros((1, 2))).dtype == tf.float32


def test_get_initial_state_errors():
    cell = tfshare.GRUCell(2)
    x = tf.zeros((3, 4))
    with pytest.raises(ValueError, match=r"^batch size from input tensor is different from the input "
                                         r"param\. Input tensor batch: 3, batch_size: 5$"):
        cell.get_initial_state(inputs=x, batch_size=5)
    with pytest.raises(ValueError, match=r"^dtype from input tensor is different from the input "
                                         r"param\. Input tensor dtype: <dtype: 'float32'>, "
                                         r"dtype: <dtype: 'float64'>$"):
        cell.get_initial_state(inputs=x, dtype=tf.float64)
    with pytest.raises(ValueError, match=r"^batch_size and dtype cannot be None while constructing "
                                         r"initial state: batch_size=None, dtype=None$"):
        cell.get_initial_state()


def test_tf1_cell_cannot_become_keras_layer():
    cell = tfshare.GRUCell(2)
    with tfshare.variable_scope("root"):
        cell(X, cell.zero_state(2, tf.float32))
    with pytest.raises(ValueError, match=r"GRUCell 'gru_cell' was first called as a TF1 cell "
                                         r"\(variables in variable scope 'root/gru_cell'\)"):
        keras.layers.RNN(cell)(np.ones((2, 4, 3), np.float32))
