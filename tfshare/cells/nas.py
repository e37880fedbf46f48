"""``NASCell``: the recurrent cell found by Neural Architecture Search (Zoph &
Le, 2017), TF1's ``tf.contrib.rnn.NASCell``."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import check_positive_int
from tfshare.cells.base import LSTMUnitsCell, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["NASCell"]

#: NAS cell's architecture base (eight branches).
_NAS_BASE = 8


@keras.saving.register_keras_serializable(package="tfshare")
class NASCell(LSTMUnitsCell):
    """Neural Architecture Search recurrent cell, TF1's ``tf.contrib.rnn.NASCell``.

    Equations (``a_k = x · kernel_k + m · recurrent_kernel_k [+ bias_k]``
    for the eight column blocks ``k``; the bias is added to the recurrent part)::

        l0 = σ(a0)   l1 = relu(a1)   l2 = σ(a2)   l3 = relu(x·K3 ⊙ (m·R3 [+ b3]))
        l4 = tanh(a4) l5 = σ(a5)     l6 = tanh(a6) l7 = σ(a7)
        c' = tanh(tanh(l0 ⊙ l1) + c) ⊙ tanh(l2 + l3)
        m' = tanh(c' ⊙ tanh(tanh(l4 ⊙ l5) + σ(l6 + l7)))
        m' = m' · projection_weights             (num_proj)
        output = m', state = LSTMStateTuple(c', m')

    TF1 variables (scope ``nas_cell``), in creation order (``p = num_proj or
    num_units``): ``recurrent_kernel`` ``[p, 8·units]``, ``kernel``
    ``[depth, 8·units]`` (scope initializer, else glorot-uniform), ``bias``
    ``[8·units]`` (zeros; ``use_bias``), ``projection_weights``
    ``[units, num_proj]`` (``num_proj``).

    Args:
      num_units: number of units (positive int).
      num_proj: width of the output projection, or None.
      use_bias: add a bias to the recurrent matmul.
      reuse, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, num_proj: Optional[int] = None, use_bias: bool = False,
                 reuse: Any = None, **kwargs):
        super().__init__(reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._num_proj = check_positive_int("num_proj", num_proj, allow_none=True)
        self._use_bias = bool(use_bias)

    @property
    def _m_dim(self) -> int:
        return self._num_proj if self._num_proj is not None else self._num_units

    def weight_specs(self, input_depth):
        n = self._num_units
        specs = [WeightSpec("recurrent_kernel", (self._m_dim, _NAS_BASE * n)),
                 WeightSpec("kernel", (input_depth, _NAS_BASE * n))]
        if self._use_bias:
            specs.append(WeightSpec("bias", (_NAS_BASE * n,), keras.initializers.Zeros()))
        if self._num_proj is not None:
            specs.append(WeightSpec("projection_weights", (n, self._num_proj)))
        return specs

    def step(self, inputs, state, weights):
        c_prev, m_prev = state
        m = tf.matmul(m_prev, weights["recurrent_kernel"])
        if self._use_bias:
            m = tf.nn.bias_add(m, weights["bias"])
        xs = tf.split(tf.matmul(inputs, weights["kernel"]), _NAS_BASE, axis=1)
        ms = tf.split(m, _NAS_BASE, axis=1)
        l0 = tf.sigmoid(xs[0] + ms[0])
        l1 = tf.nn.relu(xs[1] + ms[1])
        l2 = tf.sigmoid(xs[2] + ms[2])
        l3 = tf.nn.relu(xs[3] * ms[3])
        l4 = tf.tanh(xs[4] + ms[4])
        l5 = tf.sigmoid(xs[5] + ms[5])
        l6 = tf.tanh(xs[6] + ms[6])
        l7 = tf.sigmoid(xs[7] + ms[7])
        new_c = tf.tanh(tf.tanh(l0 * l1) + c_prev) * tf.tanh(l2 + l3)
        new_m = tf.tanh(new_c * tf.tanh(tf.tanh(l4 * l5) + tf.sigmoid(l6 + l7)))
        if self._num_proj is not None:
            new_m = tf.matmul(new_m, weights["projection_weights"])
        return new_m, LSTMStateTuple(new_c, new_m)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "num_proj": self._num_proj, "use_bias": self._use_bias}
