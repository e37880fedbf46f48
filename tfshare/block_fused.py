"""``LSTMBlockFusedCell``: TF1's ``tf.contrib.rnn`` LSTM over a whole sequence.

It is not a cell (no ``state_size``; ``dynamic_rnn`` refuses it, as in TF1):
``cell(inputs, initial_state=None, dtype=None, sequence_length=None)`` runs
the LSTM of ``LSTMBlockCell`` over time-major ``inputs`` and returns
``(outputs, LSTMStateTuple(c, h))``. It runs in the fused LSTM kernel of
``tfshare.fastpath`` (the one ``dynamic_rnn`` uses for ``LSTMBlockCell``),
or, with an active ``cell_clip`` or the fast path disabled, as a scan of the
step.
"""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare import fastpath
from tfshare._shapes import static_axis, static_shape
from tfshare.cells import LSTMStateTuple
from tfshare.cells.block import BlockLSTM

__all__ = ["LSTMBlockFusedCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class LSTMBlockFusedCell(BlockLSTM):
    """TF1's ``tf.contrib.rnn.LSTMBlockFusedCell``: ``LSTMBlockCell``'s
    equations over a whole time-major sequence.

    ``cell(inputs, initial_state=None, dtype=None, sequence_length=None)``:

    * ``inputs``: ``[time, batch, depth]`` (a static depth);
    * ``initial_state``: ``(c, h)``, each ``[batch, num_units]``; when None,
      zeros of ``dtype`` (then required: ``ValueError: Either initial_state or
      dtype needs to be specified``);
    * ``sequence_length``: ``[batch]`` lengths; outputs past a length are
      zero and the final state is the one at the length (the initial state
      for length 0).

    Returns ``(outputs [time, batch, num_units], LSTMStateTuple(c, h))``.

    TF1 variables (scope ``lstm_fused_cell``, uniquified; ``reuse=True``
    shares an existing one): ``kernel`` ``[depth + units, 4·units]``,
    ``bias`` ``[4·units]`` (zeros), with ``use_peephole`` ``w_i_diag``,
    ``w_f_diag``, ``w_o_diag``. As a Keras layer its weight paths are
    ``lstm_fused_cell/kernel`` ... (its name, then the TF1 local name).

    Args:
      num_units, forget_bias, cell_clip, use_peephole: as ``LSTMBlockCell``.
      reuse, dtype: see :class:`tfshare.RNNCell`.
      name: layer and default scope name (``"lstm_fused_cell"``).
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0,
                 cell_clip: Optional[float] = None, use_peephole: bool = False,
                 reuse: Any = None, dtype: Any = None, name: str = "lstm_fused_cell", **kwargs):
        super().__init__(num_units, forget_bias=forget_bias, cell_clip=cell_clip,
                         use_peephole=use_peephole, reuse=reuse, dtype=dtype, name=name, **kwargs)

    @property
    def num_units(self) -> int:
        """Number of units (the width of ``c``, ``h`` and the outputs)."""
        return self._num_units

    @property
    def state_size(self):
        raise AttributeError("LSTMBlockFusedCell runs whole sequences; it has no state_size")

    @property
    def output_size(self):
        raise AttributeError("LSTMBlockFusedCell runs whole sequences; it has no output_size")

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None):
        if isinstance(inputs, (list, tuple)) and len(inputs) != 1:
            raise ValueError(f"Layer {self.name} expects 1 inputs, but it received "
                             f"{len(inputs)} input tensors. Inputs received: {inputs}")
        if self._source().tf1:
            return self._sequence(tf.convert_to_tensor(inputs), initial_state, dtype,
                                  sequence_length)
        return keras.layers.Layer.__call__(self, inputs, initial_state=initial_state,
                                           dtype=dtype, sequence_length=sequence_length)

    def call(self, inputs, initial_state=None, dtype=None, sequence_length=None):
        return self._sequence(inputs, initial_state, dtype, sequence_length)

    def _depth_from_shape(self, input_shape) -> int:
        shape = tuple(static_shape(tf.TensorShape(input_shape)) or ())
        if len(shape) != 3:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim=3, found ndim={len(shape)}. Full shape received: "
                             f"{list(shape)}")
        if shape[2] is None:
            raise ValueError(f"Expecting inputs_shape[2] to be set: {tf.TensorShape(shape)}")
        return int(shape[2])

    def _sequence(self, inputs, initial_state, dtype, sequence_length):
        depth = self._depth_from_shape(inputs.shape)
        batch = static_axis(inputs, 1)
        if batch is None:
            batch = tf.shape(inputs)[1]
        if initial_state is None:
            if dtype is None:
                raise ValueError("Either initial_state or dtype needs to be specified")
            zeros = tf.zeros(tf.stack([batch, self._num_units]), dtype=dtype)
            initial_state = (zeros, zeros)
        elif len(initial_state) != 2:
            raise ValueError("Expecting initial_state to be a tuple with length 2 or None")
        state = LSTMStateTuple(*(tf.convert_to_tensor(s) for s in initial_state))
        if sequence_length is not None:
            sequence_length = tf.cast(tf.convert_to_tensor(sequence_length), tf.int32)
        fused = fastpath.run_fused(self, inputs, state, sequence_length=sequence_length)
        if fused is not None:
            return fused
        return self._scan(inputs, state, self.step_weights(depth, inputs.dtype), batch,
                          sequence_length)

    def _scan(self, inputs, state, weights, batch, sequence_length):
        """Every step (TF1's ``BlockLSTM``), then TF1's masking: zero outputs past
        each length, the final state gathered at the length."""
        def body(carry, x_t):
            _, new_state = self.step(x_t, LSTMStateTuple(*carry), weights)
            return tuple(new_state)

        cs, hs = tf.scan(body, inputs, initializer=tuple(state))
        if sequence_length is None:
            return hs, LSTMStateTuple(cs[-1], hs[-1])
        mask = tf.transpose(tf.sequence_mask(sequence_length, tf.shape(inputs)[0], hs.dtype))
        hs = hs * mask[:, :, None]
        index = tf.stack([sequence_length, tf.range(batch)], axis=1)
        c = tf.gather_nd(tf.concat([state.c[None], cs], 0), index)
        h = tf.gather_nd(tf.concat([state.h[None], hs], 0), index)
        return hs, LSTMStateTuple(c, h)
