"""Constructor arguments of the cells: validation, normalization, serialization.

TF1's rules kept here: a cell's default variable-scope name is the snake_case of
its class name (``BasicLSTMCell`` -> ``basic_lstm_cell``, a private class
``_Foo`` -> ``private_foo``); ``activation=None`` means tanh; only floating
dtypes are accepted (``RNN cell only supports floating point inputs, but
received dtype: ...``).
"""
from __future__ import annotations

import numbers
import re
from typing import Any, Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from tfshare import errors

__all__: list = []


def snake_case(name: str) -> str:
    """``BasicLSTMCell`` -> ``basic_lstm_cell``, ``Conv2DLSTMCell`` ->
    ``conv2dlstm_cell``: TF1's (and tf.keras 1.x's) rule for default scope and
    layer names; a leading ``_`` becomes ``private_``."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return "private" + s if s.startswith("_") else s


def check_positive_int(arg: str, value: Any, allow_none: bool = False) -> Optional[int]:
    """Validate a size argument; return it as ``int`` (or ``None``)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(errors.bad_argument(arg, value, "a positive integer"))
    return int(value)


def check_number(arg: str, value: Any) -> Optional[float]:
    """Validate an optional real number (``forget_bias``, clip values)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(errors.bad_argument(arg, value, "a number or None"))
    return float(value)


# --------------------------------------------------------------------------- dtypes
def float_error(dtype: Any) -> ValueError:
    """TF1's error for a non-floating cell input or ``dtype=``."""
    return ValueError(f"RNN cell only supports floating point inputs, but received dtype: {dtype}")


def is_floating(dtype: Any) -> bool:
    try:
        return tf.as_dtype(dtype).is_floating
    except TypeError:
        return "float" in str(dtype)


def dtype_repr(dtype: Any) -> Any:
    """``tf.as_dtype(dtype)`` where possible (so errors print ``<dtype: 'int32'>``)."""
    try:
        return tf.as_dtype(dtype)
    except TypeError:
        return dtype


def check_float_dtype(dtype: Any) -> None:
    """TF1's floating-point check for a ``dtype=`` argument (Keras dtype-policy
    objects and dicts pass through)."""
    if dtype is None or not isinstance(dtype, (str, tf.DType, np.dtype, type)):
        return
    try:
        if isinstance(dtype, str):
            name = keras.dtype_policies.get(dtype).compute_dtype
        else:
            name = keras.backend.standardize_dtype(dtype)
    except (ValueError, TypeError):
        raise float_error(dtype) from None
    if not is_floating(name):
        raise float_error(dtype_repr(name))


def dtype_name(dtype: Any) -> Optional[str]:
    """``'float32'`` for ``tf.float32``, ``'float32'``, ``np.float32`` ...;
    ``None`` for ``None`` and for Keras dtype policies."""
    if dtype is None or isinstance(dtype, (dict, keras.DTypePolicy)):
        return None
    try:
        return tf.as_dtype(dtype).name
    except TypeError:
        return None


# --------------------------------------------------------------------------- activations
_TANH = (tf.math.tanh, tf.tanh, tf.nn.tanh, keras.activations.tanh)


def get_activation(activation: Any) -> Callable:
    """``None`` -> tanh; strings and serialized forms via Keras."""
    if activation is None:
        return tf.math.tanh
    return keras.activations.get(activation)


def activation_name(activation: Callable) -> Optional[str]:
    """``"tanh"`` for every tanh function, Keras' name for Keras' activations,
    ``None`` for any other callable (a fused kernel cannot know its derivative)."""
    if any(activation is fn for fn in _TANH):
        return "tanh"
    try:
        name = keras.activations.serialize(activation)
    except Exception:  # not a Keras activation
        return None
    return name if isinstance(name, str) and keras.activations.get(name) is activation else None


def serialize_activation(activation: Any) -> Any:
    if activation is None or isinstance(activation, str):
        return activation
    try:
        return keras.activations.serialize(activation)
    except Exception:  # a user function Keras does not know
        return keras.saving.serialize_keras_object(activation)


def deserialize_activation(activation: Any, custom_objects=None) -> Any:
    """The inverse of :func:`serialize_activation` for ``from_config``."""
    if isinstance(activation, dict):
        try:
            return keras.activations.deserialize(activation, custom_objects=custom_objects)
        except Exception:  # a serialized user function
            return keras.saving.deserialize_keras_object(activation,
                                                         custom_objects=custom_objects)
    return activation


# --------------------------------------------------------------------------- initializers
def get_initializer(initializer: Any) -> Any:
    """Normalize a user initializer: strings/dicts become Keras initializers;
    other callables (e.g. ``tf.compat.v1`` initializers) are kept as given."""
    if initializer is None:
        return None
    return keras.initializers.get(initializer)


def serialize_initializer(initializer: Any) -> Any:
    if initializer is None:
        return None
    if isinstance(initializer, keras.initializers.Initializer):
        return keras.initializers.serialize(initializer)
    return keras.saving.serialize_keras_object(initializer)


def tf1_initializer(initializer: Any) -> Any:
    """Adapt a Keras initializer to TF1's ``init(shape, dtype, partition_info)``."""
    if isinstance(initializer, keras.initializers.Initializer):
        keras_init = initializer

        def init(shape, dtype=None, partition_info=None, **_):
            return keras_init(shape, dtype=dtype)

        return init
    return initializer
