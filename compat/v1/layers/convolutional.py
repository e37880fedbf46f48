"""TF1 ``tf.layers.conv1d``/``Conv1D``, ``conv2d``/``Conv2D``,
``conv2d_transpose``/``Conv2DTranspose``.

Variables: ``<scope>/kernel`` of shape ``kernel_size + (in_channels, filters)``
(transpose: ``kernel_size + (filters, in_channels)``) and ``<scope>/bias
[filters]`` (zeros by default). Default scopes: ``conv1d``, ``conv2d``,
``conv2d_transpose`` (uniquified: ``conv2d_1``, ...).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import tensorflow as tf

from tfshare.compat.v1.layers._base import (
    _KernelLayer,
    bad_argument,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)

_v1 = tf.compat.v1

__all__ = ["Conv1D", "conv1d", "Conv2D", "conv2d", "Conv2DTranspose", "conv2d_transpose"]


def to_channels_last(x: Any) -> Any:
    rank = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, rank)) + [1])


def to_channels_first(x: Any) -> Any:
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


class _Conv(_KernelLayer):
    """N-D convolution (``rank`` 1 or 2) followed by bias and activation.

    ``outputs = activation(conv(inputs, kernel) + bias)``; ``padding`` is
    ``valid`` or ``same`` (conv1d also ``causal``: left-padded by
    ``(k - 1) * dilation``).
    """

    _rank = 2
    _transpose = False

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = _v1.zeros_initializer(),
                 kernel_regularizer: Optional[Callable] = None,
                 bias_regularizer: Optional[Callable] = None,
                 activity_regularizer: Optional[Callable] = None,
                 kernel_constraint: Optional[Callable] = None,
                 bias_constraint: Optional[Callable] = None, trainable: bool = True,
                 name: Any = None, **kwargs: Any):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(bad_argument("filters", filters, "a positive integer"))
        n = self._rank
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size")
        self.strides = normalize_tuple(strides, n, "strides")
        allowed = ("valid", "same", "causal") if n == 1 and not self._transpose else ("valid", "same")
        self.padding = normalize_padding(padding, allowed)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate")
        self._set_kernel_options(
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)

    def _channels(self, input_shape: tf.TensorShape) -> int:
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank != self._rank + 2:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: expected "
                f"ndim={self._rank + 2}, found ndim={input_shape.rank}. "
                f"Full shape received: {input_shape}")
        axis = -1 if self.data_format == "channels_last" else 1
        if input_shape[axis] is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. Found `None`. "
                f"Received: inputs.shape={input_shape}")
        return int(input_shape[axis])

    def build(self, input_shape: tf.TensorShape) -> None:
        channels = self._channels(input_shape)
        if self._transpose:
            shape = list(self.kernel_size) + [self.filters, channels]
        else:
            shape = list(self.kernel_size) + [channels, self.filters]
        self._add_kernel_and_bias(shape, self.filters)

    def _convolve(self, x: Any) -> Any:
        """``x`` channels-last -> convolved, channels-last."""
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            x = tf.pad(x, [[0, 0], [left, 0], [0, 0]])
            padding = "valid"
        return tf.nn.convolution(x, self.kernel, strides=list(self.strides),
                                 padding=padding.upper(), dilations=list(self.dilation_rate))

    def call(self, inputs: Any) -> Any:
        inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != self.dtype:
            inputs = tf.cast(inputs, self.dtype)
        channels_first = self.data_format == "channels_first"
        x = to_channels_last(inputs) if channels_first else inputs
        outputs = self._convolve(x)
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        if channels_first:
            outputs = to_channels_first(outputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


class Conv1D(_Conv):
    """1-D convolution; kernel ``[k, in_channels, filters]``."""

    _rank = 1


class Conv2D(_Conv):
    """2-D convolution; kernel ``[kh, kw, in_channels, filters]``."""

    _rank = 2


def _deconv_length(size: Any, k: int, padding: str, stride: int, dilation: int) -> Any:
    k = k + (k - 1) * (dilation - 1)
    if padding == "valid":
        return size * stride + max(k - stride, 0)
    return size * stride


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution; kernel ``[kh, kw, filters, in_channels]``.
    Output size per spatial axis: ``valid``: ``n * s + max(k - s, 0)``;
    ``same``: ``n * s``."""

    _rank = 2
    _transpose = True

    def _convolve(self, x: Any) -> Any:
        shape = tf.shape(x)
        static = x.shape
        sizes = []
        for i in (1, 2):
            n = static[i] if static[i] is not None else shape[i]
            sizes.append(_deconv_length(n, self.kernel_size[i - 1], self.padding,
                                        self.strides[i - 1], self.dilation_rate[i - 1]))
        out_shape = tf.stack([shape[0], sizes[0], sizes[1], self.filters])
        y = tf.nn.conv2d_transpose(x, self.kernel, out_shape, strides=[1, *self.strides, 1],
                                   padding=self.padding.upper(),
                                   dilations=[1, *self.dilation_rate, 1])
        if not tf.executing_eagerly():
            y.set_shape([static[0]] + [s if isinstance(s, int) else None for s in sizes]
                        + [self.filters])
        return y


def _functional(cls: type) -> Callable:
    def fn(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
           data_format: str = "channels_last", dilation_rate: Any = 1, activation: Any = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = _v1.zeros_initializer(),
           kernel_regularizer: Optional[Callable] = None,
           bias_regularizer: Optional[Callable] = None,
           activity_regularizer: Optional[Callable] = None,
           kernel_constraint: Optional[Callable] = None,
           bias_constraint: Optional[Callable] = None, trainable: bool = True, name: Any = None,
           reuse: Any = None) -> Any:
        layer = cls(filters, kernel_size, strides=strides, padding=padding,
                    data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                    use_bias=use_bias, kernel_initializer=kernel_initializer,
                    bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                    bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                    kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                    trainable=trainable, name=name, _scope=name, _reuse=reuse)
        return layer(inputs)

    return fn


conv1d = _functional(Conv1D)
conv1d.__name__ = conv1d.__qualname__ = "conv1d"
conv1d.__doc__ = ("Functional :class:`Conv1D` (TF1 ``tf.layers.conv1d``); a ``name`` is the "
                  "variable scope as is (not uniquified); ``reuse`` as in ``dense``.")
conv2d = _functional(Conv2D)
conv2d.__name__ = conv2d.__qualname__ = "conv2d"
conv2d.__doc__ = ("Functional :class:`Conv2D` (TF1 ``tf.layers.conv2d``); a ``name`` is the "
                  "variable scope as is (not uniquified); ``reuse`` as in ``dense``.")
conv2d_transpose = _functional(Conv2DTranspose)
conv2d_transpose.__name__ = conv2d_transpose.__qualname__ = "conv2d_transpose"
conv2d_transpose.__doc__ = "Functional :class:`Conv2DTranspose` (TF1 ``tf.layers.conv2d_transpose``)."
