"""``GRUCell``: TF1's gated recurrent unit, reset gate applied before the candidate matmul."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import (activation_name, check_positive_int, get_activation,
                                 get_initializer, serialize_activation, serialize_initializer)
from tfshare.cells.base import UnitsCell, WeightSpec
from tfshare.cells.fused import FusedGRU

__all__ = ["GRUCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class GRUCell(UnitsCell):
    """Gated Recurrent Unit cell, TF1's ``tf.nn.rnn_cell.GRUCell``.

    Equations (gate columns ordered ``r, u``; the reset gate is applied to
    ``h`` *before* the candidate's matmul)::

        r, u = split(σ([x, h] · Kg + bg), 2, axis=1)
        c    = act([x, r ⊙ h] · Kc + bc)
        h'   = u ⊙ h + (1 − u) ⊙ c                 output = new_state = h'

    TF1 variables (scope ``gru_cell``):

    ====================  ========================  ===============================
    name                  shape                     initializer
    ====================  ========================  ===============================
    ``gates/kernel``      ``[depth + units, 2·units]``  ``kernel_initializer``, else
                                                    scope, else glorot-uniform
    ``gates/bias``        ``[2·units]``             ``bias_initializer``, else 1.0
    ``candidate/kernel``  ``[depth + units, units]``  as ``gates/kernel``
    ``candidate/bias``    ``[units]``               ``bias_initializer``, else zeros
    ====================  ========================  ===============================

    Args:
      num_units: number of units (positive int).
      activation: candidate nonlinearity (default ``tanh``).
      reuse: TF1 reuse flag (TF1 mode).
      kernel_initializer: initializer of both kernels.
      bias_initializer: initializer of both biases.
      name, dtype, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs):
        super().__init__(name=name, dtype=dtype, reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._activation_arg = activation
        self._activation = get_activation(activation)
        self._kernel_initializer = get_initializer(kernel_initializer)
        self._bias_initializer = get_initializer(bias_initializer)

    def weight_specs(self, input_depth):
        n = self._num_units
        k = self._kernel_initializer
        b = self._bias_initializer
        return [
            WeightSpec("gates/kernel", (input_depth + n, 2 * n), k),
            WeightSpec("gates/bias", (2 * n,), b if b is not None else keras.initializers.Constant(1.0)),
            WeightSpec("candidate/kernel", (input_depth + n, n), k),
            WeightSpec("candidate/bias", (n,), b if b is not None else keras.initializers.Zeros()),
        ]

    def step(self, inputs, state, weights):
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), weights["gates/kernel"]),
                               weights["gates/bias"])
        r, u = tf.split(tf.sigmoid(gates), 2, axis=1)
        cand = tf.nn.bias_add(tf.matmul(tf.concat([inputs, r * state], 1),
                                        weights["candidate/kernel"]),
                              weights["candidate/bias"])
        c = self._activation(cand)
        h = u * state + (1 - u) * c
        return h, h

    def fused_spec(self) -> Optional[FusedGRU]:
        name = activation_name(self._activation)
        return None if name is None else FusedGRU(self._num_units, activation=name)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "activation": serialize_activation(self._activation_arg),
                "kernel_initializer": serialize_initializer(self._kernel_initializer),
                "bias_initializer": serialize_initializer(self._bias_initializer)}
