"""``CudnnCompatibleLSTMCell`` and ``CudnnCompatibleGRUCell``: TF1's cells
with cuDNN's math (``tf.contrib.cudnn_rnn``), which read the canonical weights
a ``CudnnLSTM``/``CudnnGRU`` checkpoint holds.

cuDNN's LSTM has two bias vectors per gate and no forget bias; its canonical
checkpoint form stores their sum as ``bias``, so the compatible LSTM is
``LSTMBlockCell`` with ``forget_bias=0``. cuDNN's GRU applies the reset gate
*after* the recurrent matmul and has a separate recurrent candidate bias.
"""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._keras_paths import NestedKerasWeights, choose_keras_source
from tfshare.cells.base import WeightSpec
from tfshare.cells.block import LSTMBlockCell
from tfshare.cells.gru import GRUCell

__all__ = ["CudnnCompatibleLSTMCell", "CudnnCompatibleGRUCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnCompatibleLSTMCell(LSTMBlockCell):
    """cuDNN's LSTM as a TF1 cell, TF1's
    ``tf.contrib.cudnn_rnn.CudnnCompatibleLSTMCell``: ``LSTMBlockCell`` with
    ``forget_bias=0``, no clip, no peepholes::

        i, j, f, o = split([x, h] · kernel + bias, 4, axis=1)
        c' = σ(f) ⊙ c + σ(i) ⊙ tanh(j);   h' = σ(o) ⊙ tanh(c')

    TF1 variables (scope ``cudnn_compatible_lstm_cell``): ``kernel``
    ``[depth + units, 4·units]`` (glorot-uniform), ``bias`` ``[4·units]`` (zeros).
    The fast path runs it as it runs ``LSTMBlockCell``.
    """

    def __init__(self, num_units: int, reuse: Any = None, **kwargs):
        for fixed in ("forget_bias", "cell_clip", "use_peephole"):
            kwargs.pop(fixed, None)  # from an LSTMBlockCell config
        kwargs.setdefault("name", "cudnn_compatible_lstm_cell")
        super().__init__(num_units, forget_bias=0.0, cell_clip=None, use_peephole=False,
                         reuse=reuse, **kwargs)


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnCompatibleGRUCell(GRUCell):
    """cuDNN's GRU as a TF1 cell, TF1's
    ``tf.contrib.cudnn_rnn.CudnnCompatibleGRUCell`` (reset gate after the
    recurrent matmul)::

        r, u = split(σ([x, h] · gates/kernel + gates/bias), 2, axis=1)
        c    = tanh(x · Wx + bx + r ⊙ (h · Wh + bh))
        h'   = (1 − u) ⊙ c + u ⊙ h                 output = new state = h'

    TF1 variables (scope ``cudnn_compatible_gru_cell``), in creation order:

    ========================================  ==========================  ==========
    name                                      shape                       initializer
    ========================================  ==========================  ==========
    ``gates/kernel``                          ``[depth + units, 2·units]``  kernel
    ``gates/bias``                            ``[2·units]``               1.0
    ``candidate/input_projection/kernel``     ``[depth, units]`` (Wx)     kernel
    ``candidate/hidden_projection/kernel``    ``[units, units]`` (Wh)     kernel
    ``candidate/input_projection/bias``       ``[units]`` (bx)            zeros
    ``candidate/hidden_projection/bias``      ``[units]`` (bh)            zeros
    ========================================  ==========================  ==========

    ``kernel`` is ``kernel_initializer``, else the scope's, else glorot-uniform.
    No fast path (the fused GRU kernel is the reset-before GRU).
    """

    def __init__(self, num_units: int, reuse: Any = None, kernel_initializer: Any = None,
                 **kwargs):
        kwargs.pop("activation", None)  # from a GRUCell config
        super().__init__(num_units, activation=None, reuse=reuse,
                         kernel_initializer=kernel_initializer, **kwargs)

    def _source(self, scope: Any = None):
        choose_keras_source(self, NestedKerasWeights, scope)
        return super()._source(scope)

    def weight_specs(self, input_depth):
        n, k, b = self._num_units, self._kernel_initializer, self._bias_initializer
        zeros = b if b is not None else keras.initializers.Zeros()
        return [
            WeightSpec("gates/kernel", (input_depth + n, 2 * n), k),
            WeightSpec("gates/bias", (2 * n,), b if b is not None else keras.initializers.Constant(1.0)),
            WeightSpec("candidate/input_projection/kernel", (input_depth, n), k),
            WeightSpec("candidate/hidden_projection/kernel", (n, n), k),
            WeightSpec("candidate/input_projection/bias", (n,), zeros),
            WeightSpec("candidate/hidden_projection/bias", (n,), zeros),
        ]

    def step(self, inputs, state, weights):
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), weights["gates/kernel"]),
                               weights["gates/bias"])
        r, u = tf.split(tf.sigmoid(gates), 2, axis=1)
        cand = tf.nn.bias_add(tf.matmul(inputs, weights["candidate/input_projection/kernel"]),
                              weights["candidate/input_projection/bias"])
        hidden = tf.nn.bias_add(tf.matmul(state, weights["candidate/hidden_projection/kernel"]),
                                weights["candidate/hidden_projection/bias"])
        c = self._activation(cand + r * hidden)
        h = (1 - u) * c + u * state
        return h, h

    def fused_spec(self) -> Optional[Any]:
        return None

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activation", None)
        config.pop("bias_initializer", None)
        return config
