"""TF1's ``tf.contrib.rnn`` block cells: ``LSTMBlockCell``, ``GRUBlockCell``,
``GRUBlockCellV2``.

In TF1 each step was one fused op (``LSTMBlockCell``, ``GRUBlockCell``) with a
hand-written gradient; here a step is the same math in TF ops, and the whole
sequence runs in tfshare's fused kernels (``dynamic_rnn``, ``tfshare.RNN``).
Their variables are those of the core cells (``LSTMBlockCell`` reads
``LSTMCell`` checkpoints, ``GRUBlockCellV2`` reads ``GRUCell`` ones).
"""
from __future__ import annotations

from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import check_number, check_positive_int
from tfshare.cells._contrib_ops import block_clip
from tfshare.cells.base import LSTMUnitsCell, UnitsCell, WeightSpec
from tfshare.cells.fused import FusedGRU, FusedLSTM
from tfshare.cells.state import LSTMStateTuple

__all__ = ["LSTMBlockCell", "GRUBlockCell", "GRUBlockCellV2"]


class BlockLSTM(LSTMUnitsCell):
    """The description shared by ``LSTMBlockCell`` and ``LSTMBlockFusedCell``:
    TF1's ``LSTMBlockCell``/``BlockLSTM`` op math and variables.

    Equations (kernel columns ``i, j, f, o``; peepholes only with
    ``use_peephole``; the clip only when ``cell_clip > 0``)::

        i, j, f, o = split([x, h] · kernel + bias, 4, axis=1)
        i  = σ(i + w_i_diag ⊙ c)
        f  = σ(f + forget_bias + w_f_diag ⊙ c)
        c' = clip(f ⊙ c + i ⊙ tanh(j), ±cell_clip)
        h' = σ(o + w_o_diag ⊙ c') ⊙ tanh(c')

    The gradient passes through the clip unchanged, as TF1's block kernels'
    gradient did. Variables: ``kernel`` ``[depth + units, 4·units]`` (scope
    initializer, else glorot-uniform), ``bias`` ``[4·units]`` (zeros), then
    with peepholes ``w_i_diag``, ``w_f_diag``, ``w_o_diag`` ``[units]``.
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0,
                 cell_clip: Optional[float] = None, use_peephole: bool = False, **kwargs):
        super().__init__(**kwargs)
        self._num_units = check_positive_int("num_units", num_units)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._cell_clip = check_number("cell_clip", cell_clip)
        self._use_peephole = bool(use_peephole)

    @property
    def _clips(self) -> bool:
        return self._cell_clip is not None and self._cell_clip > 0

    def weight_specs(self, input_depth):
        n = self._num_units
        specs = [WeightSpec("kernel", (input_depth + n, 4 * n)),
                 WeightSpec("bias", (4 * n,), keras.initializers.Zeros())]
        if self._use_peephole:
            specs += [WeightSpec(p, (n,)) for p in ("w_i_diag", "w_f_diag", "w_o_diag")]
        return specs

    def step(self, inputs, state, weights):
        if len(state) != 2:
            raise ValueError("Expecting state to be a tuple with length 2.")
        c, h = state
        z = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), weights["kernel"]),
                           weights["bias"])
        i, j, f, o = tf.split(z, 4, axis=1)
        f = f + tf.constant(self._forget_bias, dtype=f.dtype)
        if self._use_peephole:
            i = i + weights["w_i_diag"] * c
            f = f + weights["w_f_diag"] * c
        new_c = block_clip(tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(j), self._cell_clip)
        if self._use_peephole:
            o = o + weights["w_o_diag"] * new_c
        new_h = tf.tanh(new_c) * tf.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)

    def fused_spec(self) -> Optional[FusedLSTM]:
        """The fused LSTM kernel, except with an active ``cell_clip`` (its
        gradient through the clip is not the block kernels')."""
        if self._clips:
            return None
        return FusedLSTM(self._num_units, forget_bias=self._forget_bias,
                         use_peepholes=self._use_peephole)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units,
                "forget_bias": self._forget_bias, "cell_clip": self._cell_clip,
                "use_peephole": self._use_peephole}


@keras.saving.register_keras_serializable(package="tfshare")
class LSTMBlockCell(BlockLSTM):
    """TF1's ``tf.contrib.rnn.LSTMBlockCell``: the LSTM of ``BlockLSTM``'s
    equations (above), one step per call; state ``LSTMStateTuple(c, h)``.

    TF1 variables (scope ``lstm_cell`` by default, the names of ``LSTMCell``):
    ``kernel``, ``bias``, then with ``use_peephole`` ``w_i_diag``,
    ``w_f_diag``, ``w_o_diag`` (TF1 creates them in this order).

    Args:
      num_units: number of units (positive int).
      forget_bias: added to the forget gate's pre-activation.
      cell_clip: clip value of the cell state; ``None`` or ``<= 0``: no clip.
      use_peephole: the diagonal peephole connections.
      dtype, reuse: see :class:`RNNCell`.
      name: layer and default scope name (``"lstm_cell"``).

    ``dynamic_rnn`` and ``tfshare.RNN`` run it in the fused LSTM kernel
    (unless the clip is active).
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0,
                 cell_clip: Optional[float] = None, use_peephole: bool = False,
                 dtype: Any = None, reuse: Any = None, name: str = "lstm_cell", **kwargs):
        super().__init__(num_units, forget_bias=forget_bias, cell_clip=cell_clip,
                         use_peephole=use_peephole, dtype=dtype, reuse=reuse, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="tfshare")
class GRUBlockCell(UnitsCell):
    """TF1's ``tf.contrib.rnn.GRUBlockCell`` (deprecated in TF1 for
    ``GRUBlockCellV2``, which differs only in its variable names)::

        r, u = split(σ([x, h] · w_ru + b_ru), 2, axis=1)
        c    = tanh([x, r ⊙ h] · w_c + b_c)
        h'   = (1 − u) ⊙ c + u ⊙ h            output = new state = h'

    TF1 variables (scope ``gru_cell`` by default): ``w_ru``
    ``[depth + units, 2·units]``, ``b_ru`` ``[2·units]`` (1.0), ``w_c``
    ``[depth + units, units]``, ``b_c`` ``[units]`` (0.0); the kernels take the
    scope's initializer, else glorot-uniform.

    Args:
      num_units: number of units; or ``cell_size`` (its deprecated name):
        exactly one of them (``ValueError: Exactly one of num_units or
        cell_size must be provided.``).
      reuse: see :class:`RNNCell`.
      name: layer and default scope name (``"gru_cell"``).

    ``dynamic_rnn`` and ``tfshare.RNN`` run it in the fused GRU kernel.
    """

    _names = {"gate_kernel": "w_ru", "gate_bias": "b_ru",
              "candidate_kernel": "w_c", "candidate_bias": "b_c"}

    def __init__(self, num_units: Optional[int] = None, cell_size: Optional[int] = None,
                 reuse: Any = None, name: str = "gru_cell", **kwargs):
        if (cell_size is None) == (num_units is None):
            raise ValueError("Exactly one of num_units or cell_size must be provided.")
        super().__init__(reuse=reuse, name=name, **kwargs)
        arg = "num_units" if num_units is not None else "cell_size"
        self._num_units = check_positive_int(arg, num_units if num_units is not None else cell_size)

    def weight_specs(self, input_depth):
        n, names = self._num_units, self._names
        return [WeightSpec(names["gate_kernel"], (input_depth + n, 2 * n)),
                WeightSpec(names["gate_bias"], (2 * n,), keras.initializers.Constant(1.0)),
                WeightSpec(names["candidate_kernel"], (input_depth + n, n)),
                WeightSpec(names["candidate_bias"], (n,), keras.initializers.Zeros())]

    def step(self, inputs, state, weights):
        names = self._names
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1),
                                         weights[names["gate_kernel"]]),
                               weights[names["gate_bias"]])
        r, u = tf.split(tf.sigmoid(gates), 2, axis=1)
        c = tf.tanh(tf.nn.bias_add(tf.matmul(tf.concat([inputs, r * state], 1),
                                             weights[names["candidate_kernel"]]),
                                   weights[names["candidate_bias"]]))
        h = (1 - u) * c + u * state
        return h, h

    def fused_spec(self) -> FusedGRU:
        return FusedGRU(self._num_units, **self._names)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_units": self._num_units}


@keras.saving.register_keras_serializable(package="tfshare")
class GRUBlockCellV2(GRUBlockCell):
    """``GRUBlockCell`` with ``GRUCell``'s variable names, TF1's
    ``tf.contrib.rnn.GRUBlockCellV2``: ``gates/kernel``, ``gates/bias``,
    ``candidate/kernel``, ``candidate/bias`` (same shapes, initializers and
    equations as :class:`GRUBlockCell`)."""

    _names = {"gate_kernel": "gates/kernel", "gate_bias": "gates/bias",
              "candidate_kernel": "candidate/kernel", "candidate_bias": "candidate/bias"}
