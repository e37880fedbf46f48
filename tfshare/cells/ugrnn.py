"""``UGRNNCell`` and ``IntersectionRNNCell``: the update-gate RNN and the
intersection RNN of Collins, Sohl-Dickstein & Sussillo ("Capacity and
Trainability in Recurrent Neural Networks"), TF1's ``tf.contrib.rnn`` cells."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells._args import (check_number, check_positive_int,
                                 get_activation, get_initializer, serialize_activation,
                                 serialize_initializer)
from tfshare.cells._contrib_ops import linear, linear_specs
from tfshare.cells.base import UnitsCell

__all__ = ["UGRNNCell", "IntersectionRNNCell"]


class _CollinsCell(UnitsCell):
    """Shared parts: ``num_units``, ``initializer`` (the kernels' initializer,
    else the scope's, else glorot-uniform; biases are zeros), ``forget_bias``;
    state and output have ``num_units``."""

    def __init__(self, num_units: int, initializer: Any = None, forget_bias: float = 1.0,
                 reuse: Any = None, **kwargs):
        super().__init__(reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._initializer = get_initializer(initializer)
        self._forget_bias = check_number("forget_bias", forget_bias)

    def _gate(self, pre):
        return tf.sigmoid(pre + tf.constant(self._forget_bias, pre.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "initializer": serialize_initializer(self._initializer),
                "forget_bias": self._forget_bias}


@keras.saving.register_keras_serializable(package="tfshare")
class UGRNNCell(_CollinsCell):
    """Update Gate RNN, TF1's ``tf.contrib.rnn.UGRNNCell``::

        g_pre, c_pre = split([x, h] · kernel + bias, 2, axis=1)
        g  = σ(g_pre + forget_bias);   c = act(c_pre)
        h' = g ⊙ h + (1 − g) ⊙ c                 output = new state = h'

    TF1 variables (scope ``ugrnn_cell``): ``kernel`` ``[depth + units,
    2·units]`` (``initializer``, else the scope's, else glorot-uniform),
    ``bias`` ``[2·units]`` (zeros).
    """

    def __init__(self, num_units: int, initializer: Any = None, forget_bias: float = 1.0,
                 activation: Any = None, reuse: Any = None, **kwargs):
        super().__init__(num_units, initializer, forget_bias, reuse, **kwargs)
        self._activation_arg = activation
        self._activation = get_activation(activation)

    def weight_specs(self, input_depth):
        n = self._num_units
        return linear_specs("", input_depth + n, 2 * n, initializer=self._initializer)

    def step(self, inputs, state, weights):
        g_pre, c_pre = tf.split(linear([inputs, state], weights), 2, axis=1)
        g = self._gate(g_pre)
        h = g * state + (1.0 - g) * self._activation(c_pre)
        return h, h

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": serialize_activation(self._activation_arg)}


@keras.saving.register_keras_serializable(package="tfshare")
class IntersectionRNNCell(_CollinsCell):
    """Intersection RNN (+RNN), TF1's ``tf.contrib.rnn.IntersectionRNNCell``::

        x = x · in_projection/kernel + in_projection/bias   (depth != units)
        gh, h, gy, y = split([x, s] · kernel + bias, 4, axis=1)
        s' = σ(gh + fb) ⊙ s + (1 − σ(gh + fb)) ⊙ tanh(h)     (through time)
        y' = σ(gy + fb) ⊙ x + (1 − σ(gy + fb)) ⊙ y_act(y)    (through depth)
        output = y', new state = s'

    TF1 variables (scope ``intersection_rnn_cell``), in creation order: when
    the input depth is not ``num_units``, ``in_projection/kernel`` ``[depth,
    units]`` and ``in_projection/bias``; then ``kernel`` ``[2·units,
    4·units]`` and ``bias`` ``[4·units]`` (kernels: ``initializer``, else the
    scope's, else glorot-uniform; biases zeros).

    Args:
      num_in_proj: must be set (to ``num_units``) when the input depth is
        not ``num_units``; else the first call raises ``ValueError: Must have
        input size == output size for Intersection RNN. ...``.
      y_activation: activation of the depth output (default relu).
    """

    def __init__(self, num_units: int, num_in_proj: Optional[int] = None,
                 initializer: Any = None, forget_bias: float = 1.0, y_activation: Any = "relu",
                 reuse: Any = None, **kwargs):
        super().__init__(num_units, initializer, forget_bias, reuse, **kwargs)
        self._num_in_proj = num_in_proj
        self._y_activation_arg = y_activation
        self._y_activation = (tf.nn.relu if y_activation is None
                              else keras.activations.get(y_activation))

    def _projects(self, input_depth: Optional[int]) -> bool:
        if input_depth is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
        if input_depth == self._num_units:
            return False
        if not self._num_in_proj:
            raise ValueError("Must have input size == output size for Intersection RNN. To fix, "
                             "num_in_proj should be set to num_units at cell init.")
        return True

    def weight_specs(self, input_depth):
        n = self._num_units
        specs = []
        if self._projects(input_depth):
            specs += linear_specs("in_projection/", input_depth, n, initializer=self._initializer)
        return specs + linear_specs("", 2 * n, 4 * n, initializer=self._initializer)

    def step(self, inputs, state, weights):
        if self._projects(static_axis(inputs, -1)):
            inputs = linear([inputs], weights, "in_projection/")
        gh, h, gy, y = tf.split(linear([inputs, state], weights), 4, axis=1)
        gh, gy = self._gate(gh), self._gate(gy)
        new_state = gh * state + (1.0 - gh) * tf.tanh(h)
        new_y = gy * inputs + (1.0 - gy) * self._y_activation(y)
        return new_y, new_state

    def get_config(self) -> dict:
        return {**super().get_config(), "num_in_proj": self._num_in_proj,
                "y_activation": serialize_activation(self._y_activation_arg)}
