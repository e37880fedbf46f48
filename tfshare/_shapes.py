"""Static shapes read the same way under every TensorShape behaviour.

``tf.disable_v2_behavior()`` (or ``disable_v2_tensorshape()``) makes
``x.shape[i]`` a ``Dimension`` object: ``Dimension(None)`` is truthy and
``is not None``, and ``int(Dimension(None))`` fails. Every module reads static
dimensions through these helpers, which return plain ``int | None`` under both
behaviours.
"""
from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf

__all__: list = []


def static_dim(dim: Any) -> Optional[int]:
    """``int`` or ``None`` for a dimension (``int``, ``None`` or ``Dimension``)."""
    value = tf.compat.dimension_value(dim)
    return None if value is None else int(value)


def static_shape(x: Any) -> Optional[list]:
    """The static shape of ``x`` (a tensor, shape, or anything with ``.shape``)
    as a list of ``int | None``; ``None`` when the rank is unknown."""
    shape = x if isinstance(x, tf.TensorShape) else tf.TensorShape(getattr(x, "shape", x))
    if shape.rank is None:
        return None
    return [static_dim(d) for d in shape]


def static_axis(x: Any, axis: int) -> Optional[int]:
    """Dimension ``axis`` of ``x``'s static shape, ``None`` when unknown (also
    when the rank is unknown or too small)."""
    shape = static_shape(x)
    if shape is None or not -len(shape) <= axis < len(shape):
        return None
    return shape[axis]
