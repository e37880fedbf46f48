"""Helpers shared by the fused RNN kernels (``_fused_lstm``, ``_fused_gru``).

All tensors are time-major: ``[T, B, ...]``. A *step mask* is a ``[T, B, 1]``
boolean tensor: where it is False the step is skipped (the state is carried
over unchanged). The *output rule* says what a skipped step outputs: zeros
(TF1's ``sequence_length``) or the last output of an earlier step, zeros
before the first (Keras' masks).
"""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

__all__: list = []


def tensor_array(dtype, size) -> tf.TensorArray:
    return tf.TensorArray(dtype, size=size, infer_shape=True)


def flat_matmul(x3, w):
    """``[T, B, I]·[I, N]`` -> ``[T, B, N]`` as one 2-D matmul."""
    shape = tf.shape(x3)
    out = tf.matmul(tf.reshape(x3, [-1, shape[2]]), w)
    return tf.reshape(out, tf.concat([shape[:2], tf.shape(w)[1:]], 0))


def flat_tmatmul(a3, b3):
    """``Σ_t a[t]ᵀ·b[t]`` for ``[T, B, P]``, ``[T, B, N]`` -> ``[P, N]`` as one matmul."""
    a2 = tf.reshape(a3, [-1, tf.shape(a3)[2]])
    b2 = tf.reshape(b3, [-1, tf.shape(b3)[2]])
    return tf.matmul(a2, b2, transpose_a=True)


def shift_in(first, rest):
    """``[first, rest[0], ..., rest[T-2]]``: the state before each step."""
    return tf.concat([first[None], rest[:-1]], 0)


def length_mask(sequence_length, steps):
    """``[T, B, 1]`` bool: ``t < sequence_length[b]``."""
    t = tf.range(steps, dtype=tf.int32)
    return (t[:, None] < tf.cast(sequence_length, tf.int32)[None, :])[:, :, None]


def output_mask(mask: Optional[tf.Tensor], carry_output: bool) -> Optional[tf.Tensor]:
    """Where a step's output is the (carried) state ``h``: the step mask (zeros
    elsewhere), or with ``carry_output`` every step from the first unmasked one
    on (the carried state then repeats the last output)."""
    if mask is None or not carry_output:
        return mask
    return tf.cumsum(tf.cast(mask, tf.int32), axis=0) > 0


def sig_grad(s):
    """σ' in terms of σ."""
    return s * (1 - s)


def tanh_grad(t):
    """tanh' in terms of tanh."""
    return 1 - t * t


def split_grad(d_total, mk, zero):
    """A state gradient split at a masked step: ``(d_new, d_pass)`` -- to the
    step's new value where it ran, past it to the previous state where it did not."""
    if mk is None:
        return d_total, None
    return tf.where(mk, d_total, zero), tf.where(mk, zero, d_total)
