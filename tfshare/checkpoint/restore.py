"""Restore by name: plan, validate, read every tensor, then assign (all or nothing).

Order of work, so that a failure at any point changes no variable:

1. the plan (:mod:`tfshare.checkpoint.plan`) matches names, shapes and dtypes
   and checks every target can be assigned; any problem raises before reading;
2. every restored tensor is read, from one consistent version of the file
   (a TF checkpoint in one ``RestoreV2`` call, whose CRC32C checks catch
   corrupt bytes); a read error raises before the first assignment;
3. the values are assigned. Eager: a tensor read by TensorFlow is copied into
   the variable's own buffer; a large numpy value (from a Keras file) is
   scattered in row chunks, so the restore costs about the restored bytes once
   (not three times). Graph mode: one ``session.run`` feeds every variable's
   initializer.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from tfshare.checkpoint.plan import RestorePlan, build_plan, executed, plan_error
from tfshare.checkpoint.readers import open_checkpoint
from tfshare.errors import CheckpointError

__all__ = ["restore"]

#: Numpy values larger than this are assigned in row chunks of about this size.
CHUNK_BYTES = 16 << 20


def _graph_session(session: Any) -> Any:
    if tf.executing_eagerly():
        return None
    session = session or tf.compat.v1.get_default_session()
    if session is None:
        raise CheckpointError(
            "restore() in graph mode needs a session: pass session=sess or call it inside "
            "`with sess.as_default():`.")
    return session


def _tf_variable(var: Any) -> Any:
    """The ``tf.Variable`` holding ``var``'s value (a Keras variable's ``.value``)."""
    if isinstance(var, tf.Variable):
        return var
    if isinstance(var, keras.Variable):
        inner = var.value
        if isinstance(inner, tf.Variable):
            return inner
    return None


def _session_problems(result: RestorePlan, session: Any) -> list[str]:
    problems = []
    for var, m in result.assignments:
        tv = _tf_variable(var)
        if tv is None or getattr(tv, "graph", None) is not session.graph:
            problems.append(f"{m.target}: not a variable of the session's graph")
    return problems


def _assign_eager(var: Any, value: Any) -> None:
    tv = _tf_variable(var)
    chunked = (isinstance(value, np.ndarray) and value.ndim >= 1 and value.nbytes > CHUNK_BYTES
               and tv is not None and not isinstance(tv, tf.distribute.DistributedValues)
               and tuple(tv.shape) == value.shape)
    if not chunked:
        (tv if tv is not None else var).assign(value)
        return
    rows = max(1, CHUNK_BYTES // max(1, value[0].nbytes))
    for start in range(0, value.shape[0], rows):
        stop = min(start + rows, value.shape[0])
        tv.scatter_update(tf.IndexedSlices(value[start:stop], tf.range(start, stop)))


def _assign_graph(pairs: list[tuple[Any, Any]], session: Any) -> None:
    """Every value in one run: each variable's initializer, its value fed."""
    fetches, feeds = [], {}
    with session.graph.as_default():
        for var, value in pairs:
            tv = _tf_variable(var)
            init = getattr(tv, "initializer", None)
            if init is not None and len(init.inputs) > 1:
                fetches.append(init)
                feeds[init.inputs[1]] = value
            else:
                fetches.append(tf.compat.v1.assign(tv, value))
    session.run(fetches, feed_dict=feeds)


def restore(target: Any, path: str | os.PathLike, include: Sequence[str] | None = None,
            exclude: Sequence[str] | None = None, assignment_map: Any = None,
            skip_mismatch: bool = False, strict: bool = False,
            translate_legacy_names: bool = False, session: Any = None) -> RestorePlan:
    """Restore ``target``'s variables from the checkpoint at ``path`` by name.

    Args:
      target: a built Keras model or layer (names are weight paths, e.g.
        ``rnn/lstm_cell/kernel``), a list or dict of variables, or a
        ``tfshare.VariableStore`` (names are TF1 full names).
      path: TF1 checkpoint prefix or directory (V2 or V1 format), TF2 object
        checkpoint, Keras ``.weights.h5`` or ``.keras`` file.
      include, exclude: slim scope patterns (regex prefixes of the target
        names), e.g. ``exclude=["head"]``.
      assignment_map: TF1 ``init_from_checkpoint`` forms,
        ``{"bidirectional_rnn/fw/": "encoder/fw/"}`` (checkpoint -> target).
      skip_mismatch: leave shape/dtype mismatches out (reported) instead of
        failing.
      strict: also fail when a selected target variable is missing from the
        checkpoint or a checkpoint entry is left unused.
      translate_legacy_names: read pre-1.2 RNN names (``weights``/``biases``,
        ``Linear/Matrix``, ``MultiRNNCell/Cell0``...) as today's names.
      session: graph mode only; defaults to the default session.

    Names: a Sequential model's weight paths start with the model's name
    (``sequential/dense/kernel``); map them with ``assignment_map={"/":
    "sequential/"}``. TF2 checkpoints match on the object-graph names
    (``layer_with_weights-0/kernel``) and, failing that, on each variable's saved
    name (``dense/kernel``). Keras ``.weights.h5`` files match by each layer's
    weight index, the model name prefix stripped. A variable saved in slices
    (TF1 partitioned variables) restores as the full tensor.

    Returns:
      The executed :class:`RestorePlan`; ``print(report)`` shows the table.

    Raises:
      RestorePlanError: the plan has problems (all listed); nothing was assigned.
      CheckpointError: the checkpoint cannot be read; nothing was assigned.
    """
    with open_checkpoint(path) as reader:
        result = build_plan(target, reader, include, exclude, assignment_map, skip_mismatch,
                            strict, translate_legacy_names)
        if result.problems:
            raise plan_error(result)
        sess = _graph_session(session)
        if sess is not None and _session_problems(result, sess):
            raise plan_error(dataclasses.replace(
                result, problems=tuple(_session_problems(result, sess))))
        values = reader.read_many(m.source for _, m in result.assignments)
    pairs, seen = [], set()
    for var, m in result.assignments:
        if id(var) not in seen:
            seen.add(id(var))
            pairs.append((var, values[m.source]))
    del values
    if sess is None:
        while pairs:  # release each value once assigned
            _assign_eager(*pairs.pop(0))
    else:
        _assign_graph(pairs, sess)
    return executed(result)
