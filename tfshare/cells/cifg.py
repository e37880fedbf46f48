"""``CoupledInputForgetGateLSTMCell``: TF1's ``tf.contrib.rnn`` LSTM whose
input gate is one minus the forget gate (Greff et al., "LSTM: A Search Space
Odyssey")."""
from __future__ import annotations

import logging
from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells._args import (check_number, check_positive_int, get_activation,
                                 get_initializer, serialize_activation, serialize_initializer)
from tfshare.cells._contrib_ops import normalized, norm_specs
from tfshare.cells.base import RNNCell, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["CoupledInputForgetGateLSTMCell"]

_log = logging.getLogger("tfshare")


def shard_specs(name: str, shape: tuple, num_shards: int) -> list:
    """TF1's sharded variable ``name`` of ``shape``: ``<name>_0`` ...
    ``<name>_<k-1>``, row blocks (the first ``rows % k`` one row longer)."""
    rows = shape[0]
    if num_shards > rows:
        raise ValueError(f"Too many shards: shape={list(shape)}, num_shards={num_shards}")
    size, extra = divmod(rows, num_shards)
    return [WeightSpec(f"{name}_{i}", (size + (1 if i < extra else 0),) + tuple(shape[1:]))
            for i in range(num_shards)]


def concat_shards(weights: dict, specs: list):
    parts = [weights[s.path] for s in specs]
    return parts[0] if len(parts) == 1 else tf.concat(parts, 0)


@keras.saving.register_keras_serializable(package="tfshare")
class CoupledInputForgetGateLSTMCell(RNNCell):
    """LSTM with coupled input and forget gates, TF1's
    ``tf.contrib.rnn.CoupledInputForgetGateLSTMCell``.

    Equations (``m`` is the output/``h`` state; ``LN_s`` layer normalization
    with ``s/gamma``, ``s/beta`` when ``layer_norm``, which also drops ``B``)::

        j, f, o = split([x, m] · W [+ B], 3, axis=1)
        j, f, o = LN_transform(j), LN_forget(f), LN_output(o)
        f = σ(f + forget_bias [+ W_F_diag ⊙ c])
        c' = LN_state(f ⊙ c + (1 − f) ⊙ act(j))
        m' = σ(o [+ W_O_diag ⊙ c']) ⊙ act(c')
        m' = clip(m' · W_P, ±proj_clip)          (num_proj; proj_clip)
        output = m', state = (c', m')  (or their concatenation)

    TF1 variables (scope ``coupled_input_forget_gate_lstm_cell``), in creation
    order (``p = num_proj or num_units``):

    * ``W_0`` ... ``W_<k-1>``: the row shards of ``W`` ``[depth + p, 3·units]``
      (``k = num_unit_shards``; one shard ``W_0`` by default);
    * ``B`` ``[3·units]`` (zeros);
    * with ``layer_norm``: ``transform``, ``forget``, ``output`` ``gamma``/``beta``;
    * with ``use_peepholes``: ``W_F_diag``, ``W_O_diag`` ``[units]``;
    * with ``layer_norm``: ``state/gamma``, ``state/beta``;
    * with ``num_proj``: ``W_P_0`` ... (``num_proj_shards`` row shards of
      ``[units, num_proj]``).

    Weights take the scope's initializer, else glorot-uniform:
    ``initializer`` is accepted and, as in TF 1.15, not used.

    Args:
      num_units: number of units (positive int).
      use_peepholes: the diagonal peephole connections.
      initializer: accepted and ignored (TF 1.15 never used it).
      num_proj: output projection width, or None; ``proj_clip``: its clip.
      num_unit_shards, num_proj_shards: row shards of ``W`` and ``W_P``.
      forget_bias: added to the forget gate's pre-activation.
      state_is_tuple: ``LSTMStateTuple(c, m)``; else their concatenation
        (a deprecation warning is logged).
      activation: nonlinearity of the candidate and output (default tanh).
      layer_norm, norm_gain, norm_shift: layer normalization and its initial
        gamma and beta.
      reuse, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, use_peepholes: bool = False, initializer: Any = None,
                 num_proj: Optional[int] = None, proj_clip: Optional[float] = None,
                 num_unit_shards: int = 1, num_proj_shards: int = 1, forget_bias: float = 1.0,
                 state_is_tuple: bool = True, activation: Any = None, reuse: Any = None,
                 layer_norm: bool = False, norm_gain: float = 1.0, norm_shift: float = 0.0,
                 **kwargs):
        super().__init__(reuse=reuse, **kwargs)
        if not state_is_tuple:
            _log.warning("%s: Using a concatenated state is slower and will soon be "
                         "deprecated.  Use state_is_tuple=True.", self)
        self._num_units = check_positive_int("num_units", num_units)
        self._use_peepholes = bool(use_peepholes)
        self._initializer = get_initializer(initializer)
        self._num_proj = check_positive_int("num_proj", num_proj, allow_none=True)
        self._proj_clip = check_number("proj_clip", proj_clip)
        self._num_unit_shards = check_positive_int("num_unit_shards", num_unit_shards)
        self._num_proj_shards = check_positive_int("num_proj_shards", num_proj_shards)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._state_is_tuple = bool(state_is_tuple)
        self._activation_arg = activation
        self._activation = get_activation(activation)
        self._layer_norm = bool(layer_norm)
        self._norm_gain = check_number("norm_gain", norm_gain)
        self._norm_shift = check_number("norm_shift", norm_shift)

    @property
    def _m_dim(self) -> int:
        return self._num_proj or self._num_units

    @property
    def state_size(self):
        if self._state_is_tuple:
            return LSTMStateTuple(self._num_units, self._m_dim)
        return self._num_units + self._m_dim

    @property
    def output_size(self) -> int:
        return self._m_dim

    def _w_specs(self, input_depth: int) -> list:
        return shard_specs("W", (input_depth + self._m_dim, 3 * self._num_units),
                           self._num_unit_shards)

    def _proj_specs(self) -> list:
        if self._num_proj is None:
            return []
        return shard_specs("W_P", (self._num_units, self._num_proj), self._num_proj_shards)

    def weight_specs(self, input_depth):
        n = self._num_units
        norm = (lambda s: norm_specs(s, n, self._norm_gain, self._norm_shift)
                if self._layer_norm else [])
        specs = self._w_specs(input_depth) + [WeightSpec("B", (3 * n,),
                                                         keras.initializers.Zeros())]
        specs += norm("transform") + norm("forget") + norm("output")
        if self._use_peepholes:
            specs += [WeightSpec("W_F_diag", (n,)), WeightSpec("W_O_diag", (n,))]
        return specs + norm("state") + self._proj_specs()

    def step(self, inputs, state, weights):
        n = self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, n])
            m_prev = tf.slice(state, [0, n], [-1, self._m_dim])
        depth = static_axis(inputs, -1)
        z = tf.matmul(tf.concat([inputs, m_prev], 1), concat_shards(weights, self._w_specs(depth)))
        if not self._layer_norm:
            z = tf.nn.bias_add(z, weights["B"])
        j, f, o = tf.split(z, 3, axis=1)
        if self._layer_norm:
            j, f, o = (normalized(v, weights, s)
                       for v, s in zip((j, f, o), ("transform", "forget", "output")))
        f = f + tf.constant(self._forget_bias, f.dtype)
        if self._use_peepholes:
            f = f + weights["W_F_diag"] * c_prev
        f_act = tf.sigmoid(f)
        c = f_act * c_prev + (1 - f_act) * self._activation(j)
        if self._layer_norm:
            c = normalized(c, weights, "state")
        if self._use_peepholes:
            o = o + weights["W_O_diag"] * c
        m = tf.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = tf.matmul(m, concat_shards(weights, self._proj_specs()))
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, (LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "use_peepholes": self._use_peepholes,
                "initializer": serialize_initializer(self._initializer),
                "num_proj": self._num_proj, "proj_clip": self._proj_clip,
                "num_unit_shards": self._num_unit_shards,
                "num_proj_shards": self._num_proj_shards, "forget_bias": self._forget_bias,
                "state_is_tuple": self._state_is_tuple,
                "activation": serialize_activation(self._activation_arg),
                "layer_norm": self._layer_norm, "norm_gain": self._norm_gain,
                "norm_shift": self._norm_shift}
