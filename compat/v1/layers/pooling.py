"""TF1 ``tf.layers`` pooling: ``max_pooling1d/2d/3d``, ``average_pooling1d/2d/3d``
and their classes. No variables; default names ``max_pooling2d``... (uniquified)."""
from __future__ import annotations

from typing import Any, Callable

import tensorflow as tf

from tfshare.compat.v1.layers._base import (
    Layer,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from tfshare.compat.v1.layers.convolutional import to_channels_first, to_channels_last

__all__ = ["MaxPooling1D", "max_pooling1d", "MaxPooling2D", "max_pooling2d",
           "MaxPooling3D", "max_pooling3d", "AveragePooling1D", "average_pooling1d",
           "AveragePooling2D", "average_pooling2d", "AveragePooling3D", "average_pooling3d"]


class _Pooling(Layer):
    _rank = 2
    _op: str = "max"

    def __init__(self, pool_size: Any, strides: Any, padding: str = "valid",
                 data_format: str = "channels_last", name: Any = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.pool_size = normalize_tuple(pool_size, self._rank, "pool_size")
        self.strides = normalize_tuple(strides, self._rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs: Any) -> Any:
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != self._rank + 2:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: expected "
                f"ndim={self._rank + 2}, found ndim={inputs.shape.rank}. "
                f"Full shape received: {inputs.shape}")
        channels_first = self.data_format == "channels_first"
        x = to_channels_last(inputs) if channels_first else inputs
        pool = tf.nn.max_pool if self._op == "max" else tf.nn.avg_pool
        y = pool(x, ksize=list(self.pool_size), strides=list(self.strides),
                 padding=self.padding.upper())
        return to_channels_first(y) if channels_first else y


class MaxPooling1D(_Pooling):
    """Max pooling over windows of ``pool_size`` along the time axis."""
    _rank, _op = 1, "max"


class MaxPooling2D(_Pooling):
    """Max pooling over ``pool_size`` windows of the two spatial axes."""
    _rank, _op = 2, "max"


class MaxPooling3D(_Pooling):
    """Max pooling over ``pool_size`` windows of the three spatial axes."""
    _rank, _op = 3, "max"


class AveragePooling1D(_Pooling):
    """Average pooling along the time axis (``same`` padding averages valid cells only)."""
    _rank, _op = 1, "avg"


class AveragePooling2D(_Pooling):
    """Average pooling over the two spatial axes."""
    _rank, _op = 2, "avg"


class AveragePooling3D(_Pooling):
    """Average pooling over the three spatial axes."""
    _rank, _op = 3, "avg"


def _functional(cls: type, fname: str) -> Callable:
    def fn(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
           data_format: str = "channels_last", name: Any = None) -> Any:
        return cls(pool_size, strides, padding=padding, data_format=data_format, name=name)(inputs)

    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"Functional :class:`{cls.__name__}` (TF1 ``tf.layers.{fname}``)."
    return fn


max_pooling1d = _functional(MaxPooling1D, "max_pooling1d")
max_pooling2d = _functional(MaxPooling2D, "max_pooling2d")
average_pooling1d = _functional(AveragePooling1D, "average_pooling1d")
average_pooling2d = _functional(AveragePooling2D, "average_pooling2d")
max_pooling3d = _functional(MaxPooling3D, "max_pooling3d")
average_pooling3d = _functional(AveragePooling3D, "average_pooling3d")
