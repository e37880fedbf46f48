"""TF1 ``tf.layers.dense``/``Dense``, ``dropout``/``Dropout``, ``flatten``/``Flatten``."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from tfshare.compat.v1.layers._base import (
    Layer,
    _KernelLayer,
    bad_argument,
    normalize_data_format,
    static_dims,
    tf1_shape_str,
)

_v1 = tf.compat.v1

__all__ = ["Dense", "dense", "Dropout", "dropout", "Flatten", "flatten"]


class Dense(_KernelLayer):
    """Densely connected layer: ``outputs = activation(inputs @ kernel + bias)``.

    Variables (TF1 names): ``<scope>/kernel [in, units]`` (initializer: the
    argument, else the scope's, else glorot_uniform) and ``<scope>/bias [units]``
    (zeros by default; the scope initializer does not apply). Inputs of rank > 2
    are contracted on their last axis.
    """

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = _v1.zeros_initializer(),
        kernel_regularizer: Optional[Callable] = None,
        bias_regularizer: Optional[Callable] = None,
        activity_regularizer: Optional[Callable] = None,
        kernel_constraint: Optional[Callable] = None,
        bias_constraint: Optional[Callable] = None,
        trainable: bool = True,
        name: Any = None,
        **kwargs: Any,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        try:
            units_int = int(units)
        except (TypeError, ValueError):
            units_int = 0
        if isinstance(units, bool) or units_int <= 0 or units_int != units:
            raise ValueError(bad_argument("units", units, "a positive integer"))
        self.units = units_int
        self._set_kernel_options(
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)

    def build(self, input_shape: tf.TensorShape) -> None:
        dims = static_dims(input_shape)
        if not dims or dims[-1] is None:
            raise ValueError(
                "The last dimension of the inputs to `Dense` should be defined. "
                f"Found `None`. Received: inputs.shape={tf.TensorShape(input_shape)}")
        self._add_kernel_and_bias([dims[-1], self.units], self.units)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tf.TensorShape:
        """``input_shape[:-1] + [units]``; the input needs rank >= 2 and a defined
        last dimension (TF1's errors otherwise)."""
        shape = tf.TensorShape(input_shape)
        if shape.rank is not None and shape.rank < 2:
            raise ValueError(f"Shape {tf1_shape_str(shape)} must have rank at least 2")
        if shape.rank is None or tf.compat.dimension_value(shape[-1]) is None:
            raise ValueError("The innermost dimension of input_shape must be defined, but saw: "
                             f"{tf1_shape_str(shape)}")
        return shape[:-1].concatenate([self.units])

    def call(self, inputs: Any) -> Any:
        inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != self.dtype:
            inputs = tf.cast(inputs, self.dtype)
        rank = inputs.shape.rank
        if rank == 2:
            outputs = tf.matmul(inputs, self.kernel)
        else:
            outputs = tf.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            if not tf.executing_eagerly():
                outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


def dense(
    inputs: Any,
    units: int,
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = _v1.zeros_initializer(),
    kernel_regularizer: Optional[Callable] = None,
    bias_regularizer: Optional[Callable] = None,
    activity_regularizer: Optional[Callable] = None,
    kernel_constraint: Optional[Callable] = None,
    bias_constraint: Optional[Callable] = None,
    trainable: bool = True,
    name: Any = None,
    reuse: Any = None,
) -> Any:
    """Functional :class:`Dense`. A ``name`` is used as the variable scope as is
    (not uniquified): calling twice with one name needs ``reuse=True`` or
    ``AUTO_REUSE``, else ``Variable <name>/kernel already exists``."""
    layer = Dense(units, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable, name=name,
                  _scope=name, _reuse=reuse)
    return layer(inputs)


def _is_tensor_flag(value: Any) -> bool:
    return tf.is_tensor(value) and not isinstance(value, (bool, int))


class Dropout(Layer):
    """Dropout: with ``training`` true, keeps each unit with probability
    ``1 - rate`` and scales kept values by ``1 / (1 - rate)``; otherwise the
    identity. ``training`` defaults to False (TF1) and may be a bool tensor."""

    def __init__(self, rate: Any = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
                 name: Any = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if not tf.is_tensor(rate) and not (isinstance(rate, (int, float)) and 0 <= rate < 1):
            raise ValueError(bad_argument("rate", rate, "a float in [0, 1)"))
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def _noise_shape(self, inputs: Any) -> Any:
        if self.noise_shape is None:
            return None
        dyn = tf.shape(inputs)
        return [dyn[i] if d is None else d for i, d in enumerate(self.noise_shape)]

    def call(self, inputs: Any, training: Any = False) -> Any:
        def dropped() -> Any:
            return tf.nn.dropout(inputs, rate=self.rate, noise_shape=self._noise_shape(inputs),
                                 seed=self.seed)

        if _is_tensor_flag(training):
            return tf.cond(tf.cast(training, tf.bool), dropped, lambda: tf.identity(inputs))
        if training:
            return dropped()
        return tf.identity(inputs)


def dropout(inputs: Any, rate: Any = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
            training: Any = False, name: Any = None) -> Any:
    """Functional :class:`Dropout`; ``training=False`` (the default) is the identity."""
    return Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)(inputs, training=training)


class Flatten(Layer):
    """Flattens all but the batch axis: ``[batch, d1, d2, ...] -> [batch, d1*d2*...]``
    (``channels_first`` inputs are first moved to channels-last order, as TF1)."""

    def __init__(self, data_format: str = "channels_last", name: Any = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs: Any) -> Any:
        inputs = tf.convert_to_tensor(inputs)
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank is not None and rank > 1:
            inputs = tf.transpose(inputs, [0] + list(range(2, rank)) + [1])
        if rank == 1:
            return tf.expand_dims(inputs, 1)
        rest = inputs.shape[1:]
        if rank is not None and rest.is_fully_defined():
            return tf.reshape(inputs, [-1, int(np.prod(static_dims(rest)))])
        batch = static_dims(inputs)[0] if rank is not None else None
        if batch is not None:
            return tf.reshape(inputs, [batch, -1])
        return tf.reshape(inputs, tf.concat([tf.shape(inputs)[:1], [-1]], 0))

    def compute_output_shape(self, input_shape: Any) -> tf.TensorShape:
        """``[batch, prod(other dims)]`` (``None`` when one is unknown); a rank-1
        input ``[n]`` gives ``[n, 1]``."""
        dims = static_dims(input_shape) or []
        if not dims:
            return tf.TensorShape([1, 1])
        rest = dims[1:]
        size = int(np.prod(rest)) if all(d is not None for d in rest) else None
        return tf.TensorShape([dims[0], size])


def flatten(inputs: Any, name: Any = None, data_format: str = "channels_last") -> Any:
    """Functional :class:`Flatten`: ``[batch, ...] -> [batch, prod(...)]``."""
    return Flatten(data_format=data_format, name=name)(inputs)
