"""``tfshare.compat.v1.contrib.data``: TF1's ``tf.contrib.data`` transformations.

Most are TF's own ``tf.compat.v1.data.experimental`` functions (the same
transformations, under their TF 2 home): ``group_by_window``,
``bucket_by_sequence_length``, ``shuffle_and_repeat``, ``map_and_batch``,
``parallel_interleave``, ``unbatch``, ``scan``, ``Reducer``,
``group_by_reducer``, ``sample_from_datasets``, ``rejection_resample``, ...
Written here, as in TF 1.15 (each returns a function for ``Dataset.apply``):

* ``batch_and_drop_remainder(batch_size)`` = ``batch(batch_size, drop_remainder=True)``;
* ``padded_batch_and_drop_remainder(batch_size, padded_shapes, padding_values=None)``;
* ``sliding_window_batch(window_size, stride=None, window_shift=None, window_stride=1)``:
  batches of ``window_size`` elements ``window_stride`` apart, a window every
  ``window_shift`` elements, incomplete windows dropped;
* ``sloppy_interleave(map_func, cycle_length, block_length=1)`` =
  ``parallel_interleave(..., sloppy=True)``;
* ``assert_element_shape(expected_shapes)``: static shapes merged, checked at run time;
* ``reduce_dataset(dataset, reducer)``: the reduction of the whole dataset.

Not provided: ``CheckpointInputPipelineHook`` (an Estimator hook),
``LMDBDataset``, ``StatsAggregator``, ``set_stats_aggregator``,
``latency_stats`` and ``read_batch_features`` (gone from TF 2).
"""
from __future__ import annotations

from typing import Any, Callable, List

import numpy as np
import tensorflow as _tf

_exp = _tf.compat.v1.data.experimental

_FORWARDED = (
    "AUTOTUNE", "Counter", "CsvDataset", "Optional", "RandomDataset", "Reducer", "SqlDataset",
    "TFRecordWriter", "bucket_by_sequence_length", "choose_from_datasets", "copy_to_device",
    "dense_to_sparse_batch", "enumerate_dataset", "get_next_as_optional", "get_single_element",
    "group_by_reducer", "group_by_window", "ignore_errors", "make_batched_features_dataset",
    "make_csv_dataset", "make_saveable_from_iterator", "map_and_batch", "parallel_interleave",
    "parse_example_dataset", "prefetch_to_device", "rejection_resample", "sample_from_datasets",
    "scan", "shuffle_and_repeat", "unbatch", "unique",
)
_NOT_PROVIDED = ("CheckpointInputPipelineHook", "LMDBDataset", "StatsAggregator",
                 "set_stats_aggregator", "latency_stats", "read_batch_features")

__all__: List[str] = [
    "batch_and_drop_remainder", "padded_batch_and_drop_remainder", "sliding_window_batch",
    "sloppy_interleave", "assert_element_shape", "reduce_dataset",
]
for _name in _FORWARDED:
    if hasattr(_exp, _name):
        globals()[_name] = getattr(_exp, _name)
        __all__.append(_name)


def batch_and_drop_remainder(batch_size: Any) -> Callable:
    """Batches of exactly ``batch_size`` (the last, smaller one is dropped)."""
    def _apply(dataset: Any) -> Any:
        return dataset.batch(batch_size, drop_remainder=True)
    return _apply


def padded_batch_and_drop_remainder(batch_size: Any, padded_shapes: Any,
                                    padding_values: Any = None) -> Callable:
    """``padded_batch`` of exactly ``batch_size`` elements (remainder dropped)."""
    def _apply(dataset: Any) -> Any:
        return dataset.padded_batch(batch_size, padded_shapes=padded_shapes,
                                    padding_values=padding_values, drop_remainder=True)
    return _apply


def sliding_window_batch(window_size: Any, stride: Any = None, window_shift: Any = None,
                         window_stride: Any = 1) -> Callable:
    """Sliding windows as batches: window ``k`` holds elements
    ``k*shift, k*shift + stride, ...`` (``window_size`` of them); windows that
    would run past the end are dropped."""
    if stride is not None and window_shift is not None:
        raise ValueError("Cannot specify both `stride` and `window_shift`")
    shift = window_shift if window_shift is not None else (stride if stride is not None else 1)

    def _apply(dataset: Any) -> Any:
        windows = dataset.window(window_size, shift=shift, stride=window_stride,
                                 drop_remainder=True)

        def batch_window(*parts: Any) -> Any:
            window = parts[0] if len(parts) == 1 else parts
            batched = _tf.nest.map_structure(lambda d: d.batch(window_size), window)
            if isinstance(batched, _tf.data.Dataset):
                return batched
            return _tf.data.Dataset.zip(batched)

        return windows.flat_map(batch_window)
    return _apply


def sloppy_interleave(map_func: Callable, cycle_length: Any, block_length: Any = 1) -> Callable:
    """``parallel_interleave(map_func, cycle_length, block_length, sloppy=True)``."""
    return _exp.parallel_interleave(map_func, cycle_length, block_length, sloppy=True)


def assert_element_shape(expected_shapes: Any) -> Callable:
    """Merge ``expected_shapes`` (a structure of ``TensorShape``; unknown
    dimensions are ignored) into the element shapes (``ValueError: Shapes ...
    are not compatible`` when they conflict statically), and check them when
    elements are produced."""
    flat_expected = [_tf.TensorShape(s) for s in _tf.nest.flatten(expected_shapes)]

    def check(*elements: Any) -> Any:
        structure = elements[0] if len(elements) == 1 else elements
        flat = _tf.nest.flatten(structure)
        checked = [_tf.ensure_shape(t, s) if s.rank is not None else t
                   for t, s in zip(flat, flat_expected)]
        return _tf.nest.pack_sequence_as(structure, checked)

    def _apply(dataset: Any) -> Any:
        specs = _tf.nest.flatten(dataset.element_spec)
        if len(specs) != len(flat_expected):
            raise ValueError(f"assert_element_shape: the dataset's elements have {len(specs)} "
                             f"components, expected_shapes has {len(flat_expected)}")
        for spec, shape in zip(specs, flat_expected):
            spec.shape.merge_with(shape)
        return dataset.map(check)
    return _apply


def reduce_dataset(dataset: Any, reducer: Any) -> Any:
    """``reducer.reduce_func`` folded over ``dataset`` from ``reducer.init_func(0)``."""
    if not isinstance(dataset, _tf.data.Dataset):
        raise TypeError("`dataset` must be a `tf.data.Dataset` object.")
    return dataset.reduce(reducer.init_func(np.int64(0)), reducer.reduce_func)


def __getattr__(name: str) -> Any:
    if name in _NOT_PROVIDED:
        raise AttributeError(f"tf.contrib.data.{name} is not available: TF 2 removed it and "
                             "tfshare does not provide it.")
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r} (tf.contrib was removed in TF 2; "
        "tfshare provides the contrib.data names listed in its __all__)")


def __dir__() -> List[str]:
    return sorted(__all__)
