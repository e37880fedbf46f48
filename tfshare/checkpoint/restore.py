"""Restore by name: plan, validate, read, then assign (all or nothing)."""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import tensorflow as tf

from tfshare.checkpoint.plan import RestorePlan, build_plan, plan_error
from tfshare.checkpoint.readers import open_checkpoint
from tfshare.errors import CheckpointError

__all__ = ["restore"]


def _graph_session(session: Any) -> Any:
    if tf.executing_eagerly():
        return None
    session = session or tf.compat.v1.get_default_session()
    if session is None:
        raise CheckpointError(
            "restore() in graph mode needs a session: pass session=sess or call it inside "
            "`with sess.as_default():`.")
    return session


def _assign(variables_values: list[tuple[Any, np.ndarray]], session: Any) -> None:
    if session is None:
        for var, value in variables_values:
            var.assign(value)
        return
    with session.graph.as_default():
        for var, value in variables_values:
            if hasattr(var, "load"):
                var.load(value, session)
            else:
                session.run(tf.compat.v1.assign(var, value))


def restore(target: Any, path: str | os.PathLike, include: Sequence[str] | None = None,
            exclude: Sequence[str] | None = None, assignment_map: Any = None,
            skip_mismatch: bool = False, strict: bool = False,
            translate_legacy_names: bool = False, session: Any = None) -> RestorePlan:
    """Restore ``target``'s variables from the checkpoint at ``path`` by name.

    Args:
      target: a built Keras model or layer (names are weight paths, e.g.
        ``rnn/lstm_cell/kernel``), a list or dict of variables, or a
        ``tfshare.VariableStore`` (names are TF1 full names).
      path: TF1 checkpoint prefix or directory, TF2 object checkpoint,
        Keras ``.weights.h5`` or ``.keras`` file.
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
    weight index, the model name prefix stripped.

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
        # Read every tensor before assigning any: a corrupt file changes nothing.
        cache: dict[str, np.ndarray] = {}
        values = []
        for var, m in result._assignments:
            if m.source not in cache:
                value = reader.read(m.source)
                if tuple(value.shape) != tuple(m.source_shape):
                    raise CheckpointError(
                        f"Checkpoint {reader.path}: tensor {m.source} has shape {value.shape}, "
                        f"its index says {m.source_shape}; the file is corrupt. Nothing was assigned.")
                cache[m.source] = value
            values.append((var, cache[m.source]))
    seen: set[int] = set()
    unique = []
    for var, value in values:
        if id(var) not in seen:
            seen.add(id(var))
            unique.append((var, value))
    _assign(unique, sess)
    result.assigned = True
    return result
