"""``BasicRNNCell``: TF1's vanilla RNN cell."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import check_positive_int, get_activation, serialize_activation
from tfshare.cells.base import UnitsCell, WeightSpec

__all__ = ["BasicRNNCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class BasicRNNCell(UnitsCell):
    """The most basic RNN cell, TF1's ``tf.nn.rnn_cell.BasicRNNCell``.

    Equation (``[x, h]`` is the concatenation on axis 1)::

        h' = act([x, h] · kernel + bias)        output = new_state = h'

    TF1 variables (scope ``basic_rnn_cell``):

    ==========  ======================  ======================================
    name        shape                   initializer
    ==========  ======================  ======================================
    ``kernel``  ``[depth + units, units]``  scope initializer, else glorot-uniform
    ``bias``    ``[units]``             zeros
    ==========  ======================  ======================================

    Args:
      num_units: number of units (positive int).
      activation: nonlinearity (default ``tanh``); strings go through Keras.
      reuse, name, dtype, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs):
        super().__init__(name=name, dtype=dtype, reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._activation_arg = activation
        self._activation = get_activation(activation)

    def weight_specs(self, input_depth):
        n = self._num_units
        return [WeightSpec("kernel", (input_depth + n, n)),
                WeightSpec("bias", (n,), keras.initializers.Zeros())]

    def step(self, inputs, state, weights):
        z = tf.matmul(tf.concat([inputs, state], 1), weights["kernel"])
        h = self._activation(tf.nn.bias_add(z, weights["bias"]))
        return h, h

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "activation": serialize_activation(self._activation_arg)}
