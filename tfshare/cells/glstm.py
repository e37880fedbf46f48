"""``GLSTMCell``: the group LSTM of Kuchaiev & Ginsburg ("Factorization
Tricks for LSTM Networks"), TF1's ``tf.contrib.rnn.GLSTMCell``."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells._args import (check_number, check_positive_int, get_activation,
                                 get_initializer, serialize_activation, serialize_initializer)
from tfshare.cells._contrib_ops import linear, linear_specs
from tfshare.cells.base import LSTMUnitsCell, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["GLSTMCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class GLSTMCell(LSTMUnitsCell):
    """Group LSTM, TF1's ``tf.contrib.rnn.GLSTMCell``: ``G =
    number_of_groups`` LSTM sub-cells, each on its slice of the input and of
    ``m`` (``x_g``, ``m_g``), producing its slice of the gates::

        i_g, j_g, f_g, o_g = split([x_g, m_g] · group<g>/kernel, 4, axis=1)
        i, j, f, o = concat_g(·) + bias_i, bias_j, bias_f, bias_o
        c' = σ(f + forget_bias) ⊙ c + σ(i) ⊙ tanh(j)
        m' = σ(o) ⊙ act(c')
        m' = m' · projection/kernel              (num_proj)
        output = m', state = LSTMStateTuple(c', m')

    TF1 variables (scope ``glstm_cell``), in creation order:
    ``group0/kernel`` ... ``group<G-1>/kernel``
    ``[depth/G + p/G, 4·units/G]`` (``p = num_proj or num_units``; the
    ``initializer``, else the scope's, else glorot-uniform), ``bias_i``,
    ``bias_j``, ``bias_f``, ``bias_o`` ``[units]`` (zeros), and with
    ``num_proj`` ``projection/kernel`` ``[units, num_proj]``.

    Raises:
      ValueError: ``num_units must be divisible by number_of_groups``,
        ``num_proj must be divisible by number_of_groups``; at the first call
        ``input size (5) must be divisible by number_of_groups (2)``.
    """

    def __init__(self, num_units: int, initializer: Any = None, num_proj: Optional[int] = None,
                 number_of_groups: int = 1, forget_bias: float = 1.0, activation: Any = None,
                 reuse: Any = None, **kwargs):
        super().__init__(reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._initializer = get_initializer(initializer)
        self._num_proj = check_positive_int("num_proj", num_proj, allow_none=True)
        self._groups = check_positive_int("number_of_groups", number_of_groups)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._activation_arg = activation
        self._activation = get_activation(activation)
        if self._num_units % self._groups != 0:
            raise ValueError("num_units must be divisible by number_of_groups")
        if self._num_proj and self._num_proj % self._groups != 0:
            raise ValueError("num_proj must be divisible by number_of_groups")

    @property
    def _m_dim(self) -> int:
        return self._num_proj or self._num_units

    def _input_group(self, input_depth: Optional[int]) -> int:
        if input_depth is None:
            raise ValueError("input size must be statically known")
        if input_depth % self._groups != 0:
            raise ValueError(f"input size ({input_depth}) must be divisible by "
                             f"number_of_groups ({self._groups})")
        return input_depth // self._groups

    def weight_specs(self, input_depth):
        g, n = self._groups, self._num_units
        width = self._input_group(input_depth) + self._m_dim // g
        specs = []
        for k in range(g):
            specs += linear_specs(f"group{k}/", width, 4 * n // g, bias=False,
                                  initializer=self._initializer)
        specs += [WeightSpec(b, (n,), keras.initializers.Zeros())
                  for b in ("bias_i", "bias_j", "bias_f", "bias_o")]
        if self._num_proj is not None:
            specs += linear_specs("projection/", n, self._num_proj, bias=False,
                                  initializer=self._initializer)
        return specs

    def step(self, inputs, state, weights):
        c_prev, m_prev = state
        x_size = self._input_group(static_axis(inputs, -1))
        m_size = self._m_dim // self._groups
        parts = [[], [], [], []]
        for k in range(self._groups):
            x_k = tf.concat([inputs[:, k * x_size:(k + 1) * x_size],
                             m_prev[:, k * m_size:(k + 1) * m_size]], axis=1)
            for part, gate in zip(parts, tf.split(linear([x_k], weights, f"group{k}/"), 4, 1)):
                part.append(gate)
        i, j, f, o = (tf.nn.bias_add(tf.concat(p, axis=1), weights[b])
                      for p, b in zip(parts, ("bias_i", "bias_j", "bias_f", "bias_o")))
        c = (tf.sigmoid(f + tf.constant(self._forget_bias, f.dtype)) * c_prev
             + tf.sigmoid(i) * tf.tanh(j))
        m = tf.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = linear([m], weights, "projection/")
        return m, LSTMStateTuple(c, m)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "initializer": serialize_initializer(self._initializer),
                "num_proj": self._num_proj, "number_of_groups": self._groups,
                "forget_bias": self._forget_bias,
                "activation": serialize_activation(self._activation_arg)}
