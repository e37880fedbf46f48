"""``LayerNormBasicLSTMCell``: TF1's ``tf.contrib.rnn`` LSTM with layer
normalization and recurrent dropout."""
from __future__ import annotations

import logging
from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare.cells._args import (check_number, check_positive_int, get_activation,
                                 serialize_activation)
from tfshare.cells._contrib_ops import normalized, norm_specs
from tfshare._shapes import static_axis
from tfshare.cells.base import LSTMUnitsCell, match_structure, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["LayerNormBasicLSTMCell"]

_log = logging.getLogger("tfshare")

_GATES = ("input", "transform", "forget", "output")


@keras.saving.register_keras_serializable(package="tfshare")
class LayerNormBasicLSTMCell(LSTMUnitsCell):
    """LSTM with layer normalization and recurrent dropout, TF1's
    ``tf.contrib.rnn.LayerNormBasicLSTMCell``.

    Equations (``LN_s`` is layer normalization with the ``s/gamma``,
    ``s/beta`` variables; without ``layer_norm`` it is the identity and the
    matmul gets a ``bias``)::

        i, j, f, o = split([x, h] · kernel [+ bias], 4, axis=1)
        i, j, f, o = LN_input(i), LN_transform(j), LN_forget(f), LN_output(o)
        g  = dropout(act(j), dropout_keep_prob)
        c' = LN_state(c ⊙ σ(f + forget_bias) + σ(i) ⊙ g)
        h' = act(c') ⊙ σ(o)                    output = h', state = (c', h')

    ``LN(v) = (v − mean(v)) / sqrt(var(v) + 1e-12) ⊙ gamma + beta`` over the
    units (``tf.contrib.layers.layer_norm``).

    TF1 variables (scope ``layer_norm_basic_lstm_cell``), in creation order:
    ``kernel`` ``[depth + units, 4·units]`` (scope initializer, else
    glorot-uniform); without ``layer_norm`` ``bias`` ``[4·units]`` (also the
    scope initializer, else glorot-uniform, as in TF1); with it
    ``input/gamma``, ``input/beta``, ``transform/...``, ``forget/...``,
    ``output/...``, ``state/...`` ``[units]`` (``norm_gain``, ``norm_shift``).

    Dropout (on the candidate, a new mask every step, ``tf.nn.dropout`` with
    ``dropout_prob_seed``) applies when ``dropout_keep_prob`` is a tensor or a
    float below 1; always in TF1 mode, and in Keras mode unless the call gets
    ``training=False``.

    Args:
      num_units: number of units (positive int).
      forget_bias: added to the forget gate's pre-activation.
      input_size: deprecated and unused (a warning is logged).
      activation: nonlinearity of the candidate and output (default tanh).
      layer_norm: apply the layer normalizations.
      norm_gain, norm_shift: initial gamma and beta.
      dropout_keep_prob: keep probability of the recurrent dropout (float or
        scalar tensor).
      dropout_prob_seed: its op seed.
      reuse, **kwargs: see :class:`RNNCell`.
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0, input_size: Any = None,
                 activation: Any = None, layer_norm: bool = True, norm_gain: float = 1.0,
                 norm_shift: float = 0.0, dropout_keep_prob: Any = 1.0,
                 dropout_prob_seed: Optional[int] = None, reuse: Any = None, **kwargs):
        super().__init__(reuse=reuse, **kwargs)
        if input_size is not None:
            _log.warning("%s: The input_size parameter is deprecated.", self)
        self._num_units = check_positive_int("num_units", num_units)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._activation_arg = activation
        self._activation = get_activation(activation)
        self._layer_norm = bool(layer_norm)
        self._norm_gain = check_number("norm_gain", norm_gain)
        self._norm_shift = check_number("norm_shift", norm_shift)
        self._keep_prob = dropout_keep_prob
        self._seed = dropout_prob_seed

    def weight_specs(self, input_depth):
        n = self._num_units
        specs = [WeightSpec("kernel", (input_depth + n, 4 * n))]
        if not self._layer_norm:
            return specs + [WeightSpec("bias", (4 * n,))]
        for scope in _GATES + ("state",):
            specs += norm_specs(scope, n, self._norm_gain, self._norm_shift)
        return specs

    def call(self, inputs, states, training=None):
        specs = self.weight_specs(static_axis(inputs, -1))
        weights = self._weight_source.get(specs, inputs.dtype)
        output, new_state = self._step(inputs, self._canonical_state(states), weights,
                                       dropout=training is not False)
        return output, match_structure(states, new_state)

    def step(self, inputs, state, weights):
        return self._step(inputs, state, weights, dropout=True)

    def _step(self, inputs, state, weights, dropout: bool):
        c, h = state
        z = tf.matmul(tf.concat([inputs, h], 1), weights["kernel"])
        if not self._layer_norm:
            z = tf.nn.bias_add(z, weights["bias"])
        gates = tf.split(z, 4, axis=1)
        if self._layer_norm:
            gates = [normalized(v, weights, s) for v, s in zip(gates, _GATES)]
        i, j, f, o = gates
        g = self._activation(j)
        keep = self._keep_prob
        if dropout and (not isinstance(keep, float) or keep < 1):
            g = tf.nn.dropout(g, rate=1 - keep, seed=self._seed)
        new_c = c * tf.sigmoid(f + tf.constant(self._forget_bias, f.dtype)) + tf.sigmoid(i) * g
        if self._layer_norm:
            new_c = normalized(new_c, weights, "state")
        new_h = self._activation(new_c) * tf.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)

    def get_config(self) -> dict:
        keep = self._keep_prob
        if not isinstance(keep, (int, float)):
            raise ValueError("LayerNormBasicLSTMCell.get_config needs a Python float "
                             f"dropout_keep_prob. Received: {keep!r}")
        return {**super().get_config(), "num_units": self._num_units,
                "forget_bias": self._forget_bias,
                "activation": serialize_activation(self._activation_arg),
                "layer_norm": self._layer_norm, "norm_gain": self._norm_gain,
                "norm_shift": self._norm_shift, "dropout_keep_prob": keep,
                "dropout_prob_seed": self._seed}
