"""``ConvLSTMCell`` and ``Conv1DLSTMCell``/``Conv2DLSTMCell``/``Conv3DLSTMCell``:
the convolutional LSTM of Shi et al. (2015), TF1's ``tf.contrib.rnn`` cells."""
from __future__ import annotations

from typing import Any, Sequence

import keras
import tensorflow as tf

from tfshare._shapes import static_dim, static_shape
from tfshare.cells._args import check_number, check_positive_int
from tfshare.cells.base import RNNCell, WeightSpec
from tfshare.cells.state import LSTMStateTuple

__all__ = ["ConvLSTMCell", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell"]


@keras.saving.register_keras_serializable(package="tfshare")
class ConvLSTMCell(RNNCell):
    """Convolutional LSTM, TF1's ``tf.contrib.rnn.ConvLSTMCell``.

    Inputs ``[batch, *spatial, channels]`` (``conv_ndims`` spatial axes);
    ``*`` is an N-D convolution (stride 1, ``SAME`` padding) over the
    channel-concatenation ``[x, h]``::

        i, j, f, o = split([x, h] * kernel [+ biases], 4, axis=-1)
        c' = σ(f + forget_bias) ⊙ c + σ(i) ⊙ tanh(j)
        h' = tanh(c') ⊙ σ(o)            (concat([h', x], -1) with skip_connection)
        output = h', state = LSTMStateTuple(c', h')

    State sizes are ``TensorShape(input_shape[:-1] + [output_channels])``.
    TF1 variables (scope ``conv_lstm_cell``, ``conv_1d_lstm_cell``, ...):
    ``kernel`` ``kernel_shape + [channels + output_channels,
    4·output_channels]`` (scope initializer, else glorot-uniform) and, with
    ``use_bias``, ``biases`` ``[4·output_channels]`` (zeros).

    Args:
      conv_ndims: number of spatial axes (1, 2 or 3).
      input_shape: shape of one input without the batch axis; its length must
        be ``conv_ndims + 1`` (``ValueError: Invalid input_shape [5, 3] for
        conv_ndims=2.``).
      output_channels: channels of ``h``.
      kernel_shape: spatial shape of the kernel.
      use_bias: add ``biases``.
      skip_connection: concatenate the input to the output.
      forget_bias: added to the forget gate's pre-activation.
      initializers: unused (as in TF1).
      name: layer and default scope name.
    """

    def __init__(self, conv_ndims: int, input_shape: Sequence[int], output_channels: int,
                 kernel_shape: Sequence[int], use_bias: bool = True, skip_connection: bool = False,
                 forget_bias: float = 1.0, initializers: Any = None,
                 name: str = "conv_lstm_cell", **kwargs):
        super().__init__(name=name, **kwargs)
        input_shape = list(input_shape)
        if conv_ndims != len(input_shape) - 1:
            raise ValueError(f"Invalid input_shape {input_shape} for conv_ndims={conv_ndims}.")
        self._conv_ndims = int(conv_ndims)
        self._input_shape = [int(d) for d in input_shape]
        self._output_channels = check_positive_int("output_channels", output_channels)
        self._kernel_shape = [int(k) for k in kernel_shape]
        self._use_bias = bool(use_bias)
        self._skip_connection = bool(skip_connection)
        self._forget_bias = check_number("forget_bias", forget_bias)
        self._initializers = initializers
        total = self._output_channels + (self._input_shape[-1] if skip_connection else 0)
        state = tf.TensorShape(self._input_shape[:-1] + [self._output_channels])
        self._state_size = LSTMStateTuple(state, state)
        self._output_size = tf.TensorShape(self._input_shape[:-1] + [total])

    @property
    def state_size(self):
        return self._state_size

    @property
    def output_size(self):
        return self._output_size

    def zero_state(self, batch_size, dtype):
        """Zeros ``[batch_size, *spatial, output_channels]`` for ``c`` and ``h``."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            shape = self._state_size.c.as_list()
            batch = batch_size if tf.is_tensor(batch_size) else static_dim(batch_size)
            dims = tf.concat([[batch], shape], 0) if tf.is_tensor(batch) else [batch] + shape
            return LSTMStateTuple(tf.zeros(dims, dtype), tf.zeros(dims, dtype))

    def _depth_from_shape(self, input_shape) -> int:
        shape = tuple(static_shape(tf.TensorShape(input_shape)) or ()) if input_shape is not None else ()
        if len(shape) != self._conv_ndims + 2:
            raise ValueError("Conv Linear expects 3D, 4D or 5D arguments: "
                             f"{[list(shape)]} (inputs of {type(self).__name__} '{self.name}' "
                             f"must have rank {self._conv_ndims + 2})")
        if shape[-1] is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {shape}")
        return int(shape[-1])

    def weight_specs(self, input_depth):
        out = 4 * self._output_channels
        specs = [WeightSpec("kernel", tuple(self._kernel_shape)
                            + (input_depth + self._output_channels, out))]
        if self._use_bias:
            specs.append(WeightSpec("biases", (out,), keras.initializers.Zeros()))
        return specs

    def step(self, inputs, state, weights):
        c, h = state
        z = _convolve(tf.concat([inputs, h], axis=-1), weights["kernel"], self._conv_ndims)
        if self._use_bias:
            z = z + weights["biases"]
        i, j, f, o = tf.split(z, 4, axis=self._conv_ndims + 1)
        new_c = tf.sigmoid(f + tf.constant(self._forget_bias, f.dtype)) * c
        new_c += tf.sigmoid(i) * tf.tanh(j)
        output = tf.tanh(new_c) * tf.sigmoid(o)
        if self._skip_connection:
            output = tf.concat([output, inputs], axis=-1)
        return output, LSTMStateTuple(new_c, output)

    def get_config(self) -> dict:
        return {**super().get_config(), "conv_ndims": self._conv_ndims,
                "input_shape": self._input_shape, "output_channels": self._output_channels,
                "kernel_shape": self._kernel_shape, "use_bias": self._use_bias,
                "skip_connection": self._skip_connection, "forget_bias": self._forget_bias}


def _convolve(x, kernel, ndims: int):
    """Stride-1 ``SAME`` convolution, channels last. (Each rank's op with its
    data format named: ``tf.nn.convolution``'s eager Conv3D has no gradient.)"""
    if ndims == 1:
        return tf.nn.conv1d(x, kernel, 1, "SAME", data_format="NWC")
    if ndims == 2:
        return tf.nn.conv2d(x, kernel, 1, "SAME", data_format="NHWC")
    return tf.nn.conv3d(x, kernel, [1] * 5, "SAME", data_format="NDHWC")


def _fixed_ndims(ndims: int, default_name: str):
    class _ConvNDLSTMCell(ConvLSTMCell):
        def __init__(self, name: str = default_name, **kwargs):
            kwargs.pop("conv_ndims", None)  # from a config
            super().__init__(conv_ndims=ndims, name=name, **kwargs)

    return _ConvNDLSTMCell


@keras.saving.register_keras_serializable(package="tfshare")
class Conv1DLSTMCell(_fixed_ndims(1, "conv_1d_lstm_cell")):
    """``ConvLSTMCell`` with ``conv_ndims=1``, TF1's ``tf.contrib.rnn.Conv1DLSTMCell``
    (default name ``conv_1d_lstm_cell``); arguments as :class:`ConvLSTMCell`."""


@keras.saving.register_keras_serializable(package="tfshare")
class Conv2DLSTMCell(_fixed_ndims(2, "conv_2d_lstm_cell")):
    """``ConvLSTMCell`` with ``conv_ndims=2``, TF1's ``tf.contrib.rnn.Conv2DLSTMCell``
    (default name ``conv_2d_lstm_cell``); arguments as :class:`ConvLSTMCell`."""


@keras.saving.register_keras_serializable(package="tfshare")
class Conv3DLSTMCell(_fixed_ndims(3, "conv_3d_lstm_cell")):
    """``ConvLSTMCell`` with ``conv_ndims=3``, TF1's ``tf.contrib.rnn.Conv3DLSTMCell``
    (default name ``conv_3d_lstm_cell``); arguments as :class:`ConvLSTMCell`."""
