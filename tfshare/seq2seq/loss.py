"""``sequence_loss``: weighted cross-entropy over a batch of sequences
(TF1 ``tf.contrib.seq2seq.sequence_loss``)."""
from __future__ import annotations

from typing import Any, Callable, Optional

import tensorflow as tf

__all__ = ["sequence_loss"]


def _rank(x: Any) -> Optional[int]:
    return tf.convert_to_tensor(x).shape.rank


def sequence_loss(logits: Any, targets: Any, weights: Any, average_across_timesteps: bool = True,
                  average_across_batch: bool = True, sum_over_timesteps: bool = False,
                  sum_over_batch: bool = False,
                  softmax_loss_function: Optional[Callable] = None,
                  name: Optional[str] = None) -> tf.Tensor:
    """Weighted cross-entropy of ``logits`` ``[batch, time, classes]`` against
    ``targets`` ``[batch, time]`` with ``weights`` ``[batch, time]``.

    With ``c[b, t] = weights[b, t] * xent(logits[b, t], targets[b, t])``:

    * both ``average_across_*`` (default): ``Σ c / Σ weights`` (a scalar);
    * both ``sum_over_*``: ``Σ c / count_nonzero(weights)``;
    * only ``average_across_timesteps``: ``Σ_t c / Σ_t weights`` per example
      ``[batch]``; only ``average_across_batch``: ``Σ_b c / Σ_b weights``
      per step ``[time]``; ``sum_over_*`` alone divide by the non-zero
      weight counts instead; none: ``c`` itself ``[batch, time]``.

    Divisions are ``div_no_nan`` (0 where the denominator is 0).
    ``softmax_loss_function(labels=..., logits=...)`` replaces the sparse softmax
    cross-entropy. Ops under ``name`` (default ``sequence_loss``).

    Raises:
      ValueError: wrong ranks, or ``average_across_X`` and ``sum_over_X``
        both set (TF1's texts).
    """
    if _rank(logits) != 3:
        raise ValueError("Logits must be a [batch_size x sequence_length x logits] tensor")
    if _rank(targets) != 2:
        raise ValueError("Targets must be a [batch_size x sequence_length] tensor")
    if _rank(weights) != 2:
        raise ValueError("Weights must be a [batch_size x sequence_length] tensor")
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError("average_across_timesteps and sum_over_timesteps cannot "
                         "be set to True at same time.")
    if average_across_batch and sum_over_batch:
        raise ValueError("average_across_batch and sum_over_batch cannot be set "
                         "to True at same time.")
    with tf.name_scope(name or "sequence_loss"):
        logits = tf.convert_to_tensor(logits)
        weights = tf.convert_to_tensor(weights)
        num_classes = tf.shape(logits)[2]
        logits_flat = tf.reshape(logits, [-1, num_classes])
        flat_targets = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=flat_targets,
                                                                      logits=logits_flat)
        else:
            crossent = softmax_loss_function(labels=flat_targets, logits=logits_flat)
        crossent *= tf.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            return tf.math.divide_no_nan(tf.reduce_sum(crossent), tf.reduce_sum(weights))
        if sum_over_timesteps and sum_over_batch:
            count = tf.cast(tf.math.count_nonzero(weights), crossent.dtype)
            return tf.math.divide_no_nan(tf.reduce_sum(crossent), count)
        crossent = tf.reshape(crossent, tf.shape(logits)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            return tf.math.divide_no_nan(tf.reduce_sum(crossent, axis=axis),
                                         tf.reduce_sum(weights, axis=axis))
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            count = tf.cast(tf.math.count_nonzero(weights, axis=axis), crossent.dtype)
            return tf.math.divide_no_nan(tf.reduce_sum(crossent, axis=axis), count)
        return crossent
