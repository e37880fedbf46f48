"""Small pieces shared by the seq2seq modules (package-internal).

* :func:`zero_state_tensors`: TF1's ``_zero_state_tensors`` (zeros
  ``[batch, *size]`` for every leaf of a size structure);
* :func:`where_rows`: TF1's ``array_ops.where`` with a vector condition
  (selects whole rows; TF2's ``tf.where`` would broadcast on the last axis);
* :func:`static_or_dynamic`: a dimension as ``int`` when static, else a tensor;
* :func:`layer_output_depth`: the output depth of an ``output_layer`` /
  ``attention_layer`` for an input depth;
* :class:`Dense`: the TF1 ``tf.layers.Dense`` scope rule on ``get_variable``
  (scope captured at the first call as ``<default name>``, ``<name>_1``, ...,
  re-entered with ``reuse=True`` later), used for the attention layers whose
  TF1 variables are ``memory_layer/kernel``, ``query_layer/kernel`` and
  ``attention_layer/kernel``.
"""
from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf

from tfshare import variables as _vs
from tfshare._shapes import static_axis, static_dim, static_shape

__all__: list = []

nest = tf.nest


def static_or_dynamic(x: tf.Tensor, axis: int) -> Any:
    """``x.shape[axis]`` as an int when static, else ``tf.shape(x)[axis]``."""
    value = static_axis(x, axis)
    return value if value is not None else tf.shape(x)[axis]


def constant_value(x: Any) -> Optional[int]:
    """A Python int for an int or a constant scalar tensor, else ``None``."""
    if x is None or isinstance(x, int):
        return x
    value = tf.get_static_value(x)
    return None if value is None else int(value)


def _concat_size(batch_size: Any, size: Any) -> Any:
    """``[batch_size] + size`` as a list (static) or a 1-D int32 tensor."""
    if tf.is_tensor(size):
        inner = tf.reshape(tf.cast(size, tf.int32), [-1])
    elif isinstance(size, int):
        inner = [size]
    else:
        inner = static_shape(tf.TensorShape(size))
    if not tf.is_tensor(batch_size) and not tf.is_tensor(inner):
        return [batch_size] + list(inner)
    return tf.concat([tf.reshape(tf.cast(batch_size, tf.int32), [1]),
                      tf.convert_to_tensor(inner, tf.int32)], 0)


def zero_state_tensors(size: Any, batch_size: Any, dtype: Any) -> Any:
    """Zeros ``[batch_size, *s]`` of ``dtype`` for every leaf ``s`` of ``size``
    (ints, ``TensorShape`` s or scalar tensors; static dimensions are kept)."""
    static_batch = constant_value(batch_size)

    def zeros(s):
        out = tf.zeros(_concat_size(batch_size, s), dtype=dtype)
        if not tf.executing_eagerly():
            if tf.is_tensor(s):
                inner = [constant_value(s)]
            elif isinstance(s, int):
                inner = [s]
            else:
                inner = static_shape(tf.TensorShape(s))
            out.set_shape([static_batch] + list(inner))
        return out

    return nest.map_structure(zeros, size)


def where_rows(cond: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Row ``b`` of ``x`` where ``cond[b]``, else row ``b`` of ``y`` (TF1's
    ``where`` with a vector condition; equal shapes use plain ``tf.where``)."""
    x = tf.convert_to_tensor(x)
    y = tf.convert_to_tensor(y, dtype=x.dtype)
    rank = x.shape.rank
    if cond.shape.rank is not None and rank is not None and cond.shape.rank < rank:
        cond = tf.reshape(cond, tf.concat([tf.shape(cond), tf.ones([rank - cond.shape.rank],
                                                                   tf.int32)], 0))
    out = tf.where(cond, x, y)
    if rank is not None:
        out.set_shape(x.shape.merge_with(y.shape) if x.shape.is_compatible_with(y.shape)
                      else x.shape)
    return out


def transpose_batch_time(x: Any) -> Any:
    """Swap axes 0 and 1 of a rank >= 2 tensor; other tensors pass through."""
    if not tf.is_tensor(x):
        x = tf.convert_to_tensor(x)
    rank = x.shape.rank
    if rank is not None and rank < 2:
        return x
    if rank is None:
        perm = tf.concat([[1, 0], tf.range(2, tf.rank(x))], 0)
        return tf.transpose(x, perm)
    out = tf.transpose(x, [1, 0] + list(range(2, rank)))
    shape = static_shape(x)
    out.set_shape([shape[1], shape[0]] + shape[2:])
    return out


def layer_output_depth(layer: Any, depth: Any) -> Any:
    """Output depth of ``layer`` applied to ``[batch, depth]`` inputs:
    ``compute_output_shape`` when the layer has it, else its ``units``."""
    fn = getattr(layer, "compute_output_shape", None)
    if callable(fn):
        try:
            shape = fn(tf.TensorShape([None, depth]))
            return static_dim(tf.TensorShape(shape)[-1])
        except (NotImplementedError, TypeError, ValueError, AttributeError):
            pass
    units = getattr(layer, "units", None)
    if units is None:
        raise TypeError(
            f"Cannot tell the output depth of {layer!r}: it has neither "
            "`compute_output_shape` nor `units`.")
    return int(units)


def output_size_of(layer: Any, size: Any) -> Any:
    """``size`` (a cell's ``output_size`` structure) after ``layer``, or ``size``
    itself when there is no layer (``BasicDecoder``/``BeamSearchDecoder``)."""
    if layer is None:
        return size
    return nest.map_structure(lambda s: tf.TensorShape([layer_output_depth(layer, s)]), size)


def check_layer(arg: str, layer: Any) -> None:
    """TF1's ``<arg> must be a Layer, received: <type>`` for non-callables."""
    if layer is not None and not callable(layer):
        raise TypeError(f"{arg} must be a Layer, received: {type(layer)}")


def keep_dtype(x: Any, dtype: Any) -> Any:
    return x if x.dtype == dtype else tf.cast(x, dtype)


class Dense:
    """TF1 ``tf.layers.Dense(units, use_bias=..., name=name)`` on tfshare's store.

    ``y = x · kernel (+ bias)``, contracting the last axis of ``x`` (rank > 2:
    ``tensordot``). The first call captures ``variable_scope(None,
    default_name=name)`` (so ``memory_layer``, ``memory_layer_1``, ... within
    one parent scope) and gets ``kernel`` ``[depth, units]`` (and ``bias``,
    zeros) there; later calls re-enter that scope with ``reuse=True``.
    """

    def __init__(self, units: int, name: str, use_bias: bool = False, dtype: Any = None):
        self.units = int(units)
        self.name = name
        self.use_bias = use_bias
        self.dtype = tf.as_dtype(dtype) if dtype is not None else None
        self._scope = None
        self.variables: list = []

    def compute_output_shape(self, input_shape: Any) -> tf.TensorShape:
        return tf.TensorShape(input_shape)[:-1].concatenate([self.units])

    def __call__(self, inputs: Any) -> tf.Tensor:
        inputs = tf.convert_to_tensor(inputs)
        if self._scope is None:
            with _vs.variable_scope(None, default_name=self.name) as scope:
                self._scope = scope
                return self._apply(inputs)
        with _vs.variable_scope(self._scope, reuse=True):
            return self._apply(inputs)

    def _apply(self, inputs: tf.Tensor) -> tf.Tensor:
        dtype = self.dtype or (inputs.dtype if inputs.dtype.is_floating else tf.float32)
        depth = static_axis(inputs, -1)
        if depth is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        kernel = _vs.get_variable("kernel", [depth, self.units], dtype=dtype)
        bias = None
        if self.use_bias:
            bias = _vs.get_variable("bias", [self.units], dtype=dtype,
                                    initializer=tf.compat.v1.zeros_initializer())
        for v in (kernel, bias):
            if v is not None and not any(v is w for w in self.variables):
                self.variables.append(v)
        return apply_kernel(inputs, kernel, bias)


def apply_kernel(inputs: tf.Tensor, kernel: Any, bias: Any = None) -> tf.Tensor:
    """``inputs · kernel (+ bias)`` over the last axis, as TF1's ``Dense.call``."""
    rank = inputs.shape.rank
    if rank is not None and rank > 2:
        out = tf.tensordot(inputs, kernel, [[rank - 1], [0]])
        if not tf.executing_eagerly():
            units = static_axis(kernel, -1)
            out.set_shape(static_shape(inputs)[:-1] + [units])
    else:
        out = tf.matmul(keep_dtype(inputs, kernel.dtype), kernel)
    if bias is not None:
        out = tf.nn.bias_add(out, bias)
    return out
