"""``PhasedLSTMCell``: the Phased LSTM of Neil, Pfeiffer & Liu (2016), TF1's
``tf.contrib.rnn.PhasedLSTMCell``. Its inputs are pairs ``(time, x)``."""
from __future__ import annotations

import random
from typing import Any

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells._args import check_positive_int, is_floating, float_error, dtype_repr
from tfshare.cells._contrib_ops import linear, linear_specs
from tfshare.cells.base import LSTMUnitsCell, match_structure, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["PhasedLSTMCell"]


class _PeriodInitializer(keras.initializers.Initializer):
    """``period`` (``exp(U(log lo, log hi))``) or ``phase`` (``U(0, period)``,
    the period drawn again from the same seed): TF1 drew the phase up to the
    period's initial value."""

    def __init__(self, lo: Any, hi: Any, seed: int, phase: bool = False):
        self.lo, self.hi, self.seed, self.phase = lo, hi, seed, phase

    def __call__(self, shape, dtype=None):
        dtype = tf.as_dtype(dtype or "float32")
        lo = tf.math.log(tf.cast(self.lo, dtype))
        hi = tf.math.log(tf.cast(self.hi, dtype))
        period = tf.exp(tf.random.stateless_uniform(shape, [self.seed, 0], lo, hi, dtype=dtype))
        if not self.phase:
            return period
        return tf.random.stateless_uniform(shape, [self.seed, 1], dtype=dtype) * period

    def get_config(self) -> dict:
        return {"lo": self.lo, "hi": self.hi, "seed": self.seed, "phase": self.phase}


def _soft_mod(x, y):
    """``x mod y`` whose gradient w.r.t. ``x`` is 1 (TF1's ``_mod``)."""
    return tf.stop_gradient(tf.math.floormod(x, y) - x) + x


@keras.saving.register_keras_serializable(package="tfshare")
class PhasedLSTMCell(LSTMUnitsCell):
    """Phased LSTM, TF1's ``tf.contrib.rnn.PhasedLSTMCell``.

    Inputs are a pair ``(time, x)``: ``time`` ``[batch, 1]`` (float32 or
    float64), ``x`` ``[batch, depth]`` (float32). ``keras.layers.RNN`` feeds
    one tensor per step, so the cell also takes ``concat([time, x], axis=-1)``
    (time first; e.g. ``keras.layers.RNN(cell)(concat([times, xs], -1))``).
    Equations (``[·]`` with
    ``c`` only with ``use_peepholes``)::

        ig, fg = split(σ([x, h, (c)] · mask_gates/kernel + mask_gates/bias), 2, axis=1)
        c~ = fg ⊙ c + ig ⊙ tanh([x, h] · new_input/kernel + new_input/bias)
        h~ = tanh(c~) ⊙ σ([x, h, (c~)] · output_gate/kernel + output_gate/bias)
        φ  = ((time − phase) mod period) / period        (cycle ratio)
        k  = 2φ/r_on if φ < r_on/2;  2 − 2φ/r_on if φ < r_on;  leak·φ otherwise
        c' = k ⊙ c~ + (1 − k) ⊙ c;   h' = k ⊙ h~ + (1 − k) ⊙ h
        output = h', state = LSTMStateTuple(c', h')

    (``r_on`` is the ``ratio_on`` variable; the modulo's gradient w.r.t. the
    time and the phase passes through unchanged, as in TF1.)

    TF1 variables (scope ``phased_lstm_cell``), in creation order:
    ``mask_gates/kernel`` ``[depth + units (+ units), 2·units]``,
    ``mask_gates/bias``, ``new_input/kernel`` ``[depth + units, units]``,
    ``new_input/bias``, ``output_gate/kernel`` ``[depth + units (+ units),
    units]``, ``output_gate/bias`` (kernels: scope initializer, else
    glorot-uniform; biases zeros), ``period`` ``[units]``
    (``exp(U(log period_init_min, log period_init_max))``), ``phase``
    ``[units]`` (``U(0, period)``), ``ratio_on`` ``[units]`` (``ratio_on``;
    trainable iff ``trainable_ratio_on``).

    Args:
      num_units: number of units (positive int).
      use_peepholes: feed ``c`` to the mask gates and ``c~`` to the output gate.
      leak: slope of the closed phase.
      ratio_on: initial open ratio of the period.
      trainable_ratio_on: whether ``ratio_on`` is trained.
      period_init_min, period_init_max: range of the initial periods.
      reuse, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, use_peepholes: bool = False, leak: Any = 0.001,
                 ratio_on: Any = 0.1, trainable_ratio_on: bool = True,
                 period_init_min: Any = 1.0, period_init_max: Any = 1000.0, reuse: Any = None,
                 **kwargs):
        kwargs.setdefault("autocast", False)  # time and x may have different dtypes
        super().__init__(reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._use_peepholes = bool(use_peepholes)
        self._leak = leak
        self._ratio_on = ratio_on
        self._trainable_ratio_on = bool(trainable_ratio_on)
        self._period_init_min = period_init_min
        self._period_init_max = period_init_max
        self._init_seed = random.randrange(2 ** 31)

    def weight_specs(self, input_depth):
        n = self._num_units
        gate_in = input_depth + n + (n if self._use_peepholes else 0)
        lo, hi, seed = self._period_init_min, self._period_init_max, self._init_seed
        return (linear_specs("mask_gates/", gate_in, 2 * n)
                + linear_specs("new_input/", input_depth + n, n)
                + linear_specs("output_gate/", gate_in, n)
                + [WeightSpec("period", (n,), _PeriodInitializer(lo, hi, seed)),
                   WeightSpec("phase", (n,), _PeriodInitializer(lo, hi, seed, phase=True)),
                   WeightSpec("ratio_on", (n,), keras.initializers.Constant(self._ratio_on),
                              trainable=self._trainable_ratio_on)])

    # -- inputs are (time, x), or concat([time, x], -1) (keras.layers.RNN feeds one tensor)
    def _split_inputs(self, inputs):
        if isinstance(inputs, (tuple, list)):
            if len(inputs) != 2:
                raise ValueError(f"Argument `inputs` of PhasedLSTMCell '{self.name}' must be a "
                                 f"pair (time, x). Received: inputs={inputs!r}")
            return tuple(inputs)
        return inputs[:, :1], inputs[:, 1:]

    def _x_depth(self, input_shape) -> int:
        """The depth of ``x`` given the shape of the inputs (a pair of shapes, or
        the shape of ``concat([time, x], -1)``)."""
        pair = (isinstance(input_shape, (tuple, list)) and len(input_shape) == 2
                and all(isinstance(s, (tuple, list, tf.TensorShape)) for s in input_shape))
        depth = super()._depth_from_shape(input_shape[1] if pair else input_shape)
        if pair:
            return depth
        if depth < 2:
            raise ValueError(f"Argument `inputs` of PhasedLSTMCell '{self.name}' must be a pair "
                             "(time, x) or concat([time, x], axis=-1) (time first). Received "
                             f"inputs of shape {input_shape}")
        return depth - 1

    _depth_from_shape = _x_depth

    def _check_inputs(self, inputs) -> None:
        parts = self._split_inputs(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        shapes = []
        for value in parts:
            if getattr(value, "dtype", None) is None:
                value = tf.convert_to_tensor(value)
            if not is_floating(keras.backend.standardize_dtype(value.dtype)):
                raise float_error(dtype_repr(value.dtype))
            shapes.append(tuple(value.shape))
        depth = self._x_depth(tuple(shapes) if len(shapes) == 2 else shapes[0])
        if self._input_depth is not None and depth != self._input_depth:
            raise ValueError(f"Argument `inputs` of PhasedLSTMCell '{self.name}' has x of depth "
                             f"{depth}, but the cell was built for depth {self._input_depth}.")

    def _accept_tf1_inputs(self, inputs):
        if isinstance(inputs, (tuple, list)):
            inputs = tuple(tf.convert_to_tensor(v) for v in inputs)
        else:
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        time, x = self._split_inputs(inputs)
        if self._input_depth is None:
            self._input_depth = static_axis(x, -1)
        if self._tf1_dtype is None:
            self._tf1_dtype = x.dtype.name
        return time, x

    def call(self, inputs, states):
        time, x = self._split_inputs(inputs)
        weights = self._weight_source.get(self.weight_specs(static_axis(x, -1)), x.dtype)
        output, new_state = self.step((time, x), self._canonical_state(states), weights)
        return output, match_structure(states, new_state)

    def step(self, inputs, state, weights):
        time, x = inputs
        c_prev, h_prev = state
        peep = [c_prev] if self._use_peepholes else []
        input_gate, forget_gate = tf.split(
            tf.sigmoid(linear([x, h_prev] + peep, weights, "mask_gates/")), 2, axis=1)
        new_input = tf.tanh(linear([x, h_prev], weights, "new_input/"))
        new_c = c_prev * forget_gate + input_gate * new_input
        peep = [new_c] if self._use_peepholes else []
        output_gate = tf.sigmoid(linear([x, h_prev] + peep, weights, "output_gate/"))
        new_h = tf.tanh(new_c) * output_gate

        time = tf.convert_to_tensor(time)
        period = tf.cast(weights["period"], time.dtype)
        shifted = time - tf.cast(weights["phase"], time.dtype)
        cycle = tf.cast(_soft_mod(shifted, period) / period, x.dtype)
        ratio_on = weights["ratio_on"]
        k_up = 2 * cycle / ratio_on
        k = tf.where(cycle < ratio_on, 2 - k_up, self._leak * cycle)
        k = tf.where(cycle < 0.5 * ratio_on, k_up, k)
        new_c = k * new_c + (1 - k) * c_prev
        new_h = k * new_h + (1 - k) * h_prev
        return new_h, LSTMStateTuple(new_c, new_h)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "use_peepholes": self._use_peepholes, "leak": self._leak,
                "ratio_on": self._ratio_on, "trainable_ratio_on": self._trainable_ratio_on,
                "period_init_min": self._period_init_min,
                "period_init_max": self._period_init_max}
