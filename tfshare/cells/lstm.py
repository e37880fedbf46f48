"""``BasicLSTMCell`` and ``LSTMCell``: TF1's LSTM cells."""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import (activation_name, check_number, check_positive_int,
                                 get_activation, get_initializer, serialize_activation,
                                 serialize_initializer)
from tfshare.cells.base import RNNCell, WeightSpec
from tfshare.cells.fused import FusedLSTM
from tfshare.cells.state import LSTMStateTuple

__all__ = ["BasicLSTMCell", "LSTMCell"]


def _split_state(state, num_units: int, h_dim: int, is_tuple: bool):
    if is_tuple:
        return state
    c = tf.slice(state, [0, 0], [-1, num_units])
    h = tf.slice(state, [0, num_units], [-1, h_dim])
    return c, h


def _join_state(c, h, is_tuple: bool):
    return LSTMStateTuple(c, h) if is_tuple else tf.concat([c, h], 1)


@keras.saving.register_keras_serializable(package="tfshare")
class BasicLSTMCell(RNNCell):
    """Basic LSTM cell without peepholes or projection, TF1's
    ``tf.nn.rnn_cell.BasicLSTMCell``.

    Equations (kernel columns ordered ``i, j, f, o``: input gate, candidate,
    forget gate, output gate; ``forget_bias`` is added at run time, it is not
    stored in ``bias``)::

        i, j, f, o = split([x, h] · kernel + bias, 4, axis=1)
        c' = c ⊙ σ(f + forget_bias) + σ(i) ⊙ act(j)
        h' = act(c') ⊙ σ(o)                 output = h', state = (c', h')

    TF1 variables (scope ``basic_lstm_cell``): ``kernel``
    ``[depth + units, 4·units]`` (scope initializer, else glorot-uniform) and
    ``bias`` ``[4·units]`` (zeros).

    Args:
      num_units: number of units (positive int).
      forget_bias: added to the forget gate's pre-activation at run time.
      state_is_tuple: True: state is ``LSTMStateTuple(c, h)``; False: the
        concatenation ``[c, h]`` of width ``2·units`` (deprecated in TF1).
      activation: nonlinearity of the candidate and output (default ``tanh``).
      reuse, name, dtype, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Any = None, reuse: Any = None, name: Optional[str] = None,
                 dtype: Any = None, **kwargs):
        super().__init__(name=name, dtype=dtype, reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._state_is_tuple = bool(state_is_tuple)
        self._activation_arg = activation
        self._activation = get_activation(activation)

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def weight_specs(self, input_depth):
        n = self._num_units
        return [WeightSpec("kernel", (input_depth + n, 4 * n)),
                WeightSpec("bias", (4 * n,), keras.initializers.Zeros())]

    def step(self, inputs, state, weights):
        n = self._num_units
        c, h = _split_state(state, n, n, self._state_is_tuple)
        z = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), weights["kernel"]), weights["bias"])
        i, j, f, o = tf.split(z, 4, axis=1)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        new_c = c * tf.sigmoid(f + forget_bias) + tf.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * tf.sigmoid(o)
        return new_h, _join_state(new_c, new_h, self._state_is_tuple)

    def fused_spec(self) -> Optional[FusedLSTM]:
        name = activation_name(self._activation)
        if name is None:
            return None
        return FusedLSTM(self._num_units, forget_bias=self._forget_bias, activation=name,
                         state_is_tuple=self._state_is_tuple)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "forget_bias": self._forget_bias, "state_is_tuple": self._state_is_tuple,
                "activation": serialize_activation(self._activation_arg)}


@keras.saving.register_keras_serializable(package="tfshare")
class LSTMCell(RNNCell):
    """LSTM cell with optional peepholes, cell clipping and output projection,
    TF1's ``tf.nn.rnn_cell.LSTMCell``.

    Equations (``m`` is the output/``h`` state; columns ``i, j, f, o``)::

        i, j, f, o = split([x, m_prev] · kernel + bias, 4, axis=1)
        peepholes:    c = σ(f + forget_bias + w_f_diag ⊙ c_prev) ⊙ c_prev
                          + σ(i + w_i_diag ⊙ c_prev) ⊙ act(j)
        no peepholes: c = σ(f + forget_bias) ⊙ c_prev + σ(i) ⊙ act(j)
        cell_clip:    c = clip(c, −cell_clip, cell_clip)
        peepholes:    m = σ(o + w_o_diag ⊙ c) ⊙ act(c)   else m = σ(o) ⊙ act(c)
        num_proj:     m = m · projection/kernel;  proj_clip: m = clip(m, ±proj_clip)
        output = m, state = LSTMStateTuple(c, m)  (or concat([c, m], 1))

    TF1 variables (scope ``lstm_cell``; ``h_dim = num_proj or num_units``):

    =====================  ============================  ===========================
    name                   shape                         initializer
    =====================  ============================  ===========================
    ``kernel``             ``[depth + h_dim, 4·units]``  ``initializer``, else scope,
                                                         else glorot-uniform
    ``bias``               ``[4·units]``                 zeros (always)
    ``w_f_diag``,          ``[units]`` (peepholes)       as ``kernel``
    ``w_i_diag``,
    ``w_o_diag``
    ``projection/kernel``  ``[units, num_proj]``         as ``kernel``
    =====================  ============================  ===========================

    ``num_unit_shards``/``num_proj_shards`` (TF1's partitioned kernels) are not
    supported and raise ``NotImplementedError``.
    """

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: Optional[float] = None,
                 initializer: Any = None, num_proj: Optional[int] = None,
                 proj_clip: Optional[float] = None, num_unit_shards: Optional[int] = None,
                 num_proj_shards: Optional[int] = None, forget_bias: float = 1.0,
                 state_is_tuple: bool = True, activation: Any = None, reuse: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs):
        super().__init__(name=name, dtype=dtype, reuse=reuse, **kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        for arg, value in (("num_unit_shards", num_unit_shards),
                           ("num_proj_shards", num_proj_shards)):
            if value is not None:
                raise NotImplementedError(
                    f"tfshare.LSTMCell does not support `{arg}` (TF1's partitioned, deprecated "
                    f"kernels). Received: {arg}={value!r}; pass None and restore sharded "
                    "checkpoints by concatenating the `part_i` slices.")
        self._use_peepholes = bool(use_peepholes)
        self._cell_clip = check_number("cell_clip", cell_clip)
        self._initializer = get_initializer(initializer)
        self._num_proj = check_positive_int("num_proj", num_proj, allow_none=True)
        self._proj_clip = check_number("proj_clip", proj_clip)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._state_is_tuple = bool(state_is_tuple)
        self._activation_arg = activation
        self._activation = get_activation(activation)

    @property
    def _h_dim(self) -> int:
        return self._num_proj or self._num_units

    @property
    def state_size(self):
        if self._state_is_tuple:
            return LSTMStateTuple(self._num_units, self._h_dim)
        return self._num_units + self._h_dim

    @property
    def output_size(self) -> int:
        return self._h_dim

    def weight_specs(self, input_depth):
        n, init = self._num_units, self._initializer
        specs = [WeightSpec("kernel", (input_depth + self._h_dim, 4 * n), init),
                 WeightSpec("bias", (4 * n,), keras.initializers.Zeros())]
        if self._use_peepholes:
            specs += [WeightSpec(p, (n,), init) for p in ("w_f_diag", "w_i_diag", "w_o_diag")]
        if self._num_proj is not None:
            specs.append(WeightSpec("projection/kernel", (n, self._num_proj), init))
        return specs

    def step(self, inputs, state, weights):
        n = self._num_units
        c_prev, m_prev = _split_state(state, n, self._h_dim, self._state_is_tuple)
        z = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), weights["kernel"]),
                           weights["bias"])
        i, j, f, o = tf.split(z, 4, axis=1)
        fb = tf.constant(self._forget_bias, dtype=f.dtype)
        if self._use_peepholes:
            c = (tf.sigmoid(f + fb + weights["w_f_diag"] * c_prev) * c_prev
                 + tf.sigmoid(i + weights["w_i_diag"] * c_prev) * self._activation(j))
        else:
            c = tf.sigmoid(f + fb) * c_prev + tf.sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = tf.sigmoid(o + weights["w_o_diag"] * c) * self._activation(c)
        else:
            m = tf.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = tf.matmul(m, weights["projection/kernel"])
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, _join_state(c, m, self._state_is_tuple)

    def fused_spec(self) -> Optional[FusedLSTM]:
        name = activation_name(self._activation)
        if name is None:
            return None
        return FusedLSTM(self._num_units, num_proj=self._num_proj, forget_bias=self._forget_bias,
                         cell_clip=self._cell_clip,
                         proj_clip=self._proj_clip if self._num_proj else None,
                         use_peepholes=self._use_peepholes, activation=name,
                         state_is_tuple=self._state_is_tuple)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "use_peepholes": self._use_peepholes, "cell_clip": self._cell_clip,
                "initializer": serialize_initializer(self._initializer),
                "num_proj": self._num_proj, "proj_clip": self._proj_clip,
                "forget_bias": self._forget_bias, "state_is_tuple": self._state_is_tuple,
                "activation": serialize_activation(self._activation_arg)}
