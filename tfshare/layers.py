"""``tfshare.RNN``: ``keras.layers.RNN`` with tfshare's fused fast path.

``keras.layers.RNN`` runs its cell's ``call`` once per time step in a loop.
``tfshare.RNN`` takes the same arguments and gives the same results, but when
the cell declares a fused spec (``cell.fused_spec()``: ``BasicLSTMCell``,
``LSTMCell``, ``GRUCell`` with the default tanh activation, and a
``MultiRNNCell`` of such cells) it runs the whole sequence in
``tfshare.fastpath``'s fused loop with its hand-written backward pass -- the
way Keras' own ``LSTM`` layer hands its sequence to a fused op. Every other
cell (wrappers, Keras cells, ``unroll=True``, a fast path switched off with
``tfshare.fastpath.set_fast_path_options``) runs in Keras' loop. The weights are the cell's, with TF1's paths::

    layer = tfshare.RNN(tfshare.BasicLSTMCell(64), name="rnn")
    layer(x)                          # x: [batch, time, depth]
    [w.path for w in layer.weights]   # ["rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias"]
"""
from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfshare import fastpath

__all__ = ["RNN"]


def _swap_batch_time(x):
    return tf.transpose(x, [1, 0] + list(range(2, x.shape.rank)))


@keras.saving.register_keras_serializable(package="tfshare")
class RNN(keras.layers.RNN):
    """A recurrent layer over ``cell``, ``keras.layers.RNN`` with the fast path.

    Args:
      cell: an RNN cell (a tfshare cell, or any cell ``keras.layers.RNN`` takes).
      return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: as ``keras.layers.RNN``. Masked steps keep the
        state; they output the last output (zeros before the first unmasked
        step), or zeros with ``zero_output_for_mask=True``.
      time_major: inputs (and sequence outputs) are ``[time, batch, ...]``
        (``tf.keras`` 2's argument); default ``[batch, time, ...]``.
      **kwargs: layer arguments (``name``, ``dtype``, ...).

    Call arguments: ``sequences``, ``initial_state``, ``mask`` (``[batch,
    time]`` booleans), ``training``, as ``keras.layers.RNN``.
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, time_major: bool = False, **kwargs):
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, **kwargs)
        self.time_major = bool(time_major)

    # -- time_major: the layer works batch-major inside
    def _batch_major_shape(self, shape):
        if not self.time_major or shape is None:
            return shape
        shape = tuple(shape)
        return (shape[1], shape[0]) + shape[2:]

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(self._batch_major_shape(sequences_shape), initial_state_shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shapes = super().compute_output_shape(self._batch_major_shape(sequences_shape),
                                              initial_state_shape)
        if not (self.time_major and self.return_sequences):
            return shapes
        if self.return_state:
            return (self._batch_major_shape(shapes[0]),) + tuple(shapes[1:])
        return self._batch_major_shape(shapes)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not self.time_major:
            return super().call(sequences, initial_state=initial_state, mask=mask,
                                training=training)
        result = super().call(_swap_batch_time(sequences), initial_state=initial_state,
                              mask=mask, training=training)
        if not self.return_sequences:
            return result
        if self.return_state:
            return (_swap_batch_time(result[0]),) + tuple(result[1:])
        return _swap_batch_time(result)

    # -- the fast path
    def inner_loop(self, sequences, initial_state, mask, training=False):
        fused = None if self.unroll else self._fused_loop(sequences, initial_state, mask)
        if fused is None:
            return super().inner_loop(sequences, initial_state, mask, training=training)
        return fused

    def _fused_loop(self, sequences, initial_state, mask):
        """``(last_output, outputs, states)`` as Keras' loop returns them, from
        ``tfshare.fastpath.run_fused``; ``None`` when it does not apply."""
        if keras.tree.is_nested(mask):
            mask = mask[0]
        if not tf.is_tensor(sequences) or sequences.shape.rank != 3:
            return None
        cell = self.cell
        try:
            state = keras.tree.pack_sequence_as(cell.state_size, keras.tree.flatten(initial_state))
        except (TypeError, ValueError):
            return None
        x = _swap_batch_time(sequences)
        mask_tm = None if mask is None else tf.transpose(tf.cast(mask, tf.bool))
        if self.go_backwards:
            x = tf.reverse(x, [0])
            mask_tm = None if mask_tm is None else tf.reverse(mask_tm, [0])
        fused = fastpath.run_fused(cell, x, state, mask=mask_tm,
                                   carry_output=not self.zero_output_for_mask)
        if fused is None:
            return None
        outputs_tm, final = fused
        last = outputs_tm[-1]
        outputs = _swap_batch_time(outputs_tm) if self.return_sequences else last[:, None]
        states = list(final) if isinstance(final, (tuple, list)) else [final]
        return last, outputs, states

    def get_config(self) -> dict:
        return {**super().get_config(), "time_major": self.time_major}
