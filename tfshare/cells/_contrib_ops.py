"""Small pieces shared by the ``tf.contrib.rnn`` cells: layer normalization,
the block kernels' cell clip, linear maps over ``[args]``, and the weight
specs of TF1's ``_Linear`` and ``_norm`` helpers."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells.weights import WeightSpec

__all__: list = []

#: ``tf.contrib.layers.layer_norm``'s variance epsilon (float32/float64).
LAYER_NORM_EPSILON = 1e-12


def layer_norm(x, gamma, beta):
    """``tf.contrib.layers.layer_norm(x)`` with the given ``gamma``/``beta``::

        mean, var = moments(x, axes=1..rank-1)
        y = (x - mean) / sqrt(var + 1e-12) · gamma + beta
    """
    axes = list(range(1, x.shape.rank))
    mean, variance = tf.nn.moments(x, axes, keepdims=True)
    eps = 1e-3 if x.dtype == tf.float16 else LAYER_NORM_EPSILON
    return tf.nn.batch_normalization(x, mean, variance, offset=beta, scale=gamma,
                                     variance_epsilon=eps)


def norm_specs(scope: str, width: int, gain: float, shift: float) -> list:
    """The ``gamma`` then ``beta`` variables TF1's cells create for one layer
    norm, in sub-scope ``scope``, initialized to ``gain`` and ``shift``."""
    return [WeightSpec(f"{scope}/gamma", (width,), keras.initializers.Constant(gain)),
            WeightSpec(f"{scope}/beta", (width,), keras.initializers.Constant(shift))]


def normalized(x, weights: dict, scope: str):
    """``layer_norm`` with the ``<scope>/gamma`` and ``<scope>/beta`` weights."""
    return layer_norm(x, weights[f"{scope}/gamma"], weights[f"{scope}/beta"])


def block_clip(c, cell_clip: Optional[float]):
    """The cell clip of TF1's LSTM block kernels: ``clip(c, ±cell_clip)`` when
    ``cell_clip > 0`` (0, negative or None: no clip), with the kernels' gradient,
    which passes through the clip unchanged."""
    if cell_clip is None or cell_clip <= 0:
        return c
    return c + tf.stop_gradient(tf.clip_by_value(c, -cell_clip, cell_clip) - c)


def linear_specs(prefix: str, in_width: int, out_width: int, bias: bool = True,
                 initializer: Any = None) -> list:
    """TF1's ``_Linear`` variables: ``<prefix>kernel`` ``[in_width, out_width]``
    (``initializer``, else the scope's, else glorot-uniform) and, with ``bias``,
    ``<prefix>bias`` ``[out_width]`` (zeros)."""
    specs = [WeightSpec(prefix + "kernel", (in_width, out_width), initializer)]
    if bias:
        specs.append(WeightSpec(prefix + "bias", (out_width,), keras.initializers.Zeros()))
    return specs


def linear(args: Sequence[Any], weights: dict, prefix: str = ""):
    """``concat(args, 1) · <prefix>kernel [+ <prefix>bias]`` (TF1's ``_Linear``)."""
    x = args[0] if len(args) == 1 else tf.concat(list(args), 1)
    y = tf.matmul(x, weights[prefix + "kernel"])
    bias = weights.get(prefix + "bias")
    return y if bias is None else tf.nn.bias_add(y, bias)


def width(x) -> int:
    """The static last dimension of a ``[batch, width]`` tensor (TF1's ``_Linear`` error)."""
    w = static_axis(x, -1) if x.shape.rank == 2 else None
    if w is None:
        raise ValueError("linear expects shape[1] to be provided for shape "
                         f"{x.shape}, but saw {w}")
    return int(w)
