"""``contrib.training.bucket`` and ``bucket_by_sequence_length``: TF1's
queue-based batching by bucket (graph mode, with queue runners).

Each element goes to the queue of its bucket (``which_bucket``); a bucket that
holds ``batch_size`` elements (fewer at the end with
``allow_smaller_final_batch``) sends them, as one batch, to a top queue; the
result is the next batch of the top queue and its bucket. Two ``QueueRunner``
s (in ``QUEUE_RUNNERS``) move the data: run ``tf.train.start_queue_runners``.
The order of batches across buckets depends on thread timing, as in TF1.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np
import tensorflow as _tf

_v1 = _tf.compat.v1

__all__ = ["bucket", "bucket_by_sequence_length"]


def _as_list(tensors: Any) -> List[Any]:
    if isinstance(tensors, dict):
        return [tensors[k] for k in sorted(tensors, key=str)]
    return list(tensors)


def _as_original(tensors: Any, values: Any) -> Any:
    if isinstance(tensors, dict):
        values = values if isinstance(values, (list, tuple)) else [values]
        return {k: values[i] for i, k in enumerate(sorted(tensors, key=str))}
    return values


def _shapes(tensor_list: Sequence[Any], shapes: Any) -> List[Any]:
    if shapes is not None:
        return shapes
    for t in tensor_list:
        if t.shape.rank is None:
            raise ValueError("Cannot infer Tensor's rank: %s" % t)
    return [t.shape.as_list() for t in tensor_list]


def _keep_input(keep_input: Any) -> Any:
    keep_input = _tf.convert_to_tensor(keep_input)
    if keep_input.shape.rank is None:
        raise ValueError("`keep_input` dimensions must be known at graph construction.")
    if keep_input.shape.rank == 1:
        raise ValueError("`keep_input` cannot be a vector when `enqueue_many=False`.")
    if keep_input.shape.rank > 1:
        raise ValueError("`keep_input` must be 0 or 1 dimensions.")
    return keep_input


def bucket(tensors: Any, which_bucket: Any, batch_size: Any, num_buckets: int,
           num_threads: int = 1, capacity: int = 32,
           bucket_capacities: Optional[Sequence[int]] = None, shapes: Any = None,
           dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
           keep_input: Any = True, shared_name: Optional[str] = None,
           name: Optional[str] = None) -> Any:
    """Batch ``tensors`` (a list or dict of tensors, one element) per bucket
    ``which_bucket`` (an int32 scalar in ``[0, num_buckets)``).

    ``batch_size``: an int or one per bucket. ``dynamic_pad``: pad variable
    dimensions to the longest element of the batch. ``keep_input``: a bool
    scalar; False drops the element. Returns ``(bucket, batched tensors)``.
    """
    if _v1.executing_eagerly_outside_functions():
        raise ValueError("Input pipelines based on Queues are not supported when eager "
                         "execution is enabled. Please use tf.data to ingest data into your "
                         "model instead.")
    per_bucket = isinstance(batch_size, (list, tuple))
    if per_bucket:
        if len(batch_size) != num_buckets:
            raise ValueError("If batch_size is a list it must have num_buckets elements")
        batch_sizes = list(batch_size)
    else:
        batch_sizes = [batch_size] * num_buckets
    if bucket_capacities is None:
        bucket_capacities = [capacity] * num_buckets
    if len(bucket_capacities) != num_buckets:
        raise ValueError("The list bucket_capacities (%s) must have exactly num_buckets (%d) "
                         "elements." % (str(bucket_capacities), num_buckets))
    tensor_list = _as_list(tensors)
    with _v1.name_scope(name, "bucket", tensor_list) as name:
        tensor_list = [_tf.convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in bucket().")
        if any(isinstance(t, _tf.SparseTensor) for t in tensor_list):
            raise TypeError("tfshare's contrib.training.bucket does not batch SparseTensors")
        keep_input = _keep_input(keep_input)
        static_batch = None
        for i, size in enumerate(batch_sizes):
            size = _tf.convert_to_tensor(size, dtype=_tf.int32, name="batch_size")
            static_batch = _tf.get_static_value(size)
            batch_sizes[i] = int(static_batch) if static_batch is not None else size
        dtypes = [t.dtype for t in tensor_list]
        shapes = _shapes(tensor_list, shapes)
        which_bucket = _tf.convert_to_tensor(which_bucket, dtype=_tf.int32, name="which_bucket")
        queue_class = _v1.PaddingFIFOQueue if dynamic_pad else _v1.FIFOQueue
        queues = [queue_class(capacity=bucket_capacities[i], dtypes=dtypes, shapes=shapes,
                              shared_name=None if shared_name is None else f"{shared_name}_{i}",
                              name=f"bucket_queue_{i}") for i in range(num_buckets)]
        batch_dim = None if (allow_smaller_final_batch or per_bucket) else static_batch
        top = _v1.PaddingFIFOQueue(
            capacity=capacity, dtypes=[_tf.int32] + dtypes,
            shapes=[_tf.TensorShape([])] + [_tf.TensorShape([batch_dim]).concatenate(s)
                                            for s in queues[0].shapes],
            shared_name=shared_name, name="top_queue")

        def enqueue_in_bucket() -> Any:
            ops = [_tf.cond(_tf.equal(which_bucket, i),
                            lambda q=q: q.enqueue(tensor_list), _tf.no_op)
                   for i, q in enumerate(queues)]
            return _tf.group(*ops, name="group_enqueues")

        value = _tf.get_static_value(keep_input)
        if value is None:
            enqueue = _tf.cond(keep_input, enqueue_in_bucket, _tf.no_op)
        else:
            enqueue = enqueue_in_bucket() if value else _tf.no_op()

        def batches(q: Any, size: Any, i: int) -> Any:
            take = q.dequeue_up_to if allow_smaller_final_batch else q.dequeue_many
            batch = take(size, name=f"read_bucket_{i}")
            batch = list(batch) if isinstance(batch, (list, tuple)) else [batch]
            return top.enqueue([_tf.constant(i)] + batch, name=f"enqueue_from_bucket_{i}")

        to_top = [batches(q, size, i) for i, (q, size) in enumerate(zip(queues, batch_sizes))]
        closed = (_tf.errors.OutOfRangeError, _tf.errors.CancelledError)
        _v1.train.add_queue_runner(_v1.train.QueueRunner(
            queues[0], to_top, close_op=top.close(),
            cancel_op=top.close(cancel_pending_enqueues=True),
            queue_closed_exception_types=closed))
        _v1.train.add_queue_runner(_v1.train.QueueRunner(
            top, [enqueue] * num_threads,
            close_op=_tf.group(*[q.close() for q in queues]),
            cancel_op=_tf.group(*[q.close(cancel_pending_enqueues=True) for q in queues]),
            queue_closed_exception_types=closed))
        size = _tf.cast(top.size(), _tf.float32)
        for q in queues:
            _v1.summary.scalar("bucket/%s/size" % q.name, size)
        _v1.summary.scalar("bucket/%s/fraction_of_%d_full" % (top.name, capacity),
                           size * (1.0 / capacity))
        out = top.dequeue(name="dequeue_top")
        which, values = out[0], list(out[1:])
        return which, _as_original(tensors, values[0] if len(values) == 1 else values)


def bucket_by_sequence_length(input_length: Any, tensors: Any, batch_size: Any,
                              bucket_boundaries: Sequence[int], num_threads: int = 1,
                              capacity: int = 32,
                              bucket_capacities: Optional[Sequence[int]] = None,
                              shapes: Any = None, dynamic_pad: bool = False,
                              allow_smaller_final_batch: bool = False, keep_input: Any = True,
                              shared_name: Optional[str] = None,
                              name: Optional[str] = None) -> Any:
    """:func:`bucket` by ``input_length`` (an int32 scalar): bucket ``i`` holds
    lengths in ``[bucket_boundaries[i-1], bucket_boundaries[i])``, plus one bucket
    below the first boundary and one from the last. Returns
    ``(lengths, batched tensors)``."""
    tensor_list = _as_list(tensors)
    if not isinstance(bucket_boundaries, (list, tuple)):
        raise TypeError("bucket_boundaries must be a list or tuple, but received: %s"
                        % bucket_boundaries)
    if not bucket_boundaries:
        raise ValueError("bucket_boundaries must not be empty")
    for lo, hi in zip(bucket_boundaries[:-1], bucket_boundaries[1:]):
        if not isinstance(lo, int) or not isinstance(hi, int):
            raise TypeError("bucket boundaries must be integers, but saw: %s and %s" % (lo, hi))
        if lo >= hi:
            raise ValueError("Buckets must contain sequential increasing lengths, but saw: "
                             "%d before %d" % (lo, hi))
    with _v1.name_scope(name, "bucket_by_sequence_length", [input_length] + tensor_list) as name:
        input_length = _tf.convert_to_tensor(input_length, dtype=_tf.int32, name="input_length")
        lows = [np.iinfo(np.int32).min] + list(bucket_boundaries)
        highs = list(bucket_boundaries) + [np.iinfo(np.int32).max]
        inside = _tf.logical_and(_tf.less_equal(lows, input_length),
                                 _tf.less(input_length, highs))
        which = _tf.cast(_tf.reduce_min(_tf.where(inside)), _tf.int32)
        if shapes is not None:
            shapes = [_tf.TensorShape([])] + list(shapes)
        _, out = bucket([input_length] + tensor_list, which, batch_size,
                        num_buckets=len(bucket_boundaries) + 1, num_threads=num_threads,
                        capacity=capacity, bucket_capacities=bucket_capacities, shapes=shapes,
                        dynamic_pad=dynamic_pad,
                        allow_smaller_final_batch=allow_smaller_final_batch,
                        keep_input=keep_input, shared_name=shared_name)
        return out[0], _as_original(tensors, out[1:])
