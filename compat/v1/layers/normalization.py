"""TF1 ``tf.layers.batch_normalization`` / ``BatchNormalization``.

Variables, in order: ``gamma`` (if ``scale``), ``beta`` (if ``center``) —
trainable — then ``moving_mean`` and ``moving_variance`` (non-trainable, GLOBAL
only). Training (``training=True`` or a bool tensor)::

    y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta
    moving_mean     -= (moving_mean - mean_B) * (1 - momentum)
    moving_variance -= (moving_variance - var_B') * (1 - momentum)

where ``mean_B``/``var_B`` are the batch moments over all axes but ``axis``
and ``var_B'`` is ``var_B`` with Bessel's correction ``n / (n - 1)`` for
4-D inputs (TF1's fused kernel) and ``var_B`` otherwise. Inference uses the
moving statistics. In graph mode the two update ops
(``.../AssignMovingAvg``, ``.../AssignMovingAvg_1``) go to ``UPDATE_OPS``;
run them with ``tf.control_dependencies``. In eager mode ``training=True``
updates the moving statistics at once.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import tensorflow as tf

from tfshare.compat.v1.layers._base import (
    Layer,
    bad_argument,
    get_initializer,
    get_regularizer,
    static_dims,
    v1_graph_mode,
)
from tfshare.compat.v1.layers.core import _is_tensor_flag

_v1 = tf.compat.v1

__all__ = ["BatchNormalization", "batch_normalization"]


class BatchNormalization(Layer):
    """Batch normalization layer (TF1 ``tf.layers.BatchNormalization``)."""

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True,
                 beta_initializer: Any = _v1.zeros_initializer(),
                 gamma_initializer: Any = _v1.ones_initializer(),
                 moving_mean_initializer: Any = _v1.zeros_initializer(),
                 moving_variance_initializer: Any = _v1.ones_initializer(),
                 beta_regularizer: Optional[Callable] = None,
                 gamma_regularizer: Optional[Callable] = None,
                 beta_constraint: Optional[Callable] = None,
                 gamma_constraint: Optional[Callable] = None, renorm: bool = False,
                 renorm_clipping: Any = None, renorm_momentum: float = 0.99, fused: Any = None,
                 trainable: bool = True, virtual_batch_size: Any = None, adjustment: Any = None,
                 name: Any = None, **kwargs: Any):
        super().__init__(trainable=trainable, name=name, **kwargs)
        for arg, value, default in (("renorm", renorm, False),
                                    ("virtual_batch_size", virtual_batch_size, None),
                                    ("adjustment", adjustment, None),
                                    ("renorm_clipping", renorm_clipping, None)):
            if value not in (default,) and value is not default:
                raise ValueError(bad_argument(arg, value, f"{default} (tfshare does not "
                                              "implement batch renormalization or virtual "
                                              "batches)"))
        if isinstance(axis, (list, tuple)):
            self.axis: List[int] = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = [axis]
        else:
            raise TypeError(bad_argument("axis", axis, "an int or a list of ints"))
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = get_initializer(beta_initializer, "beta_initializer")
        self.gamma_initializer = get_initializer(gamma_initializer, "gamma_initializer")
        self.moving_mean_initializer = get_initializer(moving_mean_initializer,
                                                       "moving_mean_initializer")
        self.moving_variance_initializer = get_initializer(moving_variance_initializer,
                                                           "moving_variance_initializer")
        self.beta_regularizer = get_regularizer(beta_regularizer, "beta_regularizer")
        self.gamma_regularizer = get_regularizer(gamma_regularizer, "gamma_regularizer")
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.fused = fused
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape: tf.TensorShape) -> None:
        dims = static_dims(input_shape)
        if dims is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}")
        rank = len(dims)
        axes = []
        for a in self.axis:
            if not -rank <= a < rank:
                raise ValueError(bad_argument("axis", self.axis, f"in [-{rank}, {rank})"))
            axes.append(a % rank)
        if len(set(axes)) != len(axes):
            raise ValueError(bad_argument("axis", self.axis, "without duplicates"))
        for a in axes:
            if dims[a] is None:
                raise ValueError(f"Axis {a} of input tensor should have a defined dimension but "
                                 f"the layer received an input with shape "
                                 f"{tf.TensorShape(input_shape)}.")
        self._axes = sorted(axes)
        self._rank = rank
        if self.fused and not (rank == 4 and self._axes in ([3], [1])):
            raise ValueError("Batch normalization layers with `fused=True` only support 4D "
                             "input tensors with axis 1 or 3. Received: "
                             f"input_shape={input_shape}, axis={self.axis}")
        self._use_fused = self.fused is not False and rank == 4 and self._axes in ([3], [1])
        # TF1: one axis gives parameters [size]; several give the input's rank,
        # with 1 on every axis not normalized over (axis=[1, 2], input [N, 4, 3]:
        # [1, 4, 3])
        if len(self._axes) == 1:
            param_shape = [dims[self._axes[0]]]
        else:
            param_shape = [dims[a] if a in self._axes else 1 for a in range(rank)]
        if self.scale:
            self.gamma = self.add_weight("gamma", param_shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", param_shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", param_shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", param_shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    # -- maths -----------------------------------------------------------------
    def _broadcast(self, t: Any) -> Any:
        """A parameter or statistic in a shape that broadcasts against the input."""
        if t is None or len(self._axes) > 1 or self._axes == [self._rank - 1]:
            return t
        shape = [1] * self._rank
        shape[self._axes[0]] = -1
        return tf.reshape(t, shape)

    def _params(self, dtype: Any):
        gamma = self.gamma if self.scale else None
        beta = self.beta if self.center else None
        return gamma, beta

    def _batch_moments(self, x: Any):
        """Batch mean/variance (biased) and the variance used for the moving update."""
        reduce_axes = [i for i in range(self._rank) if i not in self._axes]
        mean, var = tf.nn.moments(x, reduce_axes, keepdims=len(self._axes) > 1)
        if self._use_fused:
            n = tf.cast(tf.size(x) // tf.size(mean), var.dtype)
            update_var = var * n / tf.maximum(n - 1.0, 1.0)
        else:
            update_var = var
        return mean, var, update_var

    def _normalize(self, x: Any, mean: Any, var: Any) -> Any:
        gamma, beta = self._params(x.dtype)
        return tf.nn.batch_normalization(x, self._broadcast(mean), self._broadcast(var),
                                         self._broadcast(beta), self._broadcast(gamma),
                                         self.epsilon)

    def _assign_moving(self, variable: Any, value: Any, decay: Any, name: str) -> Any:
        """``variable -= (variable - value) * decay``; graph mode: the update op,
        named ``<scope>/AssignMovingAvg`` (``_1`` for the second) as in TF1."""
        with _v1.name_scope(name) as scope:
            delta = (tf.convert_to_tensor(variable) - value) * decay
            if not v1_graph_mode() or not isinstance(variable, tf.Variable):
                return variable.assign_sub(delta)
            if variable.dtype != variable.dtype.base_dtype:  # a ref variable
                return _v1.assign_sub(variable, delta, name=scope)
            return variable.assign_sub(delta, name=scope, read_value=False)

    def call(self, inputs: Any, training: Any = False) -> Any:
        x = tf.convert_to_tensor(inputs)
        if x.dtype != self.dtype:
            x = tf.cast(x, self.dtype)
        is_tensor = _is_tensor_flag(training)
        if not is_tensor and not training:
            return self._normalize(x, self.moving_mean, self.moving_variance)
        mean, var, update_var = self._batch_moments(x)
        if is_tensor:
            flag = tf.cast(training, tf.bool)
            outputs = tf.cond(flag, lambda: self._normalize(x, mean, var),
                              lambda: self._normalize(x, self.moving_mean, self.moving_variance))
            decay = tf.cond(flag, lambda: tf.constant(1.0 - self.momentum, x.dtype),
                            lambda: tf.constant(0.0, x.dtype))
        else:
            outputs = self._normalize(x, mean, var)
            decay = tf.constant(1.0 - self.momentum, x.dtype, name="decay")
        up_mean = self._assign_moving(self.moving_mean, mean, decay, "AssignMovingAvg")
        up_var = self._assign_moving(self.moving_variance, update_var, decay, "AssignMovingAvg")
        self.add_update(up_mean)
        self.add_update(up_var)
        return outputs


def batch_normalization(inputs: Any, axis: Any = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = _v1.zeros_initializer(),
                        gamma_initializer: Any = _v1.ones_initializer(),
                        moving_mean_initializer: Any = _v1.zeros_initializer(),
                        moving_variance_initializer: Any = _v1.ones_initializer(),
                        beta_regularizer: Optional[Callable] = None,
                        gamma_regularizer: Optional[Callable] = None,
                        beta_constraint: Optional[Callable] = None,
                        gamma_constraint: Optional[Callable] = None, training: Any = False,
                        trainable: bool = True, name: Any = None, reuse: Any = None,
                        renorm: bool = False, renorm_clipping: Any = None,
                        renorm_momentum: float = 0.99, fused: Any = None,
                        virtual_batch_size: Any = None, adjustment: Any = None) -> Any:
    """Functional :class:`BatchNormalization` (TF1 ``tf.layers.batch_normalization``).
    ``training`` defaults to False (use the moving statistics)."""
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
        beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, renorm=renorm,
        renorm_clipping=renorm_clipping, renorm_momentum=renorm_momentum, fused=fused,
        trainable=trainable, virtual_batch_size=virtual_batch_size, adjustment=adjustment,
        name=name, _scope=name, _reuse=reuse)
    return layer(inputs, training=training)
