"""TF1's ``linear`` helper (``rnn_cell_impl._linear``), docs/tf1-behaviour.md §3."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import tensorflow as tf

from tfshare import variables as _vs
from tfshare._shapes import static_dim

__all__ = ["linear"]


def linear(args: Union[tf.Tensor, Sequence[tf.Tensor]], output_size: int, bias: bool,
           bias_initializer: Any = None, kernel_initializer: Any = None, *,
           bias_start: Optional[float] = None, scope: Any = None,
           legacy_names: bool = False) -> tf.Tensor:
    """``concat(args, 1) · W (+ b)``, with TF1's variables.

    ``y = [a_1, ..., a_n] · kernel + bias`` where ``kernel`` has shape
    ``[Σ depth(a_i), output_size]`` and ``bias`` shape ``[output_size]``.

    Variables (TF >= 1.2, the default): ``kernel`` and ``bias`` directly in the
    current variable scope (or in ``scope`` when given), e.g.
    ``rnn/my_cell/kernel``. With ``legacy_names=True`` (TF 0.7–0.12
    ``tf.nn.rnn_cell.linear``): ``<scope or "Linear">/Matrix`` and
    ``<scope or "Linear">/Bias``.

    Args:
      args: a 2-D tensor ``[batch, depth]`` or a list of them (depths must be
        static).
      output_size: number of output columns.
      bias: whether to add a bias.
      bias_initializer: the bias initializer; default ``constant(bias_start or
        0.0)`` (the bias never takes the scope's initializer, as in TF1).
      kernel_initializer: the kernel initializer; ``None`` means the scope's,
        else glorot uniform.
      bias_start: TF 0.x spelling of a constant bias initializer.
      scope: optional variable scope (string or ``VariableScope``) to open first.
      legacy_names: use the TF 0.x names ``Linear/Matrix`` and ``Linear/Bias``.

    Returns:
      A ``[batch, output_size]`` tensor of the first argument's dtype.

    Raises:
      ValueError: ``args`` empty, not 2-D, or with an unknown depth (TF1 texts).
    """
    if args is None or (tf.nest.is_nested(args) and not args):
        raise ValueError("`args` must be specified")
    if not tf.nest.is_nested(args):
        args = [args]
    args = [tf.convert_to_tensor(a) for a in args]
    shapes = [a.shape for a in args]
    total = 0
    for shape in shapes:
        if shape.rank != 2:
            raise ValueError(f"linear is expecting 2D arguments: {shapes}")
        depth = static_dim(shape[1])
        if depth is None:
            raise ValueError(
                f"linear expects shape[1] to be provided for shape {shape}, but saw {depth}")
        total += depth
    if not isinstance(output_size, int) or isinstance(output_size, bool) or output_size <= 0:
        raise ValueError(
            "Argument `output_size` must be a positive integer. "
            f"Received: output_size={output_size!r}")
    dtype = args[0].dtype
    kernel_name, bias_name = ("Matrix", "Bias") if legacy_names else ("kernel", "bias")
    if legacy_names and scope is None:
        scope = "Linear"
    if bias_initializer is None:
        bias_initializer = tf.constant_initializer(0.0 if bias_start is None else float(bias_start))

    with _vs.variable_scope(scope if scope is not None else _vs.get_variable_scope()):
        kernel = _vs.get_variable(kernel_name, [total, output_size], dtype=dtype,
                                  initializer=kernel_initializer)
        x = args[0] if len(args) == 1 else tf.concat(args, 1)
        res = tf.matmul(x, kernel)
        if not bias:
            return res
        b = _vs.get_variable(bias_name, [output_size], dtype=dtype, initializer=bias_initializer)
    return tf.nn.bias_add(res, b)
