"""TF1 ``tf.layers`` convolutions: ``conv1d/2d/3d``, ``conv2d_transpose``,
``conv3d_transpose``, ``separable_conv1d/2d`` and their classes.

Variables (TF1 names and shapes), ``k`` the kernel size, ``in`` the input
channels:

* ``Conv1D/2D/3D``: ``<scope>/kernel [k..., in, filters]``;
* ``Conv2DTranspose/Conv3DTranspose``: ``<scope>/kernel [k..., filters, in]``;
* ``SeparableConv1D/2D``: ``<scope>/depthwise_kernel [k..., in, depth_multiplier]``
  and ``<scope>/pointwise_kernel [1..., in * depth_multiplier, filters]``;
* with ``use_bias``: ``<scope>/bias [filters]`` (zeros by default; the scope
  initializer does not apply).

Default scopes are the snake-case class names (``conv2d``, ``conv3d_transpose``,
``separable_conv2d``), made unique (``conv2d_1``...). ``channels_first`` inputs
are computed in channels-last order and transposed back, so they also run on
CPUs.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

import tensorflow as tf

from tfshare.compat.v1.layers._base import (
    _KernelLayer,
    bad_argument,
    get_initializer,
    get_regularizer,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    static_dims,
)

_v1 = tf.compat.v1

__all__ = [
    "Conv1D", "conv1d", "Conv2D", "conv2d", "Conv3D", "conv3d",
    "Conv2DTranspose", "conv2d_transpose", "Conv3DTranspose", "conv3d_transpose",
    "SeparableConv1D", "separable_conv1d", "SeparableConv2D", "separable_conv2d",
]


def to_channels_last(x: Any) -> Any:
    rank = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, rank)) + [1])


def to_channels_first(x: Any) -> Any:
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


class _Conv(_KernelLayer):
    """N-D convolution (``rank`` 1, 2 or 3) followed by bias and activation.

    ``outputs = activation(conv(inputs, kernel) + bias)``; ``padding`` is
    ``valid`` or ``same`` (1-D also ``causal``: left-padded by
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
        dims = static_dims(input_shape)
        rank = None if dims is None else len(dims)
        if rank != self._rank + 2:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: expected "
                f"ndim={self._rank + 2}, found ndim={rank}. "
                f"Full shape received: {tf.TensorShape(input_shape)}")
        channels = dims[-1 if self.data_format == "channels_last" else 1]
        if channels is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. Found `None`. "
                f"Received: inputs.shape={tf.TensorShape(input_shape)}")
        return channels

    def build(self, input_shape: tf.TensorShape) -> None:
        channels = self._channels(input_shape)
        if self._transpose:
            shape = list(self.kernel_size) + [self.filters, channels]
        else:
            shape = list(self.kernel_size) + [channels, self.filters]
        self._add_kernel_and_bias(shape, self.filters)
        self.built = True

    def _causal_pad(self, x: Any) -> Any:
        left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
        return tf.pad(x, [[0, 0], [left, 0], [0, 0]])

    def _convolve(self, x: Any) -> Any:
        """``x`` channels-last -> convolved, channels-last."""
        padding = self.padding
        if padding == "causal":
            x, padding = self._causal_pad(x), "valid"
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


class Conv3D(_Conv):
    """3-D convolution; kernel ``[kd, kh, kw, in_channels, filters]``."""

    _rank = 3


def _deconv_length(size: Any, k: int, padding: str, stride: int, dilation: int) -> Any:
    k = k + (k - 1) * (dilation - 1)
    if padding == "valid":
        return size * stride + max(k - stride, 0)
    return size * stride


class _ConvTranspose(_Conv):
    """Transposed convolution; kernel ``[k..., filters, in_channels]``. Output
    size per spatial axis: ``valid``: ``n * s + max(k - s, 0)``; ``same``:
    ``n * s``."""

    _transpose = True

    def _convolve(self, x: Any) -> Any:
        dynamic = tf.shape(x)
        static = static_dims(x)
        sizes = []
        for i in range(1, self._rank + 1):
            n = static[i] if static[i] is not None else dynamic[i]
            sizes.append(_deconv_length(n, self.kernel_size[i - 1], self.padding,
                                        self.strides[i - 1], self.dilation_rate[i - 1]))
        out_shape = tf.stack([dynamic[0], *sizes, self.filters])
        y = tf.nn.conv_transpose(x, self.kernel, out_shape, strides=list(self.strides),
                                 padding=self.padding.upper(),
                                 dilations=list(self.dilation_rate))
        if not tf.executing_eagerly():
            y.set_shape([static[0]] + [s if isinstance(s, int) else None for s in sizes]
                        + [self.filters])
        return y


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution; kernel ``[kh, kw, filters, in_channels]``."""

    _rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution; kernel ``[kd, kh, kw, filters, in_channels]``."""

    _rank = 3


class _SeparableConv(_Conv):
    """Depthwise-separable convolution: a depthwise convolution (one filter of
    each input channel, ``depth_multiplier`` outputs per channel) followed by a
    pointwise (1x1) convolution to ``filters`` channels, then bias and
    activation."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = None, pointwise_initializer: Any = None,
                 bias_initializer: Any = _v1.zeros_initializer(),
                 depthwise_regularizer: Optional[Callable] = None,
                 pointwise_regularizer: Optional[Callable] = None,
                 bias_regularizer: Optional[Callable] = None,
                 activity_regularizer: Optional[Callable] = None,
                 depthwise_constraint: Optional[Callable] = None,
                 pointwise_constraint: Optional[Callable] = None,
                 bias_constraint: Optional[Callable] = None, trainable: bool = True,
                 name: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, trainable=trainable, name=name,
                         **kwargs)
        if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, int) \
                or depth_multiplier <= 0:
            raise ValueError(bad_argument("depth_multiplier", depth_multiplier,
                                          "a positive integer"))
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = get_initializer(depthwise_initializer,
                                                     "depthwise_initializer")
        self.pointwise_initializer = get_initializer(pointwise_initializer,
                                                     "pointwise_initializer")
        self.depthwise_regularizer = get_regularizer(depthwise_regularizer,
                                                     "depthwise_regularizer")
        self.pointwise_regularizer = get_regularizer(pointwise_regularizer,
                                                     "pointwise_regularizer")
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape: tf.TensorShape) -> None:
        channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", list(self.kernel_size) + [channels, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1] * self._rank + [channels * self.depth_multiplier,
                                                    self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _convolve(self, x: Any) -> Any:
        padding = self.padding
        if padding == "causal":
            x, padding = self._causal_pad(x), "valid"
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, dilations = list(self.strides), list(self.dilation_rate)
        if self._rank == 1:  # as a 2-D convolution over a height-1 image
            x = tf.expand_dims(x, 1)
            depthwise, pointwise = tf.expand_dims(depthwise, 0), tf.expand_dims(pointwise, 0)
            strides, dilations = [1] + strides, [1] + dilations
        y = tf.nn.separable_conv2d(x, depthwise, pointwise, strides=[1, *strides, 1],
                                   padding=padding.upper(), dilations=dilations)
        return tf.squeeze(y, [1]) if self._rank == 1 else y


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution; ``depthwise_kernel [k, in, depth_multiplier]``,
    ``pointwise_kernel [1, in * depth_multiplier, filters]``."""

    _rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution; ``depthwise_kernel [kh, kw, in,
    depth_multiplier]``, ``pointwise_kernel [1, 1, in * depth_multiplier, filters]``."""

    _rank = 2


_KERNEL_ARGS = ["activation", "use_bias", "kernel_initializer", "bias_initializer",
                "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"]
_SEPARABLE_ARGS = ["dilation_rate", "depth_multiplier", "activation", "use_bias",
                   "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                   "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                   "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                   "bias_constraint", "trainable", "name", "reuse"]


def _functional(cls: type, fname: str, dilation: bool = True) -> Callable:
    """``tf.layers.<fname>(inputs, filters, kernel_size, ...)``: a ``cls`` with
    ``name`` as its variable scope as is (not uniquified; ``reuse`` as in
    ``dense``). Transposed convolutions take no ``dilation_rate``, as in TF1."""
    def fn(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
           data_format: str = "channels_last", *args: Any, **kwargs: Any) -> Any:
        names = (["dilation_rate"] if dilation else []) + _KERNEL_ARGS
        return _apply(cls, fname, names, inputs, filters, kernel_size, strides, padding,
                      data_format, args, kwargs)

    fn.__name__ = fn.__qualname__ = fname
    fn.__signature__ = _signature((["dilation_rate"] if dilation else []) + _KERNEL_ARGS)
    fn.__doc__ = (f"Functional :class:`{cls.__name__}` (TF1 ``tf.layers.{fname}``); a "
                  "``name`` is the variable scope as is (not uniquified); ``reuse`` as in "
                  "``dense``.")
    return fn


def _signature(names: list) -> inspect.Signature:
    """The TF1 signature of a functional convolution (for ``help()``)."""
    def param(name, default=inspect.Parameter.empty):
        return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)

    defaults = {"dilation_rate": 1, "depth_multiplier": 1, "use_bias": True, "trainable": True,
                "bias_initializer": _v1.zeros_initializer()}
    head = [param("inputs"), param("filters"), param("kernel_size"), param("strides", 1),
            param("padding", "valid"), param("data_format", "channels_last")]
    return inspect.Signature(head + [param(n, defaults.get(n)) for n in names])


def _apply(cls, fname, names, inputs, filters, kernel_size, strides, padding, data_format,
           args, kwargs):
    if len(args) > len(names):
        raise TypeError(f"{fname}() takes at most {6 + len(names)} positional arguments "
                        f"({6 + len(args)} given)")
    for key, value in zip(names, args, strict=False):
        if key in kwargs:
            raise TypeError(f"{fname}() got multiple values for argument '{key}'")
        kwargs[key] = value
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise TypeError(f"{fname}() got an unexpected keyword argument '{unknown[0]}'")
    name, reuse = kwargs.pop("name", None), kwargs.pop("reuse", None)
    layer = cls(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                name=name, _scope=name, _reuse=reuse, **kwargs)
    return layer(inputs)


def _separable_functional(cls: type, fname: str) -> Callable:
    def fn(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
           data_format: str = "channels_last", *args: Any, **kwargs: Any) -> Any:
        return _apply(cls, fname, _SEPARABLE_ARGS, inputs, filters, kernel_size, strides,
                      padding, data_format, args, kwargs)

    fn.__name__ = fn.__qualname__ = fname
    fn.__signature__ = _signature(_SEPARABLE_ARGS)
    fn.__doc__ = f"Functional :class:`{cls.__name__}` (TF1 ``tf.layers.{fname}``)."
    return fn


conv1d = _functional(Conv1D, "conv1d")
conv2d = _functional(Conv2D, "conv2d")
conv3d = _functional(Conv3D, "conv3d")
conv2d_transpose = _functional(Conv2DTranspose, "conv2d_transpose", dilation=False)
conv3d_transpose = _functional(Conv3DTranspose, "conv3d_transpose", dilation=False)
separable_conv1d = _separable_functional(SeparableConv1D, "separable_conv1d")
separable_conv2d = _separable_functional(SeparableConv2D, "separable_conv2d")
