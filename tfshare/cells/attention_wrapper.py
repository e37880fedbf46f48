"""``AttentionCellWrapper``: TF1's ``tf.contrib.rnn`` wrapper that attends over
the cell's last ``attn_length`` outputs (Cheng et al., "Long Short-Term
Memory-Networks for Machine Reading")."""
from __future__ import annotations

import logging
from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells._args import check_positive_int
from tfshare.cells._contrib_ops import linear, linear_specs
from tfshare.cells.base import RNNCell, WeightSpec, assert_like_rnncell, flat_size, match_structure
from tfshare.cells.contrib import _ScopedWrapper

__all__ = ["AttentionCellWrapper"]

_log = logging.getLogger("tfshare")


@keras.saving.register_keras_serializable(package="tfshare")
class AttentionCellWrapper(_ScopedWrapper):
    """Attention over the cell's recent outputs, TF1's
    ``tf.contrib.rnn.AttentionCellWrapper``.

    State: ``(cell_state, attns [A], attn_states [L·A])`` (``A = attn_size``,
    ``L = attn_length``; one concatenated tensor when not ``state_is_tuple``).
    Step (``H`` is ``attn_states`` as ``[batch, L, A]``, ``V = attn_vec_size``)::

        x'            = [x, attns] · kernel + bias                 (width input_size)
        o, s'         = cell(x', cell_state)
        q             = concat(flatten(s'), 1) · attention/kernel + attention/bias
        e_l           = Σ_v attention/attn_v ⊙ tanh(H_l · attention/attn_w + q)
        attns'        = Σ_l softmax(e)_l · H_l
        output        = [o, attns'] · attn_output_projection/kernel + .../bias
        attn_states'  = [H_2 ... H_L, output]                      (flattened)

    TF1 variables, in scope ``attention_cell_wrapper`` (the wrapped cell
    nests below it), in creation order: ``kernel`` ``[depth + A,
    input_size]``, ``bias``; the cell's; ``attention/attn_w`` ``[1, 1, A,
    V]``, ``attention/attn_v`` ``[V]``, ``attention/kernel`` ``[state width,
    V]``, ``attention/bias``; ``attn_output_projection/kernel`` ``[cell
    output + A, A]``, ``attn_output_projection/bias``. Kernels and ``attn_*``
    take the scope's initializer, else glorot-uniform; biases are zeros.

    Args:
      cell: the wrapped cell.
      attn_length: attention window (> 0).
      attn_size: width of the attention vector (default ``cell.output_size``).
      attn_vec_size: width of the attention features (default ``attn_size``).
      input_size: width of ``x'`` (default: the input depth).
      state_is_tuple: tuple state; else one concatenated tensor (the cell's
        state must then be one tensor).
      reuse, **kwargs: see :class:`RNNCell`.

    Raises:
      TypeError: ``cell`` is not a cell.
      ValueError: ``attn_length should be greater than zero, got 0``; a tuple
        cell state without ``state_is_tuple`` (``Cell returns tuple of states,
        but the flag state_is_tuple is not set. State size is: ...``).
    """

    def __init__(self, cell: Any, attn_length: int, attn_size: Optional[int] = None,
                 attn_vec_size: Optional[int] = None, input_size: Optional[int] = None,
                 state_is_tuple: bool = True, reuse: Any = None, **kwargs):
        assert_like_rnncell("cell", cell)
        if isinstance(cell.state_size, (tuple, list)) and not state_is_tuple:
            raise ValueError("Cell returns tuple of states, but the flag state_is_tuple is not "
                             f"set. State size is: {cell.state_size}")
        if attn_length <= 0:
            raise ValueError(f"attn_length should be greater than zero, got {attn_length}")
        super().__init__(cell, reuse=reuse, **kwargs)
        if not state_is_tuple:
            _log.warning("%s: Using a concatenated state is slower and will soon be "
                         "deprecated.  Use state_is_tuple=True.", self)
        self._attn_length = check_positive_int("attn_length", attn_length)
        self._attn_size = check_positive_int(
            "attn_size", attn_size if attn_size is not None else cell.output_size)
        self._attn_vec_size = check_positive_int(
            "attn_vec_size", attn_vec_size if attn_vec_size is not None else self._attn_size)
        self._input_size = check_positive_int("input_size", input_size, allow_none=True)
        self._state_is_tuple = bool(state_is_tuple)

    @staticmethod
    def _check_cell(cell: Any) -> None:
        assert_like_rnncell("cell", cell)

    @property
    def state_size(self):
        size = (self.cell.state_size, self._attn_size, self._attn_size * self._attn_length)
        return size if self._state_is_tuple else sum(size)

    @property
    def output_size(self) -> int:
        return self._attn_size

    #: zeros of the wrapper's own state (the cell's, attns, attn_states)
    zero_state = RNNCell.zero_state

    def _cell_input_shape(self, input_shape):
        return (input_shape[0], self._input_size or input_shape[-1])

    # -- weights, in TF1's creation order
    def _input_specs(self, input_depth: int) -> list:
        return linear_specs("", input_depth + self._attn_size, self._input_size or input_depth)

    def _attention_specs(self) -> list:
        a, v = self._attn_size, self._attn_vec_size
        return ([WeightSpec("attention/attn_w", (1, 1, a, v)), WeightSpec("attention/attn_v", (v,))]
                + linear_specs("attention/", flat_size(self.cell.state_size), v))

    def _output_specs(self) -> list:
        return linear_specs("attn_output_projection/", int(self.cell.output_size) + self._attn_size,
                            self._attn_size)

    def weight_specs(self, input_depth):
        return self._input_specs(input_depth) + self._attention_specs() + self._output_specs()

    def wrapped_step(self, inputs, state, cell_call, training=None):
        a, n = self._attn_size, self._attn_length
        packed = keras.tree.pack_sequence_as(self.state_size, keras.tree.flatten(state))
        if self._state_is_tuple:
            cell_state, attns, attn_states = packed
        else:
            width = int(self.cell.state_size)
            cell_state = packed[:, :width]
            attns = packed[:, width:width + a]
            attn_states = packed[:, width + a:width + a + a * n]
        attn_states = tf.reshape(attn_states, [-1, n, a])
        source, dtype = self._weight_source, inputs.dtype
        weights = source.get(self._input_specs(static_axis(inputs, -1)), dtype)
        cell_output, new_cell_state = cell_call(linear([inputs, attns], weights), cell_state)
        query = (tf.concat(keras.tree.flatten(new_cell_state), 1) if self._state_is_tuple
                 else new_cell_state)
        weights = source.get(self._attention_specs(), dtype)
        hidden = tf.reshape(attn_states, [-1, n, 1, a])
        features = tf.nn.conv2d(hidden, weights["attention/attn_w"], [1, 1, 1, 1], "SAME")
        y = tf.reshape(linear([query], weights, "attention/"), [-1, 1, 1, self._attn_vec_size])
        scores = tf.reduce_sum(weights["attention/attn_v"] * tf.tanh(features + y), [2, 3])
        probs = tf.reshape(tf.nn.softmax(scores), [-1, n, 1, 1])
        new_attns = tf.reshape(tf.reduce_sum(probs * hidden, [1, 2]), [-1, a])
        weights = source.get(self._output_specs(), dtype)
        output = linear([cell_output, new_attns], weights, "attn_output_projection/")
        new_attn_states = tf.concat([attn_states[:, 1:, :], tf.expand_dims(output, 1)], 1)
        new_state = (new_cell_state, new_attns, tf.reshape(new_attn_states, [-1, n * a]))
        if not self._state_is_tuple:
            new_state = tf.concat(list(new_state), 1)
        return output, match_structure(state, new_state)

    def get_config(self) -> dict:
        return {**super().get_config(), "attn_length": self._attn_length,
                "attn_size": self._attn_size, "attn_vec_size": self._attn_vec_size,
                "input_size": self._input_size, "state_is_tuple": self._state_is_tuple}
