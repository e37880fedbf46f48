"""``tfshare.compat.v1.contrib.layers``: the most used TF1 ``tf.contrib.layers`` helpers.

``flatten(inputs, outputs_collections=None, scope=None)``,
``xavier_initializer(uniform=True, seed=None, dtype=float32)``,
``l1_regularizer(scale, scope=None)`` and ``l2_regularizer(scale, scope=None)``.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Optional

import tensorflow as _tf

from tfshare.compat.v1.layers._base import bad_argument
from tfshare.compat.v1.layers.core import Flatten

_v1 = _tf.compat.v1

__all__ = ["flatten", "xavier_initializer", "xavier_initializer_conv2d", "l1_regularizer",
           "l2_regularizer"]


def flatten(inputs: Any, outputs_collections: Any = None, scope: Optional[str] = None) -> Any:
    """``[batch, d1, ..., dn] -> [batch, d1*...*dn]`` (ops under ``scope`` or ``Flatten``)."""
    inputs = _tf.convert_to_tensor(inputs)
    if inputs.shape.rank is not None and inputs.shape.rank < 2:
        raise ValueError(f"Inputs must have a least 2 dimensions. Received: inputs.shape={inputs.shape}")
    with _v1.name_scope(scope, "Flatten", [inputs]) as sc:
        outputs = Flatten()(inputs)
        if outputs_collections:
            for c in ([outputs_collections] if isinstance(outputs_collections, str)
                      else outputs_collections):
                _v1.add_to_collection(c, outputs)
        del sc
    return outputs


def xavier_initializer(uniform: bool = True, seed: Optional[int] = None,
                       dtype: Any = _tf.float32) -> Any:
    """Glorot/Xavier initializer: uniform in ``±sqrt(6 / (fan_in + fan_out))``, or
    a truncated normal with stddev ``sqrt(1.3 * 2 / (fan_in + fan_out))``."""
    if uniform:
        return _v1.glorot_uniform_initializer(seed=seed, dtype=dtype)
    # v1 variance_scaling divides the truncated-normal stddev by 0.8796...; undo it.
    return _v1.variance_scaling_initializer(scale=1.3 * 0.87962566103423978 ** 2, mode="fan_avg",
                                            distribution="truncated_normal", seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def _regularizer(kind: str, scale: Any, scope: Optional[str]) -> Callable:
    if isinstance(scale, numbers.Integral) or not isinstance(scale, numbers.Real):
        raise ValueError(bad_argument("scale", scale, "a float"))
    if scale < 0.0:
        raise ValueError(bad_argument("scale", scale, ">= 0.0"))
    if scale == 0.0:
        return lambda _: None

    def regularizer(weights: Any) -> Any:
        with _v1.name_scope(scope, f"{kind}_regularizer", [weights]) as name:
            s = _tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            if kind == "l1":
                return _tf.multiply(s, _tf.reduce_sum(_tf.abs(weights)), name=name)
            return _tf.multiply(s, _tf.nn.l2_loss(weights), name=name)

    return regularizer


def l1_regularizer(scale: float, scope: Optional[str] = None) -> Callable:
    """``weights -> scale * sum(|weights|)``."""
    return _regularizer("l1", scale, scope)


def l2_regularizer(scale: float, scope: Optional[str] = None) -> Callable:
    """``weights -> scale * sum(weights ** 2) / 2``."""
    return _regularizer("l2", scale, scope)
